"""PostgreSQL's connection pool: a connection is checked before use only after it sat idle.

`pool_pre_ping` sends `SELECT 1` every time a connection is taken from the pool, a round trip
before every request's first statement: at a room's join burst six of them a join
(`bench/joins.py` counts them), and in that burst no connection sits in the pool for more
than a few milliseconds. A connection that has sat idle `IDLE_SECONDS` or more is still
checked first, as before: a PostgreSQL restart or a dropped connection is found then, the
pool is emptied of every connection made before it, and the request gets a fresh one. One
returned to the pool less than that ago was working a moment before.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

IDLE_SECONDS = 1.0
_RETURNED = "tablecloth_returned"  # when the connection was last given back (monotonic)


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_SECONDS) -> None:
    """Check a connection taken from `engine`'s pool only when it was idle `idle_seconds`
    or more (instead of `pool_pre_ping`, which checks it every time)."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(_dbapi: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        returned = record.info.get(_RETURNED)
        # A new connection (never returned) has just been made: it works.
        if returned is None or time.monotonic() - returned < idle_seconds:
            return
        connection = record.dbapi_connection
        if connection is None:
            return
        try:
            alive = dialect.do_ping(connection)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, connection, None):
                raise
            alive = False
        if not alive:
            # As `pool_pre_ping` does: every connection made before now is dropped, and the
            # pool tries again with a new one.
            raise InvalidatePoolError()
