"""PostgreSQL's pooled connections are checked before use only after sitting idle
(app/live/pool.py): a connection whose server went away meanwhile is replaced unseen, and
one given back a moment ago is used without a round trip first."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from app.db import Database
from app.live.pool import IDLE_SECONDS, ping_when_idle

pytestmark = pytest.mark.skipif(
    not os.environ.get("TABLECLOTH_TEST_DATABASE", "sqlite").startswith("postgresql"),
    reason="PostgreSQL's connection pool",
)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    found = Database(database_url, pool_check=ping_when_idle)
    yield found
    found.dispose()


def _backend(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_whose_server_process_ended_while_idle_is_replaced(
    db: Database, database_url: str
) -> None:
    first = _backend(db)
    # As a PostgreSQL restart does to every pooled connection.
    killer = Database(database_url)
    try:
        with killer.engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first}).scalar()
    finally:
        killer.dispose()
    time.sleep(IDLE_SECONDS + 0.2)
    assert _backend(db) != first  # no error: checked, found dead, replaced


def test_a_connection_given_back_a_moment_ago_is_not_checked(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    ping = db.engine.dialect.do_ping

    def counted(connection: object) -> bool:
        pings.append(connection)
        return ping(connection)  # type: ignore[arg-type]

    monkeypatch.setattr(db.engine.dialect, "do_ping", counted)
    first = _backend(db)
    assert [_backend(db) for _ in range(5)] == [first] * 5
    assert pings == []
    time.sleep(IDLE_SECONDS + 0.2)
    assert _backend(db) == first
    assert len(pings) == 1
