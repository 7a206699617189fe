"""The fragments pushed to phones, drawn once and shared by every phone whose view of them is
the same (the `now` block of a table, an empty board, a blank contribution form).

Each phone reads its fixed words in its own language (`PhoneView` renders under
`i18n.speaking`): every cached fragment is keyed by the language it was drawn in, so a room
of Welsh and English phones draws each fragment once per language, not once per phone.
Contributions stay as they were written."""

from __future__ import annotations

import secrets
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from app import i18n
from app.kit.rendering import render_html
from app.models.cafe import Cafe, CafeTable, Participant, Round, Someone
from app.models.evidence import (
    EVIDENCE_LABELS,
    KIND_LABELS,
    MAX_TEXT,
)
from app.services.board.cards import TableBoard, TableCards, ThemeChoice, board_for, table_board
from app.services.board.drafts import Draft, new_draft
from app.services.board.rules import default_evidence
from app.services.cafe import state as state_service
from app.services.cafe.state import CafeState, ParticipantState


def new_page_id() -> str:
    """A name for one drawing of the participant page: its live connection and the posts
    made on it carry it, so the connection is not sent the card the post's answer already
    put on that page (other pages of the same person still are)."""
    return secrets.token_urlsafe(9)


def compose_key(
    cafe: Cafe,
    person: Someone,
    rnd: Round | None,
    table: CafeTable | None,
    is_open: bool,
    theme_list: Sequence[ThemeChoice] = (),
) -> str:
    """Changes exactly when the contribution form on a phone must be drawn again: not at a
    rotation from one open board to the next, so a half-written draft stays where it is."""
    has = f"{'r' if rnd else '-'}{'t' if table else '-'}"
    # New themes from the facilitator mean new boxes to tick, so they are part of the key.
    themes = ".".join(str(t.id) for t in theme_list)
    return f"{int(is_open)}{int(person.is_host)}{has}-{cafe.status}-{themes}"


def compose_context(
    cafe: Cafe,
    person: Someone,
    board: TableBoard,
    draft: Draft | None = None,
) -> dict[str, Any]:
    """What the `compose` block (the contribution form) needs."""
    return {
        "draft": draft or new_draft(person),
        "compose_key": compose_key(
            cafe, person, board.round, board.table, board.open, board.themes
        ),
        "themes": board.themes,
        "kind_labels": KIND_LABELS,
        "evidence_labels": EVIDENCE_LABELS,
        "max_text": MAX_TEXT,
    }


V = TypeVar("V")


class FragmentCache(Generic[V]):
    """Fragments drawn once and shared by the phones whose view of them is the same.

    A fragment is keyed by the object it was drawn from (the shared café state, or one
    table's shared cards: new after every change, so never stale) and by every other value
    the block reads. The object is held with the entry, so its id cannot be reused while
    the entry lives.
    """

    SIZE = 4096

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[Any, ...], tuple[object, V]] = OrderedDict()

    def get(self, source: object, key: tuple[Any, ...], draw: Callable[[], V]) -> V:
        full = (id(source), *key)
        hit = self._entries.get(full)
        if hit is not None and hit[0] is source:
            return hit[1]
        html = draw()
        self.put(source, key, html)
        return html

    def put(self, source: object, key: tuple[Any, ...], value: V) -> None:
        """Keep a fragment drawn elsewhere. From a worker thread too: each step below is one
        dict operation, which the GIL makes whole."""
        self._entries[(id(source), *key)] = (source, value)
        while len(self._entries) > self.SIZE:
            self._entries.popitem(last=False)


fragments: FragmentCache[str] = FragmentCache()


def now_block(
    state: CafeState,
    view: ParticipantState,
    csrf: str,
    cache: FragmentCache[str] = fragments,
) -> str:
    """The `now` block, keyed by everything it reads that is not the same for the whole
    table."""
    key = (
        "now",
        view.table.id if view.table else None,
        view.move_call,
        view.stay_call,
        view.seconds_left,
        view.person.is_host,
        view.person.display_name if view.round is None else None,
        csrf if view.open_tables else None,
        i18n.current(),
    )
    return cache.get(
        state,
        key,
        lambda: render_html(
            "cafe/participant.html",
            {"cafe": state.cafe, "v": view, "person": view.person, "oob": True, "csrf": csrf},
            block="now",
        ),
    )


