"""Reads shared by the live connections of one process.

When a thousand phones need the same thing at once (a table's cards after a change, a round's
boards after a rotation, a card just posted), it is read once and every phone takes that
read. A writer that has the thing in hand leaves it here, so nobody reads it at all.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from anyio import to_thread
from sqlmodel import Session

from app.db import Database
from app.models.cafe import Cafe, CafeTable, Round
from app.models.evidence import (
    Contribution,
)
from app.services.board.cards import (
    Card,
    TableCards,
    new_card,
    new_round_cards,
    read_new_card,
    round_cards,
    table_cards,
)
from app.services.board.moderation import ModerationView, moderation_view
from app.services.cafe.room import RoomExtras, console_extras
from app.services.cafe.rounds import Rotation


def read_table_cards(
    db: Database, cafe: Cafe, rnd: Round | None, table: CafeTable | None
) -> TableCards:
    """For the websocket: one table's shared board, read in a short session of its own."""
    with db.read_session() as session:
        return table_cards(session=session, cafe=cafe, rnd=rnd, table=table)


K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


async def nearby(db: Database, read: Callable[[], T]) -> T:
    """Run a short read (and the drawing of its page) where it costs least: on SQLite right
    here on the event loop, since a read of a local file in write-ahead mode never waits for
    a lock and takes less than the hop to a worker thread and back (at the join burst the
    hand-overs to worker threads were a sixth of the server's CPU, bench/joins.py);
    elsewhere (a database over the network) in a worker thread, so the loop never waits."""
    return read() if db.local else await to_thread.run_sync(read)


def page_session(db: Database) -> Session:
    """A session for the reads one page is drawn from. On PostgreSQL in autocommit: under
    its READ COMMITTED each statement sees the database as of its own start whether or not a
    transaction is around them, so the transaction would add only its BEGIN and ROLLBACK, two
    round trips of a phone's first page (bench/joins.py). On SQLite a read transaction: one
    snapshot for the whole page, and no lock taken."""
    return db.statement_session() if db.url.startswith("postgresql") else db.read_session()


class SharedReads(Generic[K, V]):
    """Reads shared by the live connections of this process.

    When many phones need the same thing at once (the cards of one table after a change),
    the first to ask reads it in the thread pool and the others wait for that read and take
    its result. A writer that has just read or made the thing leaves it here (`put`), so
    nobody reads it again. Keys must name a version (a change's token, a new card's id):
    an entry is never refreshed.
    """

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._done: OrderedDict[K, V] = OrderedDict()
        self._locks: dict[tuple[int, K], asyncio.Lock] = {}
        self._guard = threading.Lock()  # `put` runs in worker threads

    def put(self, key: K, value: V) -> None:
        with self._guard:
            self._done[key] = value
            while len(self._done) > self.size:
                self._done.popitem(last=False)

    def known(self, key: K) -> V | None:
        """The value for `key` if it was read or put already, without waiting."""
        return self._done.get(key)

    async def get(self, key: K, read: Callable[[], V]) -> V:
        hit = self._done.get(key)
        if hit is not None:
            return hit
        with self._guard:
            if len(self._locks) > self.size:
                # Forget the locks of reads that are over (at worst a thing is read twice).
                for old in [k for k, lock in self._locks.items() if not lock.locked()]:
                    del self._locks[old]
            # The loop is part of the lock's key: an asyncio lock serves one event loop only.
            lock = self._locks.setdefault((id(asyncio.get_running_loop()), key), asyncio.Lock())
        async with lock:
            hit = self._done.get(key)
            if hit is None:
                hit = await to_thread.run_sync(read)
                if hit is not None:
                    self.put(key, hit)
        return hit


