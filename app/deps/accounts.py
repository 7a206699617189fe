"""Signing in: the rate-limited password check shared by the login page and the token endpoint."""

from __future__ import annotations

from fastapi import Request

from app.deps.common import (
    NowDep,
    SessionDep,
    SettingsDep,
)
from app.services import accounts

LOGIN_BUCKET = "login"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def login_attempt(
    *,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    email: str,
    password: str,
) -> int | None:
    key = f"{accounts.normalise_email(email)}|{client_address(request)}"
    accounts.check_rate(
        session=session,
        bucket=LOGIN_BUCKET,
        key=key,
        limit=settings.login_attempts,
        window_seconds=settings.login_window_seconds,
        now=now,
    )
    facilitator = accounts.authenticate(session=session, email=email, password=password)
    if facilitator is None:
        accounts.record_hit(session=session, bucket=LOGIN_BUCKET, key=key, now=now)
        return None
    accounts.clear_hits(session=session, bucket=LOGIN_BUCKET, key=key)
    return facilitator.id
