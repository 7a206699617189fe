"""How uvicorn serves the app: uvloop taking new connections in batches, HTTP connections
closed when their request headers are slow to come, and websockets whose keep-alive pings
are spread out.

Run uvicorn with `--loop app.serving:new_event_loop --http app.serving:HeaderTimeout --ws
app.serving:SpreadPings` (the Makefile, the Docker image and the tests do). Everything is
uvloop's except how a listening socket hands over new connections; everything is uvicorn's
HTTP protocol (httptools) except the header deadline (`HeaderTimeout`); everything is
uvicorn's websockets protocol except when a socket's first ping goes (`SpreadPings`).

Why: libuv, under uvloop, takes ONE new connection from the listening socket per turn of the
event loop (libuv 1.45, "don't accept() connections in a loop"). When the app is busy a turn
runs many callbacks (1,000 phones' sockets, posts, pushes), so new connections wait in the
kernel's queue behind the work on connections already open: in `bench/contributions.py`
(1,000 phones, 300 posts a second) the queue grew to 880 connections, drained about four a
second, and a phone's post waited up to 18 s before the app saw it. Phones open new
connections all the time (a browser's idle connection is closed after uvicorn's keep-alive),
so a busy room meets this whenever no proxy keeps connections open in front of the app.
Here every wake-up of a listening socket takes every connection waiting (up to a batch),
as asyncio's own loop does, and hands each to uvloop as an accepted socket.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import random
import socket
import ssl as ssl_module
from collections.abc import Callable, Iterable
from typing import Any

import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from app.config import get_settings

log = logging.getLogger("tablecloth.serving")

BATCH = 128  # connections taken per wake-up at most: the loop's other work waits no longer
RETRY_AFTER = 1.0  # seconds to stop accepting when the process is out of file descriptors
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class BatchAcceptLoop(uvloop.Loop):
    """uvloop, with TCP servers that take every waiting connection at each wake-up."""

    async def create_server(  # type: ignore[override]
        self,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        host: str | Iterable[str] | None = None,
        port: int | None = None,
        *,
        sock: socket.socket | None = None,
        backlog: int = 100,
        ssl: ssl_module.SSLContext | None = None,
        **kwargs: Any,
    ) -> asyncio.AbstractServer:
        if sock is not None and sock.family not in (socket.AF_INET, socket.AF_INET6):
            return await super().create_server(
                protocol_factory, sock=sock, backlog=backlog, ssl=ssl, **kwargs
            )
        sockets = [sock] if sock is not None else await self._listen(host, port)
        return BatchAcceptServer(self, protocol_factory, sockets, backlog=backlog, ssl=ssl)

    async def _listen(
        self, host: str | Iterable[str] | None, port: int | None
    ) -> list[socket.socket]:
        """Listening sockets for every address `host` names (all interfaces for None)."""
        hosts = [host] if host is None or isinstance(host, str) else list(host)
        infos = []
        for name in hosts:
            infos += await self.getaddrinfo(
                name or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )
        sockets: list[socket.socket] = []
        try:
            for family, kind, proto, _, address in dict.fromkeys(infos):
                sock = socket.socket(family, kind, proto)
                sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(address)  # BatchAcceptServer listens on it
        except OSError:
            for sock in sockets:
                sock.close()
            raise
        return sockets


class BatchAcceptServer(asyncio.AbstractServer):
    """Listening sockets whose waiting connections are all taken at each wake-up."""

    def __init__(
        self,
        loop: BatchAcceptLoop,
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        sockets: list[socket.socket],
        *,
        backlog: int,
        ssl: ssl_module.SSLContext | None,
    ) -> None:
        self._loop = loop
        self._factory = protocol_factory
        self._sockets = sockets
        self._ssl = ssl
        self._serving = False
        self._closed = asyncio.Event()
        self._handing_over: set[asyncio.Task[None]] = set()
        for sock in sockets:
            sock.setblocking(False)
            sock.listen(backlog)
        self._start()

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return tuple(self._sockets)

    def _start(self) -> None:
        if self._serving or self._closed.is_set():
            return
        self._serving = True
        for sock in self._sockets:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def _pause(self) -> None:
        if self._serving:
            self._serving = False
            for sock in self._sockets:
                self._loop.remove_reader(sock.fileno())

    def _accept(self, listening: socket.socket) -> None:
        for _ in range(BATCH):
            try:
                conn, _ = listening.accept()
            except (BlockingIOError, InterruptedError):
                return  # nobody else is waiting
            except OSError as exc:
                if exc.errno in _OUT_OF_RESOURCES:
                    # Out of file descriptors or memory: accepting again at once would spin.
                    log.error("cannot accept a connection (%s); pausing %.0f s", exc, RETRY_AFTER)
                    self._pause()
                    self._loop.call_later(RETRY_AFTER, self._start)
                    return
                continue  # that one connection failed (reset before it was taken): next
            conn.setblocking(False)
            self._hand_over(conn)

    def _hand_over(self, conn: socket.socket) -> None:
        task = self._loop.create_task(self._serve(conn))
        self._handing_over.add(task)  # a task nobody holds may be collected mid-way
        task.add_done_callback(self._handing_over.discard)

    async def _serve(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn, ssl=self._ssl)
        except (OSError, asyncio.CancelledError, ssl_module.SSLError) as exc:
            conn.close()  # reset by the peer, or a TLS handshake that failed
            log.debug("a new connection ended before it was served: %r", exc)

    def close(self) -> None:
        self._pause()
        self._closed.set()
        for sock in self._sockets:
            sock.close()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def is_serving(self) -> bool:
        return self._serving

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    async def start_serving(self) -> None:
        self._start()

    async def serve_forever(self) -> None:
        self._start()
        await self._closed.wait()

    async def __aenter__(self) -> BatchAcceptServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
        await self.wait_closed()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvicorn's `--loop app.serving:new_event_loop`: a new `BatchAcceptLoop`."""
    return BatchAcceptLoop()


