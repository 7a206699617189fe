"""Real databases (SQLite file or PostgreSQL, chosen by TABLECLOTH_TEST_DATABASE), the app with
its lifespan, and small factories. Each test starts from empty tables."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.migrate import upgrade
from app.models.accounts import Facilitator
from tests.factories import PASSWORD, make_facilitator

BASE_URL = "http://testserver"


def _postgres_admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database for the whole run: a SQLite file, or a new PostgreSQL
    database created beside the one named in TABLECLOTH_TEST_DATABASE and dropped after."""
    choice = os.environ.get("TABLECLOTH_TEST_DATABASE", "sqlite")
    if choice == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade(url)
        yield url
        return
    name = f"tablecloth_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_postgres_admin_url(choice), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = choice.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[object]:
    # The tests' own session must never hold SQLite's write lock or a stale read snapshot
    # while the app writes, so each of its statements stands alone.
    eng = make_engine(database_url, tx="statement")
    yield eng
    eng.dispose()


# Every sequence of the schema back to its start (what TRUNCATE's RESTART IDENTITY did).
_RESTART_IDS = (
    "SELECT setval(c.oid, 1, false) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
)


def _empty_tables(engine: object, url: str) -> None:
    import app.models  # noqa: F401

    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    # The shared test server may still be finishing the last test's work (a round planned
    # ahead, a socket's last read) when the next test empties the tables: on PostgreSQL the
    # emptying can then deadlock with it, and the server's side finishes. Try again.
    for attempt in range(5):
        try:
            with engine.begin() as conn:  # type: ignore[attr-defined]
                if url.startswith("postgresql"):
                    # Every table locked against writers first (as TRUNCATE locked them), so
                    # the server's last writes wait and cannot slip in between; then children
                    # before parents, and the ids start at 1 again: a few milliseconds, where
                    # a TRUNCATE of the 49 tables took 49 ms a test.
                    names = ", ".join(f'"{t}"' for t in tables)
                    conn.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))
                    conn.execute(text("; ".join(f'DELETE FROM "{t}"' for t in tables)))
                    conn.execute(text(_RESTART_IDS))
                else:
                    for table in tables:
                        conn.execute(text(f'DELETE FROM "{table}"'))
            return
        except OperationalError as error:
            if "deadlock detected" not in str(error) or attempt == 4:
                raise
            time.sleep(0.5)


@pytest.fixture
def settings(database_url: str, tmp_path: Path, engine: object) -> Settings:
    _empty_tables(engine, database_url)
    return Settings(
        mode="production",
        database_url=database_url,
        secret_key="test-secret-" + "x" * 40,
        base_url=BASE_URL,
        media_dir=tmp_path / "media",
        broadcast_url="memory://",
    )


@pytest.fixture
def app(settings: Settings) -> object:
    return create_app(settings)


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL) as c:  # type: ignore[arg-type]
        yield c


@pytest.fixture
def session(engine: object, settings: Settings) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:  # type: ignore[arg-type]
        yield s


@pytest.fixture
def facilitator(session: Session) -> Facilitator:
    return make_facilitator(session)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """Load a page and read the CSRF token from its form."""
    import re

    html = client.get(path).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def logged_in(client: TestClient, facilitator: Facilitator) -> TestClient:
    token = csrf_of(client)
    response = client.post(
        "/login",
        data={
            "email": facilitator.email,
            "password": PASSWORD,
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


@pytest.fixture
def api_headers(client: TestClient, facilitator: Facilitator) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
