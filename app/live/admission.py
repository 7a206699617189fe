"""How many requests are let in at once, and what the rest are told.

A room scanning the join code at once is 200 requests in flight. Each request that reaches
the routes may hold a database connection from the moment its first dependency runs until
its response is sent, and does its blocking work in the worker-thread pool, one hop at a
time. Let all 200 in and the requests that hold the pool's 30-40 connections wait for a
thread, while every thread waits for a connection (or for SQLite's write lock, held by a
request that is waiting for a thread): on 2026-12-06 `bench/joins.py` saw 0 of 1,000 joins
succeed, on SQLite and on PostgreSQL, each failing after 30-60 s.

So at most `limit` requests run at once (fewer than the threads, and than the connections a
worker's pools hold); the others wait here on the event loop, first come first served, which
costs nothing but a little memory. One that has waited `wait_seconds` is answered 503 with
`Retry-After` and a sentence saying to try again: a clear answer, never a 500 after 30 s.
Websockets, static files and `/healthz` are not held up here (a socket lives for hours; the
health check must tell the truth about a busy server, not queue behind it).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.i18n import N_, _

NOT_HELD = ("/static/", "/healthz")
RETRY_AFTER_SECONDS = 2
BUSY = N_("Lots of people are joining right now. Please wait a moment and try again.")


class Admission:
    """ASGI middleware: at most `limit` HTTP requests in the app at once, per process."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        wait_seconds: float,
        busy: Callable[[Scope, str, dict[str, str]], Response],
    ) -> None:
        self.app = app
        self.limit = limit
        self.wait_seconds = wait_seconds
        self.busy = busy
        self.turned_away = 0
        # One gate per event loop: the tests run several apps, each on loops of its own.
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._gates = weakref.WeakKeyDictionary()

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.limit)
        return gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NOT_HELD):
            await self.app(scope, receive, send)
            return
        gate = self._gate()
        try:
            async with asyncio.timeout(self.wait_seconds):
                await gate.acquire()
        except TimeoutError:
            self.turned_away += 1
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            await self.busy(scope, _(BUSY), headers)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            gate.release()
