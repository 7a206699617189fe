"""Engine, session dependency and SQLite tuning."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any, Literal

from anyio import to_thread
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

TxMode = Literal["write", "read", "statement"]
PoolCheck = Callable[[Engine], None]


log = logging.getLogger("tablecloth.db")

BUSY_MS = 30_000  # how long a SQLite writer waits for the write lock before giving up
CHECKPOINT_SECONDS = 1.0  # how often the app copies SQLite's log into the database file


def make_engine(
    url: str,
    *,
    read_only: bool = False,
    tx: TxMode | None = None,
    busy_ms: int = BUSY_MS,
    checkpoints: bool = True,
    pool_check: PoolCheck | None = None,
) -> Engine:
    """An engine for `url`. On SQLite, `tx` picks how transactions begin: "write" takes the
    write lock up front, "read" defers it, "statement" runs each statement on its own (for
    scripts and tests that mix their own writes with the app's); `busy_ms` is how long a
    writer waits for the lock (0: fail at once with "database is locked"; on PostgreSQL its
    `lock_timeout`, 0 there waiting for good); `checkpoints`
    False: a commit never copies the log into the database file (`Database.checkpoint`);
    `pool_check`, on PostgreSQL: installs how a pooled connection is checked before use
    (the app's: `app.live.pool.ping_when_idle`); None: `pool_pre_ping`, at every use."""
    mode: TxMode = tx or ("read" if read_only else "write")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
            pool_size=20,
            max_overflow=20,
        )
        pragmas = functools.partial(_sqlite_pragmas, busy_ms=busy_ms, checkpoints=checkpoints)
        event.listen(engine, "connect", pragmas)
        if mode != "statement":
            event.listen(engine, "begin", _sqlite_begin_read if mode == "read" else _sqlite_begin)
        return engine
    if url.startswith("postgresql"):
        engine = create_engine(
            url,
            connect_args={"options": f"-c lock_timeout={int(busy_ms)}"},
            # Kept open: as many as requests run at once (TABLECLOTH_REQUESTS_IN_FLIGHT, 24)
            # and some. With 10 kept, a room joining at once opened and closed a connection
            # for most requests (a new server process each time, on the same CPUs).
            pool_size=32,
            max_overflow=8,
            pool_pre_ping=pool_check is None,
        )
        if pool_check is not None:
            pool_check(engine)
        return engine
    return create_engine(url, poolclass=NullPool)


def _sqlite_pragmas(
    dbapi_conn: Any, _record: Any, *, busy_ms: int = BUSY_MS, checkpoints: bool = True
) -> None:
    # Let SQLAlchemy own transactions (BEGIN IMMEDIATE below), the Python driver must not.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    if not checkpoints:
        cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock up front so two writers queue on busy_timeout
    # instead of failing with "database is locked" when a reader upgrades.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_read(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


class Database:
    """Holds the engine for one app instance (tests build several)."""

    def __init__(
        self, url: str, *, busy_ms: int = BUSY_MS, pool_check: PoolCheck | None = None
    ) -> None:
        self.url = url
        self.busy_ms = busy_ms  # how long a writer waits for a lock
        self.engine = make_engine(url, busy_ms=busy_ms, pool_check=pool_check)
        # Reads (GET requests, live views) use a second engine on SQLite whose transactions
        # do not take the write lock, so readers never queue behind writers.
        self.read_engine = (
            make_engine(url, read_only=True) if url.startswith("sqlite") else self.engine
        )

        # One-statement reads (who is behind a phone's request, many a second) need no
        # transaction of their own: each statement is then its own snapshot and the BEGIN
        # and its ending are saved. On SQLite an engine of its own; on PostgreSQL the main
        # engine's pool in autocommit (two round trips fewer a read: a room joining at once
        # makes ten of them a join).
        if url.startswith("sqlite"):
            self.statement_engine = make_engine(url, tx="statement")
        elif url.startswith("postgresql"):
            self.statement_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        else:
            self.statement_engine = self.engine

        # Writes run on the event loop (a phone's post) must never wait for SQLite's lock
        # there: on this engine they fail at once instead, and are run again in a worker
        # thread on the main engine. Only SQLite has it (`None` elsewhere).
        # Nor do they ever copy the write-ahead log into the database file: the commit that
        # finds the log past 1,000 pages does that, with an fsync (5-35 ms here, as long as
        # the disk likes when it is busy), and on the loop every phone would wait for it.
        # The app calls `checkpoint` from a worker thread instead (`app.main`).
        self.nowait_engine = (
            make_engine(url, busy_ms=0, checkpoints=False) if url.startswith("sqlite") else None
        )

    @property
    def local(self) -> bool:
        """SQLite: the database is a file of this machine; a read never waits for a lock."""
        return self.nowait_engine is not None

    def session(self, *, read: bool = False) -> Iterator[Session]:
        with Session(self.read_engine if read else self.engine, expire_on_commit=False) as session:
            yield session

    def read_session(self) -> Session:
        return Session(self.read_engine, expire_on_commit=False)

    def statement_session(self) -> Session:
        """For a read of ONE statement: no transaction around it on SQLite."""
        return Session(self.statement_engine, expire_on_commit=False)

    def checkpoint(self) -> tuple[int, int] | None:
        """Copy what SQLite's write-ahead log holds into the database file, as far as it can
        without waiting for anyone (PASSIVE: readers and writers go on meanwhile). Returns
        the pages in the log and how many of them are now in the file; None off SQLite."""
        if self.nowait_engine is None:
            return None
        with self.statement_engine.connect() as conn:
            row = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        return int(row[1]), int(row[2])

    def dispose(self) -> None:
        for engine in {self.engine, self.read_engine, self.statement_engine, self.nowait_engine}:
            if engine is not None:
                engine.dispose()


async def keep_checkpointing(db: Database, every: float = CHECKPOINT_SECONDS) -> None:
    """While the app runs (a task of its lifespan): `db.checkpoint()` every `every` seconds
    in a worker thread, so the commits made on the event loop never do it themselves. At 300
    posts a second the log grows by about 1,000 pages (4 MB) a second."""
    while True:
        await asyncio.sleep(every)
        try:
            await to_thread.run_sync(db.checkpoint)
        except (SQLAlchemyError, OSError):
            # A full disk, say; a commit elsewhere may still checkpoint. Try again later.
            log.warning("copying SQLite's log into the database failed", exc_info=True)
