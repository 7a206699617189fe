"""Live views' pushes (`app.live.sockets.serve`), with the in-process hub and stand-in
sockets: what many connections are sent for one event, and in which order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.websockets import WebSocketState

from app.live.hub import CafeEvent, Event, MemoryHub, cafe_channel
from app.live.sockets import Parts, Renderer, serve

pytestmark = pytest.mark.asyncio

CAFE = 7


class Socket:
    """What `serve` uses of a Starlette websocket; every text sent goes into one shared log."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log
        self.application_state = WebSocketState.CONNECTING
        self.client_state = WebSocketState.CONNECTED
        self._gone = asyncio.Event()

    async def accept(self) -> None:
        self.application_state = WebSocketState.CONNECTED

    async def send_text(self, text: str) -> None:
        self.log.append(text)

    async def receive(self) -> dict[str, Any]:
        await self._gone.wait()
        return {"type": "websocket.disconnect"}

    async def close(self, code: int = 1000) -> None:
        self.application_state = WebSocketState.DISCONNECTED
        self.closed_with = code

    def leave(self) -> None:
        self._gone.set()


class Cache:
    """The café state every connection draws from (here a stand-in: the views below do
    not read it)."""

    QUIET_MAX_AGE = 60.0

    def __init__(self) -> None:
        self.state = object()
        self.seen: list[int] = []

    async def get(self, cafe_id: int, *, code: str, max_age: float | None = None) -> object:
        assert (cafe_id, code) == (CAFE, "ABC234")  # the café the socket was opened for
        assert max_age is None or max_age > 0
        return self.state

    def saw(self, cafe_id: int, seq: int) -> None:
        assert cafe_id == CAFE
        self.seen.append(seq)


def view(hub: MemoryHub, socket: Socket, channel: str, render: Renderer) -> asyncio.Task[None]:
    """`serve` on a stand-in socket, in a task of its own, as the websocket route runs it."""
    return asyncio.create_task(
        serve(
            socket,  # type: ignore[arg-type]
            hub=hub,
            cache=Cache(),  # type: ignore[arg-type]
            cafe_id=CAFE,
            cafe_code="ABC234",
            channels=[channel],
            render=render,
        )
    )


async def test_every_connection_gets_its_urgent_part_before_any_gets_the_rest() -> None:
    """A round start tells every phone its table before any phone is sent its new form."""
    hub = MemoryHub()
    await hub.start()
    log: list[str] = []
    sockets = [Socket(f"phone {n}", log) for n in range(30)]

    def phone_view(socket: Socket) -> Renderer:
        async def render(state: object, event: Event | None) -> str | Parts | None:
            if event is None:
                return None  # nothing new to show on connecting
            return Parts(f"table for {socket.name}", lambda: f"form for {socket.name}")

        return render

    tasks = [
        view(hub, socket, f"participant:{n}", phone_view(socket))
        for n, socket in enumerate(sockets)
    ]
    try:
        while hub.local_subscribers(cafe_channel(CAFE)) < len(sockets):
            await asyncio.sleep(0.01)
        await hub.publish(cafe_channel(CAFE), {"type": CafeEvent.ROUND_STARTED, "seq": 1})
        async with asyncio.timeout(5):
            while len(log) < 2 * len(sockets):
                await asyncio.sleep(0.01)
        tables, forms = log[: len(sockets)], log[len(sockets) :]
        assert sorted(tables) == sorted(f"table for {s.name}" for s in sockets)
        assert sorted(forms) == sorted(f"form for {s.name}" for s in sockets)
    finally:
        for socket in sockets:
            socket.leave()
        await asyncio.gather(*tasks, return_exceptions=True)
        await hub.stop()


async def test_a_view_answering_with_one_text_sends_it_whole() -> None:
    hub = MemoryHub()
    await hub.start()
    log: list[str] = []
    socket = Socket("phone", log)
    answers: list[str | None] = ["on connecting", "after the event"]

    async def render(state: object, event: Event | None) -> str | Parts | None:
        return answers.pop(0)

    task = view(hub, socket, "participant:1", render)
    try:
        while hub.local_subscribers(cafe_channel(CAFE)) < 1:
            await asyncio.sleep(0.01)
        await hub.publish(cafe_channel(CAFE), {"type": CafeEvent.ROUND_CHANGED, "seq": 2})
        async with asyncio.timeout(5):
            while len(log) < 2:
                await asyncio.sleep(0.01)
        assert log == ["on connecting", "after the event"]
    finally:
        socket.leave()
        await asyncio.gather(task, return_exceptions=True)
        await hub.stop()
