"""The fragments pushed to phones, drawn once and shared by every phone whose view of them is
the same (the `now` block of a table, an empty board, a blank contribution form)."""

from __future__ import annotations

import itertools
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, NamedTuple, TypeVar

from app.models.cafe import Cafe, CafeTable, Round, Someone
from app.models.evidence import EVIDENCE_LABELS, KIND_LABELS, MAX_TEXT
from app.kit.rendering import render_html
from app.services import board as board_service
from app.services import cafe as cafe_service


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
    theme_list: Sequence[board_service.ThemeChoice] = (),
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
    board: board_service.TableBoard,
    draft: board_service.Draft | None = None,
) -> dict[str, Any]:
    """What the `compose` block (the contribution form) needs."""
    return {
        "draft": draft or board_service.new_draft(person),
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
    state: cafe_service.CafeState,
    view: cafe_service.ParticipantState,
    csrf: str,
    cache: FragmentCache[str] = fragments,
) -> str:
    """The `now` block, keyed by everything it reads that is not the same for the whole
    table."""
    key = (
        "now",
        view.table.id if view.table else None,
        view.move_call,
        view.seconds_left,
        view.person.is_host,
        view.person.display_name if view.round is None else None,
        csrf if view.open_tables else None,
    )
    return cache.get(
        state,
        key,
        lambda: render_html(
            "participant.html",
            {"cafe": state.cafe, "v": view, "person": view.person, "oob": True, "csrf": csrf},
            block="now",
        ),
    )


def board_block(
    cafe: Cafe,
    me: Someone,
    b: board_service.TableBoard,
    cards: board_service.TableCards,
    news: str,
    csrf: str,
    cache: FragmentCache[str] = fragments,
) -> str:
    """The `board` block. An empty board (every board at a round start) reads nothing of
    the person: the phones at a table share one drawing. Cards carry the person's own forms
    and votes, so a board with cards is drawn for each phone."""

    def draw() -> str:
        ctx = {"cafe": cafe, "person": me, "b": b, "oob": True, "csrf": csrf, "news": news}
        return render_html("participant.html", ctx, block="board")

    if b.cards:
        return draw()
    return cache.get(cards, ("board", b.open, b.budget, b.votes_left, news), draw)


@dataclass(frozen=True)
class RoundBundle:
    """What a round event sends the phones at one table with an empty board (see
    `round_part` in routers/live.py): the `now` block, the board and the key of the form
    they should have."""

    now: str
    board: str
    compose_key: str


# Whose round bundle it is: the table, whether they stayed at it, whether they host it.
BundleKey = tuple[int, bool, bool]


def round_bundle(
    state: cafe_service.CafeState,
    me: Someone,
    cards: board_service.TableCards,
    cache: FragmentCache[str] = fragments,
) -> RoundBundle:
    view = cafe_service.participant_view(state, me, state.read_at)
    b = board_service.board_for(cards, me)
    board = board_block(state.cafe, me, b, cards, "", "", cache)
    key = compose_key(state.cafe, me, b.round, b.table, b.open, b.themes)
    # No CSRF token in either block here: seating is planned, so no table-picking forms.
    return RoundBundle(now=now_block(state, view, "", cache), board=board, compose_key=key)


bundles: FragmentCache[RoundBundle] = FragmentCache()


