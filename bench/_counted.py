"""The app as the benchmarks serve it when they count its database work: the real app
(`app.main:create_app`), with SQLAlchemy listeners that count what this process sends to
the database, and one extra path, `GET /bench/statements`, that answers the counts so far.

Counting is deterministic where timings on a shared machine are not: a change that saves a
statement or a round trip a join shows here whatever the neighbours are doing.

    uvicorn bench._counted:create_app --factory   (tests/live_server.py `factory=`)
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from anyio import to_thread
from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.pool import Pool
from starlette.types import ASGIApp, Receive, Scope, Send

from app.main import create_app as create_real_app

PATH = "/bench/statements"

_counts: Counter[str] = Counter()
_guard = threading.Lock()


def _count(what: str) -> None:
    with _guard:
        _counts[what] += 1


def _on_statement(*_args: Any) -> None:
    _count("statements")


def _on_begin(conn: Connection) -> None:
    # In autocommit (the one-statement reads on PostgreSQL) no BEGIN reaches the server.
    if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        _count("transactions")


def _on_checkout(*_args: Any) -> None:
    _count("checkouts")


def _count_pings(dialect: type[Dialect]) -> None:
    """A connection's check before use (`pool_pre_ping`, or app/live/pool.py): a round trip
    each. The dialect has no event for it, so its method is wrapped, here only."""
    ping = dialect.do_ping

    def counted_ping(self: Dialect, dbapi_connection: Any) -> bool:
        _count("pings")
        return ping(self, dbapi_connection)

    dialect.do_ping = counted_ping  # type: ignore[method-assign]


def _count_thread_hops() -> None:
    """Each hand-over to a worker thread and back (anyio's `to_thread.run_sync`, which
    FastAPI and Starlette use for `def` routes and dependencies too): at the join burst
    they cost a sixth of the server's CPU (bench/README.md)."""
    run_sync = to_thread.run_sync

    async def counted_run_sync(*args: Any, **kwargs: Any) -> Any:
        _count("thread_hops")
        return await run_sync(*args, **kwargs)

    to_thread.run_sync = counted_run_sync  # type: ignore[assignment]


def create_app() -> ASGIApp:
    """The real app, its database work counted (every engine of this process)."""
    event.listen(Engine, "before_cursor_execute", _on_statement)
    event.listen(Engine, "begin", _on_begin)
    event.listen(Pool, "checkout", _on_checkout)
    app = create_real_app()
    _count_pings(type(app.state.db.engine.dialect))
    _count_thread_hops()

    async def counted(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH:
            with _guard:
                body = json.dumps(dict(_counts)).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return counted
