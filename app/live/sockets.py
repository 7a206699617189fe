"""Live views over websockets: each connection renders its own fragment when an event
arrives.

The café state behind the fragments is read once per event per process and shared by every
connection of that café (see `StateCache`), so a rotation with a thousand phones costs a
few queries and a thousand small template renders.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from app.live.hub import Event, Hub, Subscription, SubscriptionClosed, cafe_channel
from app.live.state import StateCache
from app.services.cafe.state import CafeState

log = logging.getLogger("tablecloth.live")

POLICY_VIOLATION = 1008


@dataclass(frozen=True, slots=True)
class Parts:
    """What a view sends for one event, the urgent part first: `then` is drawn and sent only
    after every other connection woken by the same event has been sent its first part. At a
    round start a thousand phones then learn their table before any is sent its new form."""

    first: str
    then: Callable[[], str]


Renderer = Callable[[CafeState, Event | None], Awaitable[str | Parts | None]]


async def _send(websocket: WebSocket, out: str | Parts | None) -> None:
    if isinstance(out, Parts):
        if out.first:
            await websocket.send_text(out.first)
        # To the back of the event loop's queue, behind the other phones this event woke.
        await asyncio.sleep(0)
        if then := out.then():
            await websocket.send_text(then)
    elif out:
        await websocket.send_text(out)


async def serve(
    websocket: WebSocket,
    *,
    hub: Hub,
    cache: StateCache,
    cafe_id: int,
    cafe_code: str,
    channels: list[str],
    render: Renderer,
    coalesce: float = 0.0,
) -> None:
    """Accept, push the current state at once (resync after any reconnect), then push a
    fresh render for every event until the phone goes away."""
    await websocket.accept()
    try:
        async with hub.subscribe(cafe_channel(cafe_id), *channels) as sub:
            state = await cache.get(cafe_id, code=cafe_code)
            if state is None:
                await websocket.close(POLICY_VIOLATION)
                return
            await _send(websocket, await render(state, None))
            # The phone going away ends the feed, so the pushing waits on one thing only
            # (a task and a wait per event per phone cost more than the event's drawing).
            reader = asyncio.create_task(_drain(websocket))
            reader.add_done_callback(lambda _: sub.close())
            # The pushing runs in a task of its own: this handler's coroutine sits under
            # some twenty frames of ASGI middleware and routing, every one of them entered
            # again each time its task wakes; a task made here wakes through three. At a
            # rotation a thousand tasks wake at once.
            pusher = asyncio.create_task(
                _push(websocket, sub, cache, cafe_id, cafe_code, render, coalesce)
            )
            try:
                await pusher
            finally:
                pusher.cancel()
                reader.cancel()
    except (WebSocketDisconnect, RuntimeError, ConnectionError):
        pass
    finally:
        # Close only if the phone is still there; one that went away needs no goodbye.
        if (
            websocket.application_state == WebSocketState.CONNECTED
            and websocket.client_state == WebSocketState.CONNECTED
        ):
            try:
                await websocket.close()
            except (RuntimeError, WebSocketDisconnect):
                pass  # it went away at the same moment


async def _push(
    websocket: WebSocket,
    sub: Subscription,
    cache: StateCache,
    cafe_id: int,
    cafe_code: str,
    render: Renderer,
    coalesce: float,
) -> None:
    """Push a fresh render for every event until the feed ends (`serve`)."""
    drawing = 0.0  # how long the last render took
    while True:
        try:
            event = await sub.get()
        except SubscriptionClosed:
            return
        if event is None:
            continue
        _note(cache, cafe_id, event)
        # Board changes carry no `seq`: the café state is as it was.
        quiet = "seq" not in event.data
        if coalesce:
            # A burst of events (people joining, cards posted) becomes one render; a view
            # that is slow to draw (the console of a big café) waits longer, so it never
            # takes more than a fifth of the CPU.
            await asyncio.sleep(max(coalesce, 4 * drawing))
            while (more := await sub.get(timeout=0)) is not None:
                event = more
                _note(cache, cafe_id, event)
                quiet = quiet and "seq" not in event.data
        state = await cache.get(
            cafe_id, code=cafe_code, max_age=cache.QUIET_MAX_AGE if quiet else None
        )
        if state is None:
            return
        if coalesce:
            began = time.perf_counter()
            out = await render(state, event)
            drawing = time.perf_counter() - began
        else:
            out = await render(state, event)
        await _send(websocket, out)


def _note(cache: StateCache, cafe_id: int, event: Event) -> None:
    seq: Any = event.data.get("seq")
    if isinstance(seq, int) and event.data.get("cafe_id") == cafe_id:
        cache.saw(cafe_id, seq)


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the phone sends; returns when it disconnects."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
