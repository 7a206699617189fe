"""Signing in: the rate-limited password check shared by the login page and the token endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.config import Settings
from app.deps.common import (
    NowDep,
    SessionDep,
    SettingsDep,
)
from app.security import client_address
from app.services import accounts

LOGIN_BUCKET = "login"


@dataclass(frozen=True, slots=True)
class Login:
    """What checking a password takes: where the request comes from, the session, the
    allowance of tries and the clock."""

    request: Request
    session: Session
    settings: Settings
    now: datetime

    def attempt(self, email: str, password: str) -> int | None:
        """The facilitator's id, or None when the email and password do not match; refused
        (`TooManyAttempts`) once this email has been tried too often from this address."""
        session, now = self.session, self.now
        key = f"{accounts.normalise_email(email)}|{client_address(self.request)}"
        accounts.check_rate(
            session=session,
            bucket=LOGIN_BUCKET,
            key=key,
            limit=self.settings.login_attempts,
            window_seconds=self.settings.login_window_seconds,
            now=now,
        )
        facilitator = accounts.authenticate(session=session, email=email, password=password)
        if facilitator is None:
            accounts.record_hit(session=session, bucket=LOGIN_BUCKET, key=key, now=now)
            return None
        accounts.clear_hits(session=session, bucket=LOGIN_BUCKET, key=key)
        return facilitator.id


def login(request: Request, session: SessionDep, settings: SettingsDep, now: NowDep) -> Login:
    return Login(request=request, session=session, settings=settings, now=now)


LoginDep = Annotated[Login, Depends(login)]
