"""One phone's live connection: what it was last sent, and what each event sends it next.

A `PhoneView` is made when the phone's participant page opens its socket and lives as long
as the connection. For each event it draws only what changed for this phone, from fragments
shared by everyone in the same place (`app.live.fragments`), and sends a new card on its own,
a round drawn ahead as one word, and the form after the table when many phones wake at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.websockets import WebSocket

from app import i18n
from app.db import Database
from app.i18n import _
from app.kit.rendering import render_html
from app.live.forecasts import Ahead, forecasts
from app.live.fragments import (
    CSRF_SLOT,
    board_block,
    bundles,
    card_board,
    compose_key,
    fragments,
    fresh_form,
    languages,
    now_block,
    round_bundle,
)
from app.live.hub import CafeEvent, Event, ahead_channel, participant_channel
from app.live.reads import nearby, new_cards, shared_boards
from app.live.reshape import PHONE_NOTES, phone_note
from app.live.sockets import Parts
from app.models.base import utcnow
from app.models.cafe import Participant, Someone
from app.services.board.cards import Card, TableCards, board_for
from app.services.board.rules import VISIBLE
from app.services.cafe import people as people_service
from app.services.cafe import state as state_service
from app.services.cafe.state import CafeState, ParticipantState

# Events after which the board of one table (named in the event) may look different.
BOARD_EVENTS = {CafeEvent.BOARD_CHANGED, CafeEvent.CARD_ADDED, CafeEvent.CONTRIBUTION_HIDDEN}

# Events that change every phone of the café at once: one read of the round's boards.
ROUND_EVENTS = {CafeEvent.ROUND_STARTED, CafeEvent.ROUND_CHANGED, CafeEvent.CAFE_CLOSED}

# Events after which a phone's "now" view may look different.
PHONE_EVENTS = {
    CafeEvent.ROUND_STARTED,
    CafeEvent.ROUND_CHANGED,
    CafeEvent.CAFE_CLOSED,
    CafeEvent.SEATING_CHANGED,
}


async def phone_of_socket(websocket: WebSocket, db: Database, cafe_id: int) -> PhoneView | None:
    """The view of the person the socket's signed cookie names in café `cafe_id`, or None
    (not someone of that café: the socket is refused)."""
    entry = websocket.session.get("p", {}).get(str(cafe_id))
    if not (isinstance(entry, list) and len(entry) == 2):
        return None
    participant_id, secret = entry
    if not isinstance(participant_id, int) or not isinstance(secret, str):
        return None

    def load() -> tuple[str, Participant | None]:
        with db.statement_session() as session:
            return people_service.socket_person(
                connection=session.connection(),
                cafe_id=cafe_id,
                participant_id=participant_id,
                secret=secret,
            )

    code, person = await nearby(db, load)
    if person is None:
        return None
    query = websocket.query_params
    # The language the Language middleware chose from the cookie or Accept-Language; the
    # café's default is applied at the first push, when the café is read (`settle`).
    choice = websocket.scope.get("state", {}).get("language")
    return PhoneView(
        db=db,
        cafe_id=cafe_id,
        code=code,
        person=person,
        pid=person.id,
        csrf=str(websocket.session.get("csrf", "")),
        page=query.get("page", ""),
        compose_seen=query.get("k", ""),
        keeps_ahead=query.get("ahead") == "1",
        choice=choice if isinstance(choice, i18n.Choice) else i18n.Choice(),
    )


@dataclass(eq=False, slots=True)
class PhoneView:
    """What one phone's connection was last sent, and how each event changes it."""

    db: Database
    cafe_id: int
    code: str
    person: Participant
    # The id as a plain int: an ORM attribute costs a descriptor call at every read, and a
    # rotation reads it a few times for each of a thousand phones.
    pid: int
    csrf: str
    # The page this connection belongs to: the card that page posted is already on it.
    page: str
    # The page says which form it drew; a fresh form is pushed only when that must change.
    compose_seen: str
    # The page's script keeps a round sent ahead (`RoundForecasts`).
    keeps_ahead: bool
    # The phone's language, as chosen at connect: the person's own if they picked one, the
    # café's default if not (`settle`). Every push is drawn in it.
    choice: i18n.Choice = field(default_factory=i18n.Choice)
    lang: str = ""
    last_now: str = ""
    # What this phone's board shows: its html, its cards' ids and whose board it is (the
    # round's and the table's ids); new cards are added to it one at a time.
    board_html: str = ""
    board_ids: set[int] | None = None
    board_place: tuple[int | None, int | None] | None = None
    # What this connection was last sent ahead, so that the round start can send only the
    # word to show it.
    sent_ahead: Ahead | None = field(default=None)

    def channels(self) -> list[str]:
        """The channels besides the café's that this phone hears."""
        ahead = [ahead_channel(self.cafe_id)] if self.keeps_ahead else []
        return [participant_channel(self.pid), *ahead]

    def me(self, state: CafeState) -> Someone:
        """The person as the latest café state has them (they may have become a host)."""
        return state.people_by_id.get(self.pid, self.person)

    def settle(self, state: CafeState) -> str:
        """The phone's language, fixed at its first push: the café's default applies when
        the person has not chosen (as on the café's pages, `i18n.prefer`)."""
        if not self.lang:
            if not self.choice.chosen:
                self.choice.lang = i18n.supported(state.cafe.language) or self.choice.lang
            self.lang = self.choice.lang
            languages.add(self.cafe_id, self.lang)
        return self.lang

    def close(self) -> None:
        """The connection ended: its language is no longer read here."""
        if self.lang:
            languages.drop(self.cafe_id, self.lang)

    async def render(self, state: CafeState, event: Event | None) -> str | Parts | None:
        """What to send for `event` (None: the phone has just connected), in the phone's
        language; every fragment shared between phones is keyed by it."""
        with i18n.speaking(self.settle(state)) as lang:
            out = await self._render(state, event)
        if isinstance(out, Parts):
            then = out.then

            def later() -> str:
                with i18n.speaking(lang):
                    return then()

            return Parts(out.first, later)
        return out

    async def _render(self, state: CafeState, event: Event | None) -> str | Parts | None:
        if event is None:
            return await self._whole(state, None)
        kind = event.data.get("type")
        if kind == CafeEvent.ROUND_AHEAD:
            return self.ahead_part(event.data.get("token"))
        if kind in PHONE_NOTES:
            return phone_note(event, state.cafe, self.pid, self.csrf)
        if kind == CafeEvent.CARD_ADDED:
            added = await self.card_part(state, event)
            if added is not None:
                return added or None
        if kind in ROUND_EVENTS:
            pushed = await self.round_part(state, event)
            if pushed is not None:
                return pushed or None
        if kind in BOARD_EVENTS:
            mine = state.table_of.get(self.pid)
            if mine is None or event.data.get("table_id") != mine:
                return None
            view = state_service.participant_view(state=state, person=self.me(state), now=utcnow())
            board, _ = await self.board_part(state, view, event, compose=False)
            return board or None
        if kind not in PHONE_EVENTS:
            return None
        if kind == CafeEvent.SEATING_CHANGED:
            mover = event.data.get("participant_id")
            mine = state.table_of.get(self.pid)
            moved_to = event.data.get("table_id") or state.table_of.get(mover or 0)
            if mover != self.pid and moved_to != mine and not state.free_seating:
                return None
        return await self._whole(state, event)

    async def _whole(self, state: CafeState, event: Event | None) -> str | Parts | None:
        """The `now` block, the board and the form, each only if it changed."""
        # After an event, the clock as of the state read for it: every phone at a table then
        # shows the same seconds and shares one drawing (a phone's script counts down from
        # its arrival, so it runs at most the delivery time, well under a second, behind).
        now = state.read_at if event is not None else utcnow()
        view = state_service.participant_view(state=state, person=self.me(state), now=now)
        html = now_block(state, view, self.csrf)
        out = ""
        if html != self.last_now:
            self.last_now = html
            out = html
        # A new round or a move means another board, and perhaps another form (sent after
        # the table and the board, which matter more, when an event reaches many phones).
        board, form = await self.board_part(state, view, event, compose=True)
        out += board
        if form and event is not None:
            return Parts(out, lambda: form)
        if event is None and self.keeps_ahead:
            # A page just (re)connected: the next round, if it is drawn already, comes next.
            token = forecasts.token(self.cafe_id)
            if token is not None and (ahead := self.ahead_part(token)) is not None:
                return Parts(out + form, lambda: ahead)
        return (out + form) or None

    def ahead_part(self, token: object) -> str | None:
        """The next round, drawn ahead under `token`, for the page to keep until it starts."""
        got = (
            forecasts.ahead_for(self.cafe_id, self.pid, token, self.lang or i18n.current())
            if isinstance(token, str)
            else None
        )
        if got is None:
            return None
        before = self.sent_ahead
        if before is not None and before.bundle == got.bundle:
            # Drawn again (someone joined) but the same for this phone: it keeps what it
            # has, under the token it was sent.
            self.sent_ahead = before._replace(bundle=got.bundle)
            return None
        self.sent_ahead = got
        return got.message

    async def card_part(self, state: CafeState, event: Event) -> str | None:
        """A new card alone, put at the top of the board this phone shows: "" when there is
        nothing to add, None when the whole board must be drawn instead."""
        if event.data.get("table_id") != state.table_of.get(self.pid):
            return ""
        ids, cid = self.board_ids, event.data.get("contribution_id")
        if ids is None or not isinstance(cid, int):
            return None
        if cid in ids:
            return ""
        card = await new_cards.get(self.db, state.cafe, cid)
        if card is None or self.board_place != (card.round_id, card.table_id):
            return None
        own = card.mine.contribution.participant_id == self.pid
        if own and self.page and event.data.get("page") == self.page:
            ids.add(cid)  # the answer to the post put it at the top of this page's board
            self.board_html = ""
            return ""
        shown = card.mine if own else card.theirs
        if not own and shown.contribution.status != VISIBLE:
            return ""
        news = (
            ""
            if own
            else _("New on your table's board: %(text)s", text=shown.contribution.text[:120])
        )
        html = fragments.get(
            card,
            ("card", own, i18n.current()),
            lambda: render_html(
                "board/_card_push.html",
                {
                    "cafe": state.cafe,
                    "card": shown,
                    "b": card_board(state.cafe),
                    "news": news,
                    "csrf": CSRF_SLOT,
                },
            ),
        )
        ids.add(cid)  # this connection's own set: a board of hundreds is not copied
        self.board_html = ""  # the board on the phone is no longer the one last drawn
        return html.replace(CSRF_SLOT, self.csrf)

    async def round_part(self, state: CafeState, event: Event) -> str | Parts | None:
        """A round event for a seated phone whose board is (still) empty, as every board is
        when a round starts: what the phone is sent is then the same for everyone at its
        table who stayed there (or moved there) with the same host badge, so it is worked
        out once for them (`round_bundle`) and each phone only compares it with what it
        shows. None: the general path draws it."""
        rnd = state.round
        table_id = state.table_of.get(self.pid)
        if rnd is None or table_id is None or state.free_seating:
            return None  # free seating shows tables to pick, each with the phone's own form
        me = self.me(state)
        token = event.data.get("board_seq") or event.data.get("seq")
        # Kept by the rotation (or read by the first phone): no await for the rest.
        boards = shared_boards.known_round(self.db, state.round_id, token)
        if boards is None:
            boards = await shared_boards.of_round(self.db, state.cafe, rnd, state.table_rows, token)
        cards = boards.get(table_id)
        if cards is None or cards.contributions or cards.votes:
            return None  # cards carry the person's own forms and votes
        place = (state.round_id, table_id)
        if place == self.board_place and self.board_ids:
            return None  # cards left the board this phone shows: news, drawn for it
        stayed = state.previous_table_of.get(self.pid) == table_id
        bundle = bundles.get(
            state,
            (table_id, stayed, me.is_host, i18n.current()),
            lambda: round_bundle(state, me, cards),
        )
        out = ""
        ahead = self.sent_ahead
        if ahead is not None and ahead.bundle is bundle:
            # The round started as forecast and the page holds this very drawing. (Any
            # other round event, a clock extended or paused, leaves what it holds alone.)
            self.sent_ahead = None
            self.last_now, self.board_html = bundle.now, bundle.board
            out = ahead.go
        if bundle.now != self.last_now:
            self.last_now = bundle.now
            out += bundle.now
        self.board_ids, self.board_place = set(), place
        if bundle.board != self.board_html:
            self.board_html = bundle.board
            out += bundle.board
        if bundle.compose_key != self.compose_seen:
            key = self.compose_seen = bundle.compose_key
            csrf = self.csrf

            def form() -> str:
                b = board_for(cards=cards, person=me)
                return fresh_form(state.cafe, me, b, cards, key, csrf)

            # The table first, then the form (round 1's is twice the size of the rest).
            return Parts(out, form)
        return out

    async def board_part(
        self,
        state: CafeState,
        view: ParticipantState,
        event: Event | None,
        *,
        compose: bool,
    ) -> tuple[str, str]:
        """The board if it changed, and the form if `compose` and it must change."""
        me = view.person
        cards = await self._cards(state, view, event)
        b = board_for(cards=cards, person=me)
        place = (b.round.id if b.round else None, b.table.id if b.table else None)
        # News only of the board the phone shows already: after a rotation or a move the
        # board is another one (the move call says so), not one whose cards came or left.
        news = board_news(self.board_ids, b.cards) if place == self.board_place else ""
        self.board_ids = {card.id for card in b.cards}
        self.board_place = place
        out = form = ""
        html = board_block(state.cafe, me, b, cards, news, self.csrf)
        if html != self.board_html:
            self.board_html = html
            out = html
        if compose:
            # The key alone says whether the form must change; most rotations keep it, so
            # the form (and a fresh draft id) is only built when it does.
            key = compose_key(state.cafe, me, b.round, b.table, b.open, b.themes)
            if key != self.compose_seen:
                self.compose_seen = key
                form = fresh_form(state.cafe, me, b, cards, key, self.csrf)
        return out, form

    async def _cards(
        self, state: CafeState, view: ParticipantState, event: Event | None
    ) -> TableCards:
        """The cards of the board the phone shows, from the reads the café's phones share."""
        token = (event.data.get("board_seq") or event.data.get("seq")) if event else None
        if (
            event is not None
            and event.data.get("type") in ROUND_EVENTS
            and view.round
            and view.table
        ):
            # A change to the whole café (a new round): one read serves every table.
            boards = await shared_boards.of_round(
                self.db, state.cafe, view.round, state.table_rows, token
            )
            cards = boards.get(view.table.id)
            if cards is not None:
                return cards
        return await shared_boards.get(self.db, state.cafe, view.round, view.table, token)


def board_news(before: set[int] | None, cards: list[Card]) -> str:
    """A short sentence for screen readers when the board changes under them."""
    if before is None:
        return ""
    new = [card for card in cards if card.id not in before]
    if new:
        return _("New on your table's board: %(text)s", text=new[0].contribution.text[:120])
    if len(cards) < len(before):
        return _("A card left your table's board.")
    return ""
