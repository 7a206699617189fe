"""Websockets for phones, the console and the projector. They only push; writes go over HTTP."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, WebSocket

from app.config import Settings
from app.db import Database
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe, Participant
from app.realtime.hub import CafeEvent, Event, Hub, participant_channel
from app.realtime.live import POLICY_VIOLATION, StateCache, serve
from app.rendering import render_html
from app.routers.cafes import qr_svg
from app.security import origin_allowed
from app.services import cafe as cafe_service

router = APIRouter()

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

    def load() -> Participant | None:
        with db.read_session() as session:
            cafe = session.get(Cafe, cafe_id)
            if cafe is None or not isinstance(entry[0], int) or not isinstance(entry[1], str):
                return None
            return cafe_service.participant_for_cookie(
                session=session, cafe=cafe, participant_id=entry[0], secret=entry[1]
            )

    person = await to_thread.run_sync(load)
    if person is None or person.id is None:
        await _refuse(websocket)
        return
    csrf = str(websocket.session.get("csrf", ""))
    last_html: list[str] = [""]

    async def render(state: cafe_service.CafeState, event: Event | None) -> str | None:
        if event is not None and event.data.get("type") not in PHONE_EVENTS:
            return None
        if event is not None and event.data.get("type") == CafeEvent.SEATING_CHANGED:
            mover = event.data.get("participant_id")
            mine = state.table_of.get(person.id or 0)
            moved_to = event.data.get("table_id") or state.table_of.get(mover or 0)
            if mover != person.id and moved_to != mine and state.cafe.seating_mode != "free":
                return None
        view = cafe_service.participant_view(state, person, utcnow())
        html = render_html(
            "participant.html",
            {"cafe": state.cafe, "v": view, "person": person, "oob": True, "csrf": csrf},
            block="now",
        )
        if html == last_html[0]:
            return None
        last_html[0] = html
        return html

    await serve(
        websocket,
        hub=hub,
        cache=cache,
        cafe_id=cafe_id,
        channels=[participant_channel(person.id)],
        render=render,
    )


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
    settings, _, hub, cache = _parts(websocket)
    if await _facilitator_cafe(websocket, cafe_id) is None:
        await _refuse(websocket)
        return
    csrf = str(websocket.session.get("csrf", ""))
    base = settings.base_url.rstrip("/")

    async def render(state: cafe_service.CafeState, _event: Event | None) -> str | None:
        return render_html(
            "console.html",
            {
                "cafe": state.cafe,
                "s": state,
                "oob": True,
                "csrf": csrf,
                "base_url": base,
                "join_url": cafe_service.join_url(base, state.cafe),
            },
            block="console",
        )

    await serve(
        websocket, hub=hub, cache=cache, cafe_id=cafe_id, channels=[], render=render, coalesce=0.2
    )


@router.websocket("/ws/projector/{cafe_id}")
async def projector_socket(websocket: WebSocket, cafe_id: int) -> None:
    settings, _, hub, cache = _parts(websocket)
    if await _facilitator_cafe(websocket, cafe_id) is None:
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
        websocket, hub=hub, cache=cache, cafe_id=cafe_id, channels=[], render=render, coalesce=0.2
    )