class RoundForecasts:
    """Each café's next round as its phones will be sent it, drawn while the round before
    runs (`draw`, once the seating is planned ahead) and given to the phones when the round
    starts just as forecast (`confirm`): a rotation's thousand phones then draw nothing.

    A bundle is drawn for two made-up start instants and kept only if both drawings agree,
    so nothing that shows when the round started can be sent stale. The forecast is used
    only if the rotation assembled its café state from equal inputs (the café, the round,
    the people, the tables, the seating: `cafe_service.StateInputs`) and the café's themes
    are the same.

    A phone whose page keeps a round sent ahead (its script does) is sent its bundle as
    soon as it is drawn (`ahead_for`, under the drawing's `token`); when the round starts
    as forecast, that phone is sent only the word to show it (`Ahead.go`), a few bytes
    instead of its table and board: the tap then costs the server little more per phone
    than a bare broadcast. Anything else still gets the whole drawing at the start.
    """

    AT = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 6, 15, 13, 37, 11, tzinfo=UTC))
    CAFES = 32  # forecasts kept, the latest; a process runs few cafés at a time

    def __init__(self) -> None:
        self._drawn: OrderedDict[int, _Drawn] = OrderedDict()
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)

    def draw(
        self,
        cafe_id: int,
        forecast: cafe_service.Forecast,
        themes: list[board_service.ThemeChoice],
    ) -> int:
        """Draw the bundles of a forecast round (in a worker thread); returns how many."""
        states = [forecast.state_at(at) for at in self.AT]
        boards = [
            board_service.empty_round_cards(s.cafe, s.round, s.table_rows, themes)
            for s in states
            if s.round is not None
        ]
        drawn: dict[BundleKey, RoundBundle] = {}
        keys: dict[int, BundleKey] = {}
        # Fragments of made-up states are of no use to anyone else: they are not kept in
        # the shared caches (which would hold the states, a thousand people each, too).
        own: FragmentCache[str] = FragmentCache()
        first = states[0]
        for person_id, table_id in first.table_of.items():
            me = first.people_by_id[person_id]
            key = (table_id, first.previous_table_of.get(person_id) == table_id, me.is_host)
            keys[person_id] = key
            if key not in drawn:
                one, other = (
                    round_bundle(state, me, cards[table_id], own)
                    for state, cards in zip(states, boards, strict=True)
                )
                if one == other:
                    drawn[key] = one
        token = f"{cafe_id}.{next(self._tokens)}"
        go = json.dumps({"go": token})
        ahead = {
            key: Ahead(
                token, bundle, json.dumps({"ahead": token, "html": bundle.now + bundle.board}), go
            )
            for key, bundle in drawn.items()
        }
        with self._lock:
            self._drawn.pop(cafe_id, None)
            self._drawn[cafe_id] = _Drawn(forecast.inputs, themes, drawn, token, keys, ahead)
            while len(self._drawn) > self.CAFES:
                self._drawn.popitem(last=False)  # a café that never started its round
        return len(drawn)

    def token(self, cafe_id: int) -> str | None:
        """The token of the café's round drawn ahead and not yet started, if any."""
        with self._lock:
            found = self._drawn.get(cafe_id)
        return found.token if found is not None else None

    def ahead_for(self, cafe_id: int, person_id: int, token: str) -> Ahead | None:
        """What to send one phone of the café's round drawn ahead under `token` (None: that
        drawing is gone, or has nothing for this person: the round start will draw it)."""
        with self._lock:
            found = self._drawn.get(cafe_id)
        if found is None or found.token != token or (key := found.keys.get(person_id)) is None:
            return None
        return found.ahead.get(key)

    def confirm(
        self, started: cafe_service.Rotation, boards: dict[int, board_service.TableCards]
    ) -> int:
        """A round has started (and its event is not yet published): if as forecast, its
        phones find their bundles drawn. Returns how many bundles were given."""
        with self._lock:
            forecast = self._drawn.pop(started.state.cafe.id or 0, None)
        if forecast is None:
            return 0
        themes = next(iter(boards.values())).themes if boards else []
        if forecast.inputs != started.inputs or forecast.themes != themes:
            return 0
        for key, bundle in forecast.bundles.items():
            bundles.put(started.state, key, bundle)
        return len(forecast.bundles)


class Ahead(NamedTuple):
    """One table's bundle of a round drawn ahead, as a phone is sent it ahead (`message`),
    and the word that shows it once the round has started as forecast (`go`)."""

    token: str
    bundle: RoundBundle
    message: str
    go: str


class _Drawn(NamedTuple):
    inputs: cafe_service.StateInputs
    themes: list[board_service.ThemeChoice]
    bundles: dict[BundleKey, RoundBundle]
    token: str
    keys: dict[int, BundleKey]  # person id -> their bundle's key
    ahead: dict[BundleKey, Ahead]


forecasts = RoundForecasts()


# A blank contribution form differs between phones only in its CSRF token and draft id, so
# it is drawn once per kind of form with these slots and the two values are put in per phone.
CSRF_SLOT = "tc-slot-csrf-5f1c"
CLIENT_ID_SLOT = "tc-slot-client-id-5f1c"


def fresh_form(
    cafe: Cafe,
    me: Someone,
    b: board_service.TableBoard,
    cards: board_service.TableCards,
    key: str,
    csrf: str,
) -> str:
    evidence = board_service.default_evidence(me)

    def draw() -> str:
        blank = board_service.Draft(client_id=CLIENT_ID_SLOT, evidence_type=evidence)
        form = compose_context(cafe, me, b, blank)
        ctx = {"cafe": cafe, "person": me, "b": b, "oob": True, "csrf": CSRF_SLOT, **form}
        return render_html("participant.html", ctx, block="compose")

    html = fragments.get(cards, ("compose", key, evidence), draw)
    draft_id = board_service.new_draft(me).client_id
    return html.replace(CSRF_SLOT, csrf).replace(CLIENT_ID_SLOT, draft_id)
