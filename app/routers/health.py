"""Readiness for load balancers and the container's health check: can this instance store
what people send? The database takes a write, and the media folder has room and takes a
file. Cheap enough to poll every few seconds."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from app.db import Database
from app.deps.common import DatabaseDep, SettingsDep
from app.services.faults import storage_fault

router = APIRouter(tags=["health"])

# How long the check waits for SQLite's write lock, or a PostgreSQL row lock: a writer that
# holds it longer than this is a fault (phones' writes are refused meanwhile), and the check
# must answer well within a load balancer's timeout.
HEALTH_LOCK_MS = 1000


class Health(BaseModel):
    status: str
    reason: str | None = None


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "A check failed; `reason` says which."}},
)
def healthz(db: DatabaseDep, settings: SettingsDep) -> JSONResponse:
    """`{"status": "ok"}` when this instance can store what people send: the database takes
    a write (made in a transaction that is rolled back) and the media folder (and a SQLite
    database's folder) has `TABLECLOTH_MIN_FREE_BYTES` free and takes a file. Otherwise 503
    with `{"status": "unavailable", "reason": …}` naming the check that failed."""
    reason = _database_problem(db) or _folder_problem(settings.media_dir, settings.min_free_bytes)
    if reason is None and db.url.startswith("sqlite"):
        path = db.url.split("///", 1)[-1]
        if path and path != ":memory:":
            reason = _room_problem(Path(path).parent, settings.min_free_bytes, "database")
    if reason is not None:
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ok"})


def _database_problem(db: Database) -> str | None:
    """None if the database takes a write; else what stops it."""
    sqlite = db.url.startswith("sqlite")
    try:
        with db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            if sqlite and raw is not None:  # wait for the lock a moment only, then say so
                raw.execute(f"PRAGMA busy_timeout={HEALTH_LOCK_MS}")
            try:
                with conn.begin() as tx:  # SQLite: BEGIN IMMEDIATE takes the write lock
                    if not sqlite:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {HEALTH_LOCK_MS}")
                    conn.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
                    tx.rollback()
            finally:
                if sqlite and raw is not None:
                    raw.execute(f"PRAGMA busy_timeout={db.busy_ms}")
    except SQLAlchemyError as exc:
        kind = storage_fault(exc) or "error"
        return {
            "read-only": "the database is read-only",
            "full": "the database's disk is full",
            "locked": "the database is locked by another writer",
            "unreachable": "the database cannot be reached",
            "disk error": "the database's disk reports an error",
        }.get(kind, "the database cannot take a write")
    return None


def _folder_problem(folder: Path, min_free: int) -> str | None:
    """None if the media folder has room and takes a file; else what is wrong."""
    problem = _room_problem(folder, min_free, "media folder")
    if problem is not None:
        return problem
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".health-", suffix=".part")
        try:
            os.write(fd, b"ok")
        finally:
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        # The health check's problems are for the operator's monitoring, in English.
        return f"the media folder cannot be written ({exc.strerror or exc})"  # not shown to people
    return None


def _room_problem(folder: Path, min_free: int, what: str) -> str | None:
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        return f"the {what} cannot be read ({exc.strerror or exc})"  # not shown to people
    if free < min_free:
        mb, least = free // 2**20, min_free // 2**20
        return f"the {what} has {mb} MB free, less than {least} MB"  # not shown to people
    return None
