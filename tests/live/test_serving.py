"""The event loop the app is served on takes new connections promptly when it is busy, and
its websockets' keep-alive pings do not all come at once."""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import uvloop
from sqlmodel import Session
from websockets.asyncio.client import ClientConnection, connect
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import Event
from websockets.typing import Origin

from app import serving
from app.security import SESSION_COOKIE
from tests.factories import PASSWORD, make_facilitator
from tests.live_phones import FacilitatorApi, join, ws_url
from tests.live_server import LiveServer

BUSY_TURN = 0.02  # seconds each turn of the loop spends on other work


class Counting(asyncio.Protocol):
    made = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: ARG002
        Counting.made += 1

    def data_received(self, data: bytes) -> None:
        pass


def seconds_to_take(loop_factory: Callable[[], asyncio.AbstractEventLoop], n: int) -> float:
    """How long a loop busy for BUSY_TURN every turn needs to take n waiting connections."""
    Counting.made = 0
    loop = loop_factory()
    clients: list[socket.socket] = []

    async def main() -> float:
        running = asyncio.get_running_loop()
        server = await running.create_server(Counting, "127.0.0.1", 0, backlog=1024)
        port = server.sockets[0].getsockname()[1]

        def busy() -> None:  # a server at work: every turn of the loop runs a slow callback
            time.sleep(BUSY_TURN)
            running.call_soon(busy)

        running.call_soon(busy)
        # The connections arrive together, from another thread, while the loop is busy.
        connect = threading.Thread(
            target=lambda: clients.extend(
                socket.create_connection(("127.0.0.1", port)) for _ in range(n)
            )
        )
        connect.start()
        await asyncio.to_thread(connect.join)
        began = time.perf_counter()
        while Counting.made < n and time.perf_counter() - began < 30:
            await asyncio.sleep(0)
        took = time.perf_counter() - began
        server.close()
        await server.wait_closed()
        return took

    try:
        return loop.run_until_complete(main())
    finally:
        for client in clients:
            client.close()
        loop.close()


def test_a_busy_server_takes_every_waiting_connection_in_one_turn() -> None:
    n = 100
    ours = seconds_to_take(serving.new_event_loop, n)
    assert Counting.made == n
    # libuv alone takes one per turn: n turns of BUSY_TURN. Ours takes them in one or two.
    assert ours < n * BUSY_TURN / 4, f"{n} waiting connections took {ours:.2f} s"


def test_plain_uvloop_takes_one_connection_per_turn() -> None:
    """What the loop is for: if uvloop (libuv) ever takes connections in batches again, this
    says so and `app.serving` can go."""
    n = 40
    plain = seconds_to_take(uvloop.new_event_loop, n)
    assert plain > n * BUSY_TURN / 2, f"plain uvloop took {n} connections in {plain:.2f} s"


def test_the_server_answers_over_its_connections_and_closes() -> None:
    loop = serving.new_event_loop()

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport: Any = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data.upper())
            self.transport.close()

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]

        async def ask(word: bytes) -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(word)
            answer = await reader.read()
            writer.close()
            return answer

        words = [f"word{i}".encode() for i in range(50)]
        assert await asyncio.gather(*(ask(w) for w in words)) == [w.upper() for w in words]
        assert server.is_serving()
        server.close()
        await server.wait_closed()
        assert not server.is_serving()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def test_out_of_file_descriptors_pauses_accepting_then_resumes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(serving, "RETRY_AFTER", 0.05)
    loop = serving.new_event_loop()

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Counting, "127.0.0.1", 0)
        assert isinstance(server, serving.BatchAcceptServer)
        listening = server.sockets[0]

        class Exhausted:
            def accept(self) -> Any:
                raise OSError(errno.EMFILE, "Too many open files")

        server._accept(Exhausted())  # type: ignore[arg-type]
        assert not server.is_serving()  # no spinning on a socket that cannot be accepted
        await asyncio.sleep(0.2)
        assert server.is_serving()
        Counting.made = 0
        client = socket.create_connection(listening.getsockname())
        for _ in range(200):
            if Counting.made:
                break
            await asyncio.sleep(0.01)
        client.close()
        assert Counting.made == 1
        server.close()

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


class PingedPhone(ClientConnection):
    """A phone's websocket that notes when each keep-alive ping from the server came."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened = time.monotonic()
        self.pings: list[float] = []

    def process_event(self, event: Event) -> None:
        if isinstance(event, Response):
            # The server's answer to the handshake: its keep-alive starts as it accepts.
            self.opened = time.monotonic()
        if isinstance(event, Frame) and event.opcode is Opcode.PING:
            self.pings.append(time.monotonic() - self.opened)
        super().process_event(event)


@pytest.mark.asyncio
async def test_phones_that_connect_together_are_not_pinged_together(
    database_url: str, session: Session, tmp_path: Path
) -> None:
    """Each socket still gets its heartbeat within one interval, but a room's phones that
    connect at the same moment are pinged at moments spread over half an interval, not in
    one burst (uvicorn alone pings them all one interval after they opened)."""
    interval = 2.0
    with LiveServer(
        database_url=database_url,
        log_dir=tmp_path,
        extra_env={"UVICORN_WS_PING_INTERVAL": str(interval)},
    ) as server:
        api = FacilitatorApi(server.url, make_facilitator(session).email, PASSWORD)
        cafe = api.create_cafe(tables=6, capacity=4, minutes=10)
        api.close()
        # 24 phones: were the first pings spread uniformly over half an interval, the
        # chance that all 24 fell within a quarter of one would be about 3 in a million.
        cookies = [join(server.url, cafe["code"], f"Phone {n}") for n in range(24)]
        url = ws_url(server.url, f"/ws/p/{cafe['id']}")
        phones = await asyncio.gather(
            *(
                connect(
                    url,
                    origin=Origin(server.url),
                    additional_headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
                    create_connection=PingedPhone,
                    ping_interval=None,
                    proxy=None,
                )
                for cookie in cookies
            )
        )
        try:
            await asyncio.sleep(interval + 0.5)
        finally:
            for phone in phones:
                await phone.close()
    firsts = [phone.pings[0] for phone in phones if isinstance(phone, PingedPhone) and phone.pings]
    assert len(firsts) == len(phones), "every phone is pinged within an interval"
    assert all(interval / 2 - 0.2 <= first <= interval + 0.3 for first in firsts), firsts
    assert max(firsts) - min(firsts) >= interval / 4, f"pinged in one burst: {sorted(firsts)}"
