"""Storage faults (a read-only database, a full disk, a lock held past the busy timeout):
the person is told in words and asked to try again (503, Retry-After), every answer keeps
the security headers, /healthz names the fault, nothing half written stays, and a post sent
again once the fault has passed is stored exactly once."""

from __future__ import annotations

import errno
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session, select

from app.config import Settings
from app.main import create_app
from app.models.evidence import Contribution, Media
from app.services import media as media_service
from tests.board.test_board import HTMX, contributions, post, setup_two_tables, token
from tests.board.test_media import photo_with_gps, upload
from tests.factories import PASSWORD, cafe_payload, make_facilitator

SAVE_FAILED = "We could not save that just now. Please try again in a moment."


def told_to_retry(r: httpx.Response) -> None:
    """A 503 the person can read, with Retry-After and the site's security headers."""
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    if r.headers["content-type"].startswith("application/json"):
        assert r.json() == {"detail": SAVE_FAILED}
    else:
        assert "text/html" in r.headers["content-type"]
        assert SAVE_FAILED in r.text
        assert "Internal Server Error" not in r.text


@contextmanager
def database_read_only(app: FastAPI, database_url: str) -> Iterator[None]:
    """Every new connection of the app's engines refuses writes, as a read-only database
    file (SQLite: query_only, the same SQLITE_READONLY error) or a PostgreSQL server set to
    read-only transactions does."""
    db = app.state.db
    # One listener per pool: on PostgreSQL the one-statement reads use the main engine's
    # pool (in autocommit), and a listener added through both would outlive its removal.
    engines: list[Any] = []
    for engine in (db.engine, db.read_engine, db.statement_engine, db.nowait_engine):
        if engine is not None and all(engine.pool is not seen.pool for seen in engines):
            engines.append(engine)
    sqlite = database_url.startswith("sqlite")

    def refuse_writes(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        if sqlite:
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET default_transaction_read_only = on")
            dbapi_conn.commit()
        cursor.close()

    for engine in engines:
        event.listen(engine, "connect", refuse_writes)
        engine.dispose()
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "connect", refuse_writes)
            engine.dispose()


def test_a_post_on_a_read_only_database_is_refused_readably_and_lands_once_when_retried(
    client: TestClient, api_headers: dict[str, str], session: Session, database_url: str
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    key = uuid.uuid4().hex
    with database_read_only(client.app, database_url):  # type: ignore[arg-type]
        # A phone without scripts gets the page; one with htmx the fragment; both in words.
        told_to_retry(post(ann, code, "Read-only", client_id=key))
        told_to_retry(post(ann, code, "Read-only", client_id=key, htmx=True))
        # The API says it as JSON.
        told_to_retry(client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers))
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "unavailable", "reason": "the database is read-only"}
        # Reading still works meanwhile.
        assert ann.get(f"/p/{code}").status_code == 200
    assert contributions(session) == []
    assert client.get("/healthz").json() == {"status": "ok"}
    assert post(ann, code, "Read-only", client_id=key).status_code == 303
    assert post(ann, code, "Read-only", client_id=key).status_code == 303
    assert [c.text for c in contributions(session)] == ["Read-only"]


