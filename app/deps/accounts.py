"""Signing in: the rate-limited password check shared by the login page, the token endpoint
and the password change form."""

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
ADDRESS_BUCKET = "login-address"


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
        (`TooManyAttempts`) once this email has been tried too often from this address, or
        this address has tried too many passwords whatever the email.

        The try is counted before the password is checked, atomically, so a hundred tries
        sent at once check the password at most as often as the limit allows."""
        session, now, settings = self.session, self.now, self.settings
        address = client_address(self.request)
        key = f"{accounts.normalise_email(email)}|{address}"
        _, address_hit = accounts.take_attempts(
            session=session,
            allowances=(
                accounts.Allowance(
                    LOGIN_BUCKET, key, settings.login_attempts, settings.login_window_seconds
                ),
                accounts.Allowance(
                    ADDRESS_BUCKET,
                    address,
                    settings.login_attempts_per_address,
                    settings.login_window_seconds,
                ),
            ),
            now=now,
        )
        facilitator = accounts.authenticate(session=session, email=email, password=password)
        if facilitator is None:
            return None
        # A success wipes this email's failures, and does not count against the address
        # (where everyone at a venue may sign in), but leaves the address's other failures.
        accounts.clear_hits(session=session, bucket=LOGIN_BUCKET, key=key)
        accounts.forget_hit(session=session, hit_id=address_hit)
        return facilitator.id


def login(request: Request, session: SessionDep, settings: SettingsDep, now: NowDep) -> Login:
    return Login(request=request, session=session, settings=settings, now=now)


LoginDep = Annotated[Login, Depends(login)]
