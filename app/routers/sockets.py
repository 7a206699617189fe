"""Websockets for phones, the console and the projector. They only push; writes go over HTTP.

Each handler checks the Origin and the cookie before `accept()`, then hands the connection
to `app.live.sockets.serve` with the view that draws its pushes."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from app.config import Settings
from app.db import Database
from app.live.facilitator import console_view, facilitator_cafe, projector_view
from app.live.hub import Hub, board_channel
from app.live.phone import phone_of_socket
from app.live.sockets import POLICY_VIOLATION, serve
from app.live.state import StateCache
from app.security import origin_allowed

router = APIRouter()


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
    phone = await phone_of_socket(websocket, db, cafe_id)
    if phone is None:
        await _refuse(websocket)
        return
    await serve(
        websocket,
        hub=hub,
        cache=cache,
        cafe_id=cafe_id,
        cafe_code=phone.code,
        channels=phone.channels(),
        render=phone.render,
    )


async def _facilitator_view(websocket: WebSocket, cafe_id: int, *, console: bool) -> None:
    """The console or the projector, for the café's own facilitator only; they redraw at
    most five times a second."""
    settings, db, hub, cache = _parts(websocket)
    cafe = await facilitator_cafe(websocket, settings, db, cafe_id)
    if cafe is None:
        await _refuse(websocket)
        return
    # The console shows the boards too: their changes are not on the café channel.
    channels = [board_channel(cafe_id)] if console else []
    render = console_view(websocket, settings, db) if console else projector_view(settings)
    await serve(
        websocket,
        hub=hub,
        cache=cache,
        cafe_id=cafe_id,
        cafe_code=cafe.code,
        channels=channels,
        render=render,
        coalesce=0.2,
    )


@router.websocket("/ws/console/{cafe_id}")
async def console_socket(websocket: WebSocket, cafe_id: int) -> None:
    await _facilitator_view(websocket, cafe_id, console=True)


@router.websocket("/ws/projector/{cafe_id}")
async def projector_socket(websocket: WebSocket, cafe_id: int) -> None:
    await _facilitator_view(websocket, cafe_id, console=False)
