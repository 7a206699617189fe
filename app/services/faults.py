"""Storage faults: the database or the media folder cannot take a write just now.

A read-only database file, a full disk, a lock another writer holds past the busy timeout,
a PostgreSQL server that is down, read-only or out of room. None of these is the person's
mistake nor a bug: nothing was stored (the transaction rolled back, no file left behind),
and the same request sent again once the fault has passed will work. They are told so
(503 with Retry-After), never shown a bare "Internal Server Error".
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Literal

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.i18n import N_

Reason = Literal["read-only", "full", "locked", "unreachable", "disk error"]

SAVE_FAILED = N_("We could not save that just now. Please try again in a moment.")
RETRY_AFTER = 5  # seconds a client is asked to wait before sending again

# SQLite's primary result codes (the low byte of an extended code).
_SQLITE: dict[int, Reason] = {
    sqlite3.SQLITE_READONLY: "read-only",
    sqlite3.SQLITE_FULL: "full",
    sqlite3.SQLITE_BUSY: "locked",
    sqlite3.SQLITE_LOCKED: "locked",
    sqlite3.SQLITE_IOERR: "disk error",
    sqlite3.SQLITE_CANTOPEN: "unreachable",
}
# The same faults by SQLite's message, for a driver error that carries no code.
_SQLITE_MESSAGES: dict[str, Reason] = {
    "readonly database": "read-only",
    "database or disk is full": "full",
    "database is locked": "locked",
    "disk i/o error": "disk error",
    "unable to open database file": "unreachable",
}
# PostgreSQL's SQLSTATEs, exact or by class (the first two characters).
_SQLSTATE: dict[str, Reason] = {
    "25006": "read-only",  # read_only_sql_transaction
    "53100": "full",  # disk_full
    "55P03": "locked",  # lock_not_available (lock_timeout)
    "57014": "locked",  # query_canceled (statement_timeout)
    "40001": "locked",  # serialization_failure
    "40P01": "locked",  # deadlock_detected
    "58030": "disk error",  # io_error
    "08": "unreachable",  # connection exceptions
    "53": "unreachable",  # insufficient resources: connections, memory
    "57P": "unreachable",  # the server is shutting down or starting up
}
_OS: dict[int, Reason] = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EROFS: "read-only",
    errno.EIO: "disk error",
}


def storage_fault(exc: BaseException) -> Reason | None:
    """What kind of storage fault `exc` is, or None when it is something else (a bug)."""
    if isinstance(exc, OSError):
        return _OS.get(exc.errno or 0)
    if isinstance(exc, PoolTimeout):
        return "unreachable"  # every pooled connection busy past the pool's timeout
    if isinstance(exc, DBAPIError):
        return _database_fault(exc)
    return None


def _database_fault(exc: DBAPIError) -> Reason | None:
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _SQLITE:
        return _SQLITE[code & 0xFF]
    if isinstance(orig, sqlite3.Error):
        message = str(orig).lower()
        return next((r for text, r in _SQLITE_MESSAGES.items() if text in message), None)
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        for key in (state, state[:3], state[:2]):
            if key in _SQLSTATE:
                return _SQLSTATE[key]
        return None
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        # No SQLSTATE at all: the server was never reached (refused, reset, timed out).
        return "unreachable"
    return None
