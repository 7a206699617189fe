"""Websockets for phones, the console and the projector. They only push; writes go over HTTP.

Each handler checks the Origin, the cookie and how many sockets the address and the person
hold already (`app.live.limits`) before `accept()`, then hands the connection to
`app.live.sockets.serve` with the view that draws its pushes."""

from __future__ import annotations

from collections.abc import Hashable

from fastapi import APIRouter, WebSocket

from app.config import Settings
from app.db import Database
from app.deps.common import RowId
from app.live.facilitator import (
    console_view,
    facilitator_cafe,
    projector_view,
    while_signed_in,
)
from app.live.hub import Hub, board_channel, staff_channel
from app.live.limits import SOCKETS, Held
from app.live.phone import phone_of_socket
from app.live.sockets import POLICY_VIOLATION, serve
from app.live.state import StateCache
from app.security import client_address, origin_allowed

router = APIRouter()


def _parts(websocket: WebSocket) -> tuple[Settings, Database, Hub, StateCache]:
    state = websocket.app.state
    return state.settings, state.db, state.hub, state.live_cache


async def _refuse(websocket: WebSocket) -> None:
    # Closing before accept() makes the server answer the handshake with 403.
    await websocket.close(POLICY_VIOLATION)


def _room_at_address(websocket: WebSocket, settings: Settings) -> bool:
    """A cheap first look, before the cookie is read from the database."""
    return SOCKETS.room_at(client_address(websocket), settings.ws_per_address)


def _take(websocket: WebSocket, settings: Settings, person: Hashable | None) -> Held | None:
    """Count the socket against its address and person (closing that person's oldest
    sockets past the cap); None: the address holds its fill already."""
    return SOCKETS.take(
        websocket,
        address=client_address(websocket),
        person=person,
        per_person=settings.ws_per_person,
        per_address=settings.ws_per_address,
    )


@router.websocket("/ws/p/{cafe_id}")
async def participant_socket(websocket: WebSocket, cafe_id: RowId) -> None:
    settings, db, hub, cache = _parts(websocket)
    if not origin_allowed(websocket, settings):
        await _refuse(websocket)
        return
    # The address is counted once the person is known: at a full address someone who holds
    # a socket from it already may trade it for this one (a reconnect).
    phone = await phone_of_socket(websocket, db, cafe_id)
    held = None if phone is None else _take(websocket, settings, ("participant", phone.pid))
    if phone is None or held is None:
        await _refuse(websocket)
        return
    try:
        await serve(
            websocket,
            hub=hub,
            cache=cache,
            cafe_id=cafe_id,
            cafe_code=phone.code,
            channels=phone.channels(),
            render=phone.render,
        )
    finally:
        phone.close()
        SOCKETS.release(held)


async def _facilitator_view(websocket: WebSocket, cafe_id: RowId, *, console: bool) -> None:
    """The console or the projector, for the café's owner and co-facilitators only; they
    redraw at most five times a second."""
    settings, db, hub, cache = _parts(websocket)
    if not _room_at_address(websocket, settings):
        await _refuse(websocket)
        return
    found = await facilitator_cafe(websocket, settings, db, cafe_id)
    held = None if found is None else _take(websocket, settings, None)
    if found is None or held is None:
        await _refuse(websocket)
        return
    cafe, owner = found
    # The pushes speak as the console's and the projector's pages do: the language the
    # Language middleware chose for this socket (its task inherits the choice).
    # Who joins is told to these views only; the console shows the boards too: neither is
    # on the café channel, which every phone hears.
    # The projector hears the boards as well, for its harvest mode.
    channels = [staff_channel(cafe_id), board_channel(cafe_id)]
    render = (
        console_view(websocket, settings, db, owner=owner)
        if console
        else projector_view(settings, db)
    )
    render = while_signed_in(websocket, db, render, cafe_id=cafe_id)
    try:
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
    finally:
        SOCKETS.release(held)


@router.websocket("/ws/console/{cafe_id}")
async def console_socket(websocket: WebSocket, cafe_id: RowId) -> None:
    await _facilitator_view(websocket, cafe_id, console=True)


@router.websocket("/ws/projector/{cafe_id}")
async def projector_socket(websocket: WebSocket, cafe_id: RowId) -> None:
    await _facilitator_view(websocket, cafe_id, console=False)