class SpreadPings(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol (the one `--ws auto` picks), with each socket's first
    keep-alive ping at a random moment in the second half of its first interval.

    uvicorn pings a socket `--ws-ping-interval` seconds (20) after it opened, then every
    interval after each answer. A room's phones open their sockets together (at the start,
    and again after the venue's Wi-Fi drops), so they would be pinged together too: a
    thousand pings in a second or two, every 20 s, on the event loop that pushes the round
    starts (`bench/README.md`: a rotation in such a burst took 79 ms instead of 50). Spread
    over half an interval, the pings never bunch up; the heartbeat still finds a dead
    connection within an interval and a half.
    """

    def start_keepalive(self) -> None:
        if self.ping_interval is not None and self.ping_interval > 0:
            delay = self.ping_interval * random.uniform(0.5, 1.0)
            self.ping_timer = self.loop.call_later(delay, self.send_keepalive_ping)


class HeaderTimeout(HttpToolsProtocol):
    """uvicorn's HTTP protocol (httptools, the one `--http auto` picks), closing a connection
    whose request line and headers have not all arrived `TABLECLOTH_HEADER_TIMEOUT_SECONDS`
    (10) after it opened, or after the first byte of a later request on it.

    uvicorn has no such deadline (its `--timeout-keep-alive` starts only after an answer and
    is reset by every byte that arrives), so a client that opens connections and sends half
    a request, or nothing, kept each open for good: 300 of them held 300 file descriptors
    and connection slots until the process ran out. A slow phone on a venue's Wi-Fi sends
    its few hundred bytes of headers in well under a second. The body is not covered: an
    upload may take as long as the phone needs.
    """

    header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()  # a later request on a kept-alive connection

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self.header_timer is None:
            self.header_timer = self.loop.call_later(header_seconds(), self._headers_late)

    def _disarm_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_late(self) -> None:
        self.header_timer = None
        if not self.transport.is_closing():
            log.debug("closing a connection whose request headers did not come in time")
            self.transport.close()


@functools.cache
def header_seconds() -> float:
    """The header deadline, read from the settings once per process."""
    return get_settings().header_timeout_seconds