def test_a_full_database_is_a_503_and_the_retry_lands_once(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The driver's own error when the post's row is written on a full disk: SQLite's
    "database or disk is full" (SQLITE_FULL), PostgreSQL's disk_full (53100). The log says
    so without what the person wrote (SQLAlchemy's message carries the statement's values)."""
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    db = client.app.state.db  # type: ignore[attr-defined]

    def disk_full() -> Exception:
        if database_url.startswith("sqlite"):
            exc = sqlite3.OperationalError("database or disk is full")
            exc.sqlite_errorcode = sqlite3.SQLITE_FULL
            return exc
        import psycopg

        return psycopg.errors.DiskFull('could not extend file "base/16384/16400"')

    def full(_cursor: Any, statement: str, *_args: Any) -> bool:
        """The driver's answer to the post's INSERT when the disk has no room left."""
        if statement.lstrip().upper().startswith("INSERT INTO CONTRIBUTION"):
            raise disk_full()
        return False

    engines = {db.engine, db.nowait_engine} - {None}
    for engine in engines:
        event.listen(engine, "do_execute", full)
    key = uuid.uuid4().hex
    try:
        told_to_retry(post(ann, cafe["code"], "Too full", client_id=key, htmx=True))
        told_to_retry(post(ann, cafe["code"], "Too full", client_id=key))
    finally:
        for engine in engines:
            event.remove(engine, "do_execute", full)
    assert "storage fault (full) on POST /p/" in caplog.text
    assert "Too full" not in caplog.text
    assert contributions(session) == []
    assert post(ann, cafe["code"], "Too full", client_id=key).status_code == 303
    assert [c.text for c in contributions(session)] == ["Too full"]


def test_a_lock_held_past_the_lock_timeout_is_a_503_and_the_retry_lands_once(
    settings: Settings, database_url: str, session: Session
) -> None:
    """Another writer holds on (SQLite: BEGIN IMMEDIATE; PostgreSQL: the contribution table
    locked): the post waits TABLECLOTH_LOCK_TIMEOUT_MS, not for good, then is refused."""
    settings.lock_timeout_ms = 200
    sqlite = database_url.startswith("sqlite")
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        facilitator = make_facilitator(session)
        auth = client.post(
            "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {auth.json()['access_token']}"}
        cafe, ann, _, _ = setup_two_tables(client, headers)
        csrf = token(ann, cafe["code"])
        key = uuid.uuid4().hex
        with holding_a_lock(database_url):
            began = time.perf_counter()
            r = ann.post(
                f"/p/{cafe['code']}/contributions",
                data={"csrf_token": csrf, "client_id": key, "text": "Locked", "kind": "idea"},
                headers=HTMX,
            )
            assert time.perf_counter() - began < 5  # the lock timeout, not 30 s or for good
            told_to_retry(r)
            if sqlite:  # the whole database is locked; on PostgreSQL one table
                health = client.get("/healthz")
                assert health.status_code == 503
                assert health.json() == {
                    "status": "unavailable",
                    "reason": "the database is locked by another writer",
                }
        assert contributions(session) == []
        assert client.get("/healthz").status_code == 200
        assert post(ann, cafe["code"], "Locked", client_id=key).status_code == 303
        assert post(ann, cafe["code"], "Locked", client_id=key).status_code == 303
        assert [c.text for c in contributions(session)] == ["Locked"]


@contextmanager
def holding_a_lock(database_url: str) -> Iterator[None]:
    """Another connection in the middle of a write that blocks the post's."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute("LOCK TABLE contribution IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


def test_a_photo_on_a_full_disk_leaves_no_partial_file_and_is_a_503(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    assert post(ann, cafe["code"], "With a photo").status_code == 303
    cid = contributions(session)[0].id
    assert cid is not None
    photo = photo_with_gps()
    real_write = Path.write_bytes

    def disk_fills_halfway(self: Path, data: Any) -> int:
        with self.open("wb") as f:
            f.write(bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", disk_fills_halfway)
    told_to_retry(upload(ann, cafe["code"], cid, photo, "p.jpg", "image/jpeg"))
    monkeypatch.setattr(Path, "write_bytes", real_write)
    left = [p for p in settings.media_dir.rglob("*") if p.is_file()]
    assert left == []
    assert list(session.exec(select(Media))) == []

    settings.min_free_bytes = 2**62  # more than any disk has: the folder is "full"
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert health.json()["reason"].startswith("the media folder has ")
    settings.min_free_bytes = 0

    assert upload(ann, cafe["code"], cid, photo, "p.jpg", "image/jpeg").status_code == 303
    stored = list(session.exec(select(Media)))
    assert len(stored) == 1
    files = [p for p in settings.media_dir.rglob("*") if p.is_file()]
    assert [p.suffix for p in files] == [".jpg"]
    assert session.get(Contribution, cid) is not None


def test_a_media_folder_that_takes_no_files_fails_the_health_check(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def read_only(*_args: Any, **_kwargs: Any) -> tuple[int, str]:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {
        "status": "unavailable",
        "reason": "the media folder cannot be written (Read-only file system)",
    }


def test_stale_partial_files_are_swept_at_start(settings: Settings) -> None:
    """A `.part` left by a crash an hour ago goes at the next start; one being written now
    stays."""
    folder = settings.media_dir / "7"
    folder.mkdir(parents=True)
    stale, fresh, kept = folder / "a.part", folder / "b.part", folder / "c.jpg"
    for path in (stale, fresh, kept):
        path.write_bytes(b"half")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(kept, (two_hours_ago, two_hours_ago))
    with TestClient(create_app(settings)):
        pass
    assert not stale.exists()
    assert fresh.exists() and kept.exists()
    assert media_service.remove_stale_parts(settings.media_dir, older_than=0) == 1
    assert not fresh.exists()


def test_a_refused_post_keeps_the_phones_connection_open(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    """Through a real uvicorn: the 503 is an ordinary answer, and the phone's next request
    goes over the same kept-alive connection (uvicorn used to close it after the bare 500)."""
    import http.client
    import re
    from urllib.parse import urlencode

    from app.security import SESSION_COOKIE
    from tests.live_phones import FacilitatorApi
    from tests.live_phones import join as live_join
    from tests.live_server import LiveServer

    env = {"TABLECLOTH_LOCK_TIMEOUT_MS": "200"}
    email = make_facilitator(session).email
    server = LiveServer(database_url=database_url, log_dir=tmp_path, extra_env=env).start()
    api = FacilitatorApi(server.url, email, PASSWORD)
    try:
        cafe = api.create_cafe(tables=1, capacity=8)
        cookie = live_join(server.url, cafe["code"], "Kept")
        api.next_round(cafe["id"])
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
        conn.request("GET", f"/p/{cafe['code']}", headers=headers)
        page = conn.getresponse().read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        local = conn.sock.getsockname()
        form = {"csrf_token": csrf.group(1), "client_id": uuid.uuid4().hex, "text": "Kept"}
        with holding_a_lock(database_url):
            conn.request(
                "POST",
                f"/p/{cafe['code']}/contributions",
                body=urlencode(form),
                headers={
                    **headers,
                    **HTMX,
                    "Origin": server.url,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            answer = conn.getresponse()
            body = answer.read().decode()
        assert answer.status == 503
        assert SAVE_FAILED in body
        assert answer.getheader("x-frame-options") == "DENY"
        assert answer.getheader("connection") != "close"
        conn.request("GET", f"/p/{cafe['code']}", headers=headers)
        again = conn.getresponse()
        again.read()
        assert again.status == 200
        assert conn.sock.getsockname() == local  # the same connection
        conn.close()
        assert contributions(session) == []
    finally:
        api.close()
        server.stop()


def test_a_database_server_that_refuses_connections_is_a_503_and_fails_the_health_check(
    settings: Settings,
) -> None:
    """PostgreSQL down (nothing listens on its port): the API says so as a 503 to retry and
    /healthz names it. (Without the lifespan, which would refuse to start on it.)"""
    from tests.live_server import free_port

    settings.database_url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone"
    client = TestClient(create_app(settings), base_url="http://testserver")
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "reason": "the database cannot be reached"}
    told_to_retry(client.post("/api/v1/auth/token", data={"username": "a@b.c", "password": "x"}))
