"""Websockets for phones, the console and the projector. They only push; writes go over HTTP."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, WebSocket

from app.config import Settings
from app.db import Database
from app.kit.qr import qr_svg
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
    now_block,
    round_bundle,
)
from app.live.hub import (
    CafeEvent,
    Event,
    Hub,
    ahead_channel,
    board_channel,
    participant_channel,
)
from app.live.live import POLICY_VIOLATION, Parts, StateCache, serve
from app.live.reads import new_cards, read_moderation, shared_boards
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe, Participant, Someone
from app.security import origin_allowed
from app.services import cafe as cafe_service
from app.services.board.cards import Card, board_for
from app.services.board.rules import VISIBLE

router = APIRouter()

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


def _parts(websocket: WebSocket) -> tuple[Settings, Database, Hub, StateCache]:
    state = websocket.app.state
    return state.settings, state.db, state.hub, state.live_cache


async def _refuse(websocket: WebSocket) -> None:
    # Closing before accept() makes the server answer the handshake with 403.
    await websocket.close(POLICY_VIOLATION)


@router.websocket("/ws/p/{cafe_id}")
async def participant_socket(websocket: WebSocket, cafe_id: int) -> None:
    settings, db, hub, cache = _parts(websocket)
    if not origin_allowed(websocket, settings):
        await _refuse(websocket)
        return
    entry = websocket.session.get("p", {}).get(str(cafe_id))
    if not (isinstance(entry, list) and len(entry) == 2):
        await _refuse(websocket)
        return

    def load() -> tuple[str, Participant | None]:
        with db.read_session() as session:
            cafe = session.get(Cafe, cafe_id)
            if cafe is None or not isinstance(entry[0], int) or not isinstance(entry[1], str):
                return "", None
            return cafe.code, cafe_service.participant_for_cookie(
                session=session, cafe=cafe, participant_id=entry[0], secret=entry[1]
            )

    code, person = await to_thread.run_sync(load)
    if person is None or person.id is None:
        await _refuse(websocket)
        return
    # The id as a plain int: an ORM attribute costs a descriptor call at every read, and a
    # rotation reads it a few times for each of a thousand phones.
    pid: int = person.id
    csrf = str(websocket.session.get("csrf", ""))
    # The page this connection belongs to: the card that page posted is already on it.
    page = websocket.query_params.get("page", "")
    last_html: list[str] = [""]
    # The page says which form it drew; a fresh form is pushed only when that must change.
    compose_seen: list[str] = [websocket.query_params.get("k", "")]
    # What this phone's board shows: its html, its cards' ids and whose board it is (the
    # round's and the table's ids); new cards are added to it one at a time.
    last_board: dict[str, Any] = {"html": "", "ids": None, "place": None}
    # The page's script keeps a round sent ahead (`RoundForecasts`): what this connection
    # was last sent ahead, so that the round start can send only the word to show it.
    keeps_ahead = websocket.query_params.get("ahead") == "1"
    sent_ahead: list[Ahead | None] = [None]

    def ahead_part(token: object) -> str | None:
        """The next round, drawn ahead under `token`, for the page to keep until it starts."""
        got = forecasts.ahead_for(cafe_id, pid, token) if isinstance(token, str) else None
        if got is None:
            return None
        before = sent_ahead[0]
        if before is not None and before.bundle == got.bundle:
            # Drawn again (someone joined) but the same for this phone: it keeps what it
            # has, under the token it was sent.
            sent_ahead[0] = before._replace(bundle=got.bundle)
            return None
        sent_ahead[0] = got
        return got.message

    async def card_part(state: cafe_service.CafeState, event: Event) -> str | None:
        """A new card alone, put at the top of the board this phone shows: "" when there is
        nothing to add, None when the whole board must be drawn instead."""
        if event.data.get("table_id") != state.table_of.get(pid):
            return ""
        ids, cid = last_board["ids"], event.data.get("contribution_id")
        if ids is None or not isinstance(cid, int):
            return None
        if cid in ids:
            return ""
        card = await new_cards.get(db, state.cafe, cid)
        if card is None or last_board["place"] != (card.round_id, card.table_id):
            return None
        own = card.mine.contribution.participant_id == pid
        if own and page and event.data.get("page") == page:
            ids.add(cid)  # the answer to the post put it at the top of this page's board
            last_board["html"] = ""
            return ""
        shown = card.mine if own else card.theirs
        if not own and shown.contribution.status != VISIBLE:
            return ""
        news = "" if own else f"New on your table's board: {shown.contribution.text[:120]}"
        html = fragments.get(
            card,
            ("card", own),
            lambda: render_html(
                "_card_push.html",
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
        last_board["html"] = ""  # the board on the phone is no longer the one last drawn
        return html.replace(CSRF_SLOT, csrf)

    async def round_part(state: cafe_service.CafeState, event: Event) -> str | Parts | None:
        """A round event for a seated phone whose board is (still) empty, as every board is
        when a round starts: what the phone is sent is then the same for everyone at its
        table who stayed there (or moved there) with the same host badge, so it is worked
        out once for them (`round_bundle`) and each phone only compares it with what it
        shows. None: the general path draws it."""
        rnd = state.round
        table_id = state.table_of.get(pid)
        if rnd is None or table_id is None or state.free_seating:
            return None  # free seating shows tables to pick, each with the phone's own form
        me = _current(state, pid, person)
        token = event.data.get("board_seq") or event.data.get("seq")
        # Kept by the rotation (or read by the first phone): no await for the rest.
        boards = shared_boards.known_round(db, state.round_id, token)
        if boards is None:
            boards = await shared_boards.of_round(db, state.cafe, rnd, state.table_rows, token)
        cards = boards.get(table_id)
        if cards is None or cards.contributions or cards.votes:
            return None  # cards carry the person's own forms and votes
        place = (state.round_id, table_id)
        if place == last_board["place"] and last_board["ids"]:
            return None  # cards left the board this phone shows: news, drawn for it
        stayed = state.previous_table_of.get(pid) == table_id
        bundle = bundles.get(
            state,
            (table_id, stayed, me.is_host),
            lambda: round_bundle(state, me, cards),
        )
        out = ""
        ahead = sent_ahead[0]
        if ahead is not None and ahead.bundle is bundle:
            # The round started as forecast and the page holds this very drawing. (Any
            # other round event, a clock extended or paused, leaves what it holds alone.)
            sent_ahead[0] = None
            last_html[0], last_board["html"] = bundle.now, bundle.board
            out = ahead.go
        if bundle.now != last_html[0]:
            last_html[0] = bundle.now
            out += bundle.now
        last_board["ids"], last_board["place"] = set(), place
        if bundle.board != last_board["html"]:
            last_board["html"] = bundle.board
            out += bundle.board
        if bundle.compose_key != compose_seen[0]:
            key = compose_seen[0] = bundle.compose_key

            def form() -> str:
                b = board_for(cards=cards, person=me)
                return fresh_form(state.cafe, me, b, cards, key, csrf)

            # The table first, then the form (round 1's is twice the size of the rest).
            return Parts(out, form)
        return out

    async def board_part(
        state: cafe_service.CafeState,
        view: cafe_service.ParticipantState,
        event: Event | None,
        *,
        compose: bool,
    ) -> tuple[str, str]:
        """The board if it changed, and the form if `compose` and it must change."""
        me = view.person
        token = (event.data.get("board_seq") or event.data.get("seq")) if event else None
        cards = None
        if (
            event is not None
            and event.data.get("type") in ROUND_EVENTS
            and view.round
            and view.table
        ):
            # A change to the whole café (a new round): one read serves every table.
            boards = await shared_boards.of_round(
                db, state.cafe, view.round, state.table_rows, token
            )
            cards = boards.get(view.table.id or 0)
        if cards is None:
            cards = await shared_boards.get(db, state.cafe, view.round, view.table, token)
        b = board_for(cards=cards, person=me)
        ids = {card.id for card in b.cards}
        place = (b.round.id if b.round else None, b.table.id if b.table else None)
        # News only of the board the phone shows already: after a rotation or a move the
        # board is another one (the move call says so), not one whose cards came or left.
        news = _board_news(last_board["ids"], b.cards) if place == last_board["place"] else ""
        last_board["ids"] = ids
        last_board["place"] = place
        out = form = ""
        html = board_block(state.cafe, me, b, cards, news, csrf)
        if html != last_board["html"]:
            last_board["html"] = html
            out = html
        if compose:
            # The key alone says whether the form must change; most rotations keep it, so
            # the form (and a fresh draft id) is only built when it does.
            key = compose_key(state.cafe, me, b.round, b.table, b.open, b.themes)
            if key != compose_seen[0]:
                compose_seen[0] = key
                form = fresh_form(state.cafe, me, b, cards, key, csrf)
        return out, form

    async def render(state: cafe_service.CafeState, event: Event | None) -> str | Parts | None:
        kind = event.data.get("type") if event is not None else None
        if kind == CafeEvent.ROUND_AHEAD and event is not None:
            return ahead_part(event.data.get("token"))
        if kind == CafeEvent.CARD_ADDED and event is not None:
            added = await card_part(state, event)
            if added is not None:
                return added or None
        if kind in ROUND_EVENTS and event is not None:
            pushed = await round_part(state, event)
            if pushed is not None:
                return pushed or None
        if kind in BOARD_EVENTS:
            mine = state.table_of.get(pid)
            if mine is None or event is None or event.data.get("table_id") != mine:
                return None
            view = cafe_service.participant_view(state, _current(state, pid, person), utcnow())
            board, _ = await board_part(state, view, event, compose=False)
            return board or None
        if event is not None and kind not in PHONE_EVENTS:
            return None
        if event is not None and event.data.get("type") == CafeEvent.SEATING_CHANGED:
            mover = event.data.get("participant_id")
            mine = state.table_of.get(pid)
            moved_to = event.data.get("table_id") or state.table_of.get(mover or 0)
            if mover != pid and moved_to != mine and not state.free_seating:
                return None
        # After an event, the clock as of the state read for it: every phone at a table then
        # shows the same seconds and shares one drawing (a phone's script counts down from
        # its arrival, so it runs at most the delivery time, well under a second, behind).
        now = state.read_at if event is not None else utcnow()
        view = cafe_service.participant_view(state, _current(state, pid, person), now)
        html = now_block(state, view, csrf)
        out = ""
        if html != last_html[0]:
            last_html[0] = html
            out = html
        # A new round or a move means another board, and perhaps another form (sent after
        # the table and the board, which matter more, when an event reaches many phones).
        board, form = await board_part(state, view, event, compose=True)
        out += board
        if form and event is not None:
            return Parts(out, lambda: form)
        if event is None and keeps_ahead:
            # A page just (re)connected: the next round, if it is drawn already, comes next.
            token = forecasts.token(cafe_id)
            if token is not None and (ahead := ahead_part(token)) is not None:
                return Parts(out + form, lambda: ahead)
        return (out + form) or None

    await serve(
        websocket,
        hub=hub,
        cache=cache,
        cafe_id=cafe_id,
        cafe_code=code,
        channels=[participant_channel(pid), *([ahead_channel(cafe_id)] if keeps_ahead else [])],
        render=render,
    )


def _current(state: cafe_service.CafeState, pid: int, person: Participant) -> Someone:
    """The person as the latest café state has them (they may have become a host)."""
    return state.people_by_id.get(pid, person)


def _board_news(before: set[int] | None, cards: list[Card]) -> str:
    """A short sentence for screen readers when the board changes under them."""
    if before is None:
        return ""
    new = [card for card in cards if card.id not in before]
    if new:
        return f"New on your table's board: {new[0].contribution.text[:120]}"
    if len(cards) < len(before):
        return "A card left your table's board."
    return ""


async def _facilitator_cafe(websocket: WebSocket, cafe_id: int) -> Cafe | None:
    settings, db, _, _ = _parts(websocket)
    if not origin_allowed(websocket, settings):
        return None
    facilitator_id = websocket.session.get("facilitator_id")
    if not isinstance(facilitator_id, int):
        return None

    def load() -> Cafe | None:
        with db.read_session() as session:
            cafe = session.get(Cafe, cafe_id)
            if cafe is None or session.get(Facilitator, facilitator_id) is None:
                return None
            return cafe if cafe.facilitator_id == facilitator_id else None

    return await to_thread.run_sync(load)


@router.websocket("/ws/console/{cafe_id}")
async def console_socket(websocket: WebSocket, cafe_id: int) -> None:
    settings, db, hub, cache = _parts(websocket)
    cafe = await _facilitator_cafe(websocket, cafe_id)
    if cafe is None:
        await _refuse(websocket)
        return
    csrf = str(websocket.session.get("csrf", ""))
    base = settings.base_url.rstrip("/")

    async def render(state: cafe_service.CafeState, _event: Event | None) -> str | None:
        moderation = await to_thread.run_sync(read_moderation, db, state.cafe)
        return render_html(
            "console.html",
            {
                "cafe": state.cafe,
                "s": state,
                "m": moderation,
                "oob": True,
                "csrf": csrf,
                "base_url": base,
                "join_url": cafe_service.join_url(base, state.cafe),
            },
            block="console",
        )

    await serve(
        websocket,
        hub=hub,
        cache=cache,
        cafe_id=cafe_id,
        cafe_code=cafe.code,
        channels=[board_channel(cafe_id)],  # board changes are not on the café channel
        render=render,
        coalesce=0.2,
    )


@router.websocket("/ws/projector/{cafe_id}")
async def projector_socket(websocket: WebSocket, cafe_id: int) -> None:
    settings, _, hub, cache = _parts(websocket)
    cafe = await _facilitator_cafe(websocket, cafe_id)
    if cafe is None:
        await _refuse(websocket)
        return
    qr: dict[str, str] = {}  # the join link never changes; draw its QR code once

    async def render(state: cafe_service.CafeState, _event: Event | None) -> str | None:
        url = cafe_service.join_url(settings.base_url, state.cafe)
        if url not in qr:
            qr[url] = qr_svg(url)
        return render_html(
            "projector.html",
            {
                "cafe": state.cafe,
                "s": state,
                "oob": True,
                "join_url": url,
                "qr_svg": qr[url],
            },
            block="board",
        )

    await serve(
        websocket,
        hub=hub,
        cache=cache,
        cafe_id=cafe_id,
        cafe_code=cafe.code,
        channels=[],
        render=render,
        coalesce=0.2,
    )