def board_block(
    cafe: Cafe,
    me: Someone,
    b: TableBoard,
    cards: TableCards,
    news: str,
    csrf: str,
    cache: FragmentCache[str] = fragments,
) -> str:
    """The `board` block. An empty board (every board at a round start) reads nothing of
    the person: the phones at a table share one drawing. Cards carry the person's own forms
    and votes, so a board with cards is drawn for each phone."""

    def draw() -> str:
        ctx = {"cafe": cafe, "person": me, "b": b, "oob": True, "csrf": csrf, "news": news}
        return render_html("cafe/participant.html", ctx, block="board")

    if b.cards:
        return draw()
    key = ("board", b.open, b.budget, b.votes_left, news, i18n.current())
    return cache.get(cards, key, draw)


@dataclass(frozen=True)
class RoundBundle:
    """What a round event sends the phones at one table with an empty board (see
    `PhoneView.round_part` in app/live/phone.py): the `now` block, the board and the key of the form
    they should have."""

    now: str
    board: str
    compose_key: str


# Whose round bundle it is: the table, whether they stayed at it, whether they host it, and
# the language it is drawn in.
BundleKey = tuple[int, bool, bool, str]


def round_bundle(
    state: CafeState,
    me: Someone,
    cards: TableCards,
    cache: FragmentCache[str] = fragments,
) -> RoundBundle:
    view = state_service.participant_view(state=state, person=me, now=state.read_at)
    b = board_for(cards=cards, person=me)
    board = board_block(state.cafe, me, b, cards, "", "", cache)
    key = compose_key(state.cafe, me, b.round, b.table, b.open, b.themes)
    # No CSRF token in either block here: seating is planned, so no table-picking forms.
    return RoundBundle(now=now_block(state, view, "", cache), board=board, compose_key=key)


bundles: FragmentCache[RoundBundle] = FragmentCache()


# A blank contribution form differs between phones only in its CSRF token and draft id, so
# it is drawn once per kind of form with these slots and the two values are put in per phone.
CSRF_SLOT = "tc-slot-csrf-5f1c"
CLIENT_ID_SLOT = "tc-slot-client-id-5f1c"


def fresh_form(
    cafe: Cafe,
    me: Someone,
    b: TableBoard,
    cards: TableCards,
    key: str,
    csrf: str,
) -> str:
    evidence = default_evidence(me)

    def draw() -> str:
        blank = Draft(client_id=CLIENT_ID_SLOT, evidence_type=evidence)
        form = compose_context(cafe, me, b, blank)
        ctx = {"cafe": cafe, "person": me, "b": b, "oob": True, "csrf": CSRF_SLOT, **form}
        return render_html("cafe/participant.html", ctx, block="compose")

    html = fragments.get(cards, ("compose", key, evidence, i18n.current()), draw)
    draft_id = new_draft(me).client_id
    return html.replace(CSRF_SLOT, csrf).replace(CLIENT_ID_SLOT, draft_id)


def board_context(
    session: Session,
    cafe: Cafe,
    person: Participant,
    *,
    rnd: Round | None,
    table: CafeTable | None,
    draft: Draft | None = None,
) -> dict[str, Any]:
    """What the `compose` and `board` blocks of the participant page need."""
    board = table_board(session=session, cafe=cafe, person=person, rnd=rnd, table=table)
    return {"b": board, **compose_context(cafe, person, board, draft)}


def card_board(cafe: Cafe) -> TableBoard:
    """What a new card reads of its board: it was posted in an open round."""
    return TableBoard(round=None, table=None, cards=[], open=True, budget=cafe.reaction_budget)


class Languages:
    """The languages the phones of each café connected to this process read, with how many
    phones read each: a round drawn ahead is drawn in each of them (and no other)."""

    def __init__(self) -> None:
        self._of: dict[int, Counter[str]] = {}
        self._lock = threading.Lock()  # `of` is read from the worker thread drawing ahead

    def add(self, cafe_id: int, lang: str) -> None:
        with self._lock:
            self._of.setdefault(cafe_id, Counter())[lang] += 1

    def drop(self, cafe_id: int, lang: str) -> None:
        with self._lock:
            counts = self._of.get(cafe_id)
            if counts is None:
                return
            counts[lang] -= 1
            if counts[lang] <= 0:
                del counts[lang]
            if not counts:
                del self._of[cafe_id]

    def of(self, cafe_id: int) -> list[str]:
        """The languages read at the café here, the most read first."""
        with self._lock:
            counts = self._of.get(cafe_id)
            return [lang for lang, _n in counts.most_common()] if counts else []


languages = Languages()