class SharedBoards:
    """One table's cards after a change, read once for every phone at the table (each then
    makes its own view with `board_for`). A read is keyed by the event that
    caused it, so a later change is always read afresh."""

    def __init__(self) -> None:
        self._reads: SharedReads[tuple[Any, ...], TableCards] = SharedReads()
        # Whole rounds (every table's board) after a change to the café, such as a rotation.
        self._rounds: SharedReads[tuple[Any, ...], dict[int, TableCards]] = SharedReads(size=8)

    @staticmethod
    def _key(db: Database, rnd: Round, table: CafeTable, token: object) -> tuple[Any, ...]:
        return (id(db), table.id, rnd.id, token)

    async def get(
        self,
        db: Database,
        cafe: Cafe,
        rnd: Round | None,
        table: CafeTable | None,
        token: object,
    ) -> TableCards:
        if rnd is None or table is None:
            # Nobody is seated yet (the room still joining): an empty board, known without
            # a read or a hop to a worker thread (one of a phone's five at the join burst).
            return TableCards(round=rnd, table=table, open=False, budget=0)
        if token is None:
            return await to_thread.run_sync(read_table_cards, db, cafe, rnd, table)
        return await self._reads.get(
            self._key(db, rnd, table, token), lambda: read_table_cards(db, cafe, rnd, table)
        )

    async def of_round(
        self,
        db: Database,
        cafe: Cafe,
        rnd: Round,
        tables: Sequence[CafeTable],
        token: object,
    ) -> dict[int, TableCards]:
        """Every table's board of a round, read once for all the phones after a change to
        the café (a rotation: a thousand phones, each wanting its new table's board)."""

        def read() -> dict[int, TableCards]:
            with db.read_session() as session:
                return round_cards(session=session, cafe=cafe, rnd=rnd, tables=tables)

        return await self._rounds.get((id(db), rnd.id, token), read)

    def known_round(
        self, db: Database, round_id: int | None, token: object
    ) -> dict[int, TableCards] | None:
        """Every table's board of a round as `of_round` would give it, if it is already here
        (kept by the rotation, or read for an earlier phone); None if it must be read."""
        return self._rounds.known((id(db), round_id, token))

    def keep_new_round(
        self, db: Database, cafe: Cafe, started: Rotation, seq: int
    ) -> dict[int, TableCards]:
        """A round that has just started has empty boards, known without reading them: keep
        them for the phones of this process under the round event's `seq` (before it is
        published), so a rotation's thousand phones do not all wait for one read in a worker
        thread, which competes with their own drawing for the GIL."""
        rnd = started.round
        with db.read_session() as session:
            boards = new_round_cards(
                session=session, cafe=cafe, rnd=rnd, tables=started.state.table_rows
            )
        self._rounds.put((id(db), rnd.id, seq), boards)
        return boards


shared_boards = SharedBoards()


@dataclass(frozen=True, eq=False)
class NewCard:
    """A card just posted, as its author and as the others at its table see it: pushed on
    its own to the phones there instead of the whole board drawn again."""

    round_id: int
    table_id: int
    theirs: Card
    mine: Card

    @property
    def id(self) -> int:
        return self.theirs.id

    @classmethod
    def of(
        cls, cafe: Cafe, contribution: Contribution, author: str | None, themes: list[str]
    ) -> NewCard:
        def card(mine: bool) -> Card:
            return new_card(
                cafe=cafe, contribution=contribution, author=author, themes=themes, mine=mine
            )

        return cls(contribution.round_id or 0, contribution.table_id or 0, card(False), card(True))


class NewCards:
    """New cards by id: left here by the post that made them, read (once, for all its
    phones) by a worker process that did not."""

    def __init__(self) -> None:
        self._reads: SharedReads[tuple[int, int], NewCard | None] = SharedReads()

    def put(self, db: Database, card: NewCard) -> None:
        self._reads.put((id(db), card.id), card)

    async def get(self, db: Database, cafe: Cafe, contribution_id: int) -> NewCard | None:
        def read() -> NewCard | None:
            with db.read_session() as session:
                found = read_new_card(session=session, cafe=cafe, contribution_id=contribution_id)
            return NewCard.of(cafe, *found) if found is not None else None

        return await self._reads.get((id(db), contribution_id), read)


new_cards = NewCards()


def read_moderation(db: Database, cafe: Cafe) -> ModerationView:
    """For the console websocket: the moderation view, read in a short session."""
    with db.read_session() as session:
        return moderation_view(session=session, cafe=cafe)


def read_room(db: Database, cafe: Cafe) -> RoomExtras:
    """For the console websocket: help asked for, people without phones, the last message."""
    with db.read_session() as session:
        return console_extras(session=session, cafe=cafe)
