"""SQLite's write-ahead log is copied into the database file by the app in a worker thread,
never by a commit made on the event loop (where every phone would wait for its fsync)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.migrate import upgrade

pytestmark = pytest.mark.skipif(
    os.environ.get("TABLECLOTH_TEST_DATABASE", "sqlite") != "sqlite",
    reason="SQLite's write-ahead log",
)

PAGE = 4096


def _fill(db: Database, pages: int) -> None:
    """About `pages` pages of rows, written through the engine the event loop writes with."""
    assert db.nowait_engine is not None
    with db.nowait_engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (x BLOB)"))
    for _ in range(pages // 50):
        with db.nowait_engine.begin() as conn:
            conn.execute(
                text("INSERT INTO filler (x) VALUES (randomblob(:n))"),
                [{"n": PAGE - 200}] * 50,
            )


def test_commits_on_the_loop_leave_the_log_to_the_checkpoint(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'one.db'}")
    try:
        assert db.nowait_engine is not None
        with db.nowait_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        with db.engine.connect() as conn:  # worker threads' commits still may
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
        _fill(db, 1500)
        # Past SQLite's 1,000 pages, and still all in the log: no commit copied it.
        assert (tmp_path / "one.db").stat().st_size < 100 * PAGE
        result = db.checkpoint()
        assert result is not None
        in_log, copied = result
        assert in_log > 1500 and copied == in_log
        assert (tmp_path / "one.db").stat().st_size > 1500 * PAGE
        with db.read_engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM filler").scalar() == 1500
    finally:
        db.dispose()


def test_the_running_app_copies_the_log_every_second(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    settings = Settings(
        mode="production",
        database_url=url,
        secret_key="test-secret-" + "x" * 40,
        media_dir=tmp_path / "media",
        broadcast_url="memory://",
    )
    app = create_app(settings)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        db: Database = app.state.db
        before = (tmp_path / "app.db").stat().st_size
        _fill(db, 1500)
        deadline = time.monotonic() + 10
        while (tmp_path / "app.db").stat().st_size < before + 1500 * PAGE:
            assert time.monotonic() < deadline, "the log was never copied into the database"
            time.sleep(0.1)
