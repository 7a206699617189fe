"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.deps.common import DatabaseDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(db: DatabaseDep) -> JSONResponse:
    """Report whether the service can reach its database."""
    try:
        with db.read_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
