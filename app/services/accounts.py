"""Facilitator accounts, passwords, API tokens and database-backed rate limits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.models.accounts import ApiToken, Facilitator, RateLimitHit, TokenScope
from app.services.errors import Conflict, Invalid, NotFound, TooManyAttempts

_hasher = PasswordHasher()
# Verifying against this keeps the timing of "no such email" like a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD = 10
TOKEN_PREFIX = "tc_"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_facilitator(
    *, session: Session, email: str, password: str, display_name: str = ""
) -> Facilitator:
    """Create an account; the password is stored only as an argon2 hash."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise Invalid("Enter a valid email address.")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"Use a password of at least {MIN_PASSWORD} characters.")
    if session.exec(select(Facilitator).where(Facilitator.email == email)).first():
        raise Conflict("An account with that email already exists.")
    facilitator = Facilitator(
        email=email, password_hash=_hasher.hash(password), display_name=display_name[:80]
    )
    session.add(facilitator)
    session.commit()
    session.refresh(facilitator)
    return facilitator


def authenticate(*, session: Session, email: str, password: str) -> Facilitator | None:
    """Return the facilitator when the password matches, else None."""
    facilitator = session.exec(
        select(Facilitator).where(Facilitator.email == normalise_email(email))
    ).first()
    try:
        _hasher.verify(facilitator.password_hash if facilitator else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if facilitator is None:
        return None
    if _hasher.check_needs_rehash(facilitator.password_hash):
        facilitator.password_hash = _hasher.hash(password)
        session.add(facilitator)
        session.commit()
    return facilitator


def check_rate(
    *, session: Session, bucket: str, key: str, limit: int, window_seconds: int, now: datetime
) -> None:
    """Raise TooManyAttempts when `key` has used up its attempts in the window."""
    since = now - timedelta(seconds=window_seconds)
    hits = session.exec(
        select(func.count(), func.min(RateLimitHit.at)).where(
            RateLimitHit.bucket == bucket, RateLimitHit.key == key, RateLimitHit.at >= since
        )
    ).one()
    count, oldest = hits
    if count >= limit:
        retry = int((oldest + timedelta(seconds=window_seconds) - now).total_seconds()) + 1
        raise TooManyAttempts(
            f"Too many attempts. Please wait {max(retry // 60, 1)} minute(s) and try again.",
            retry_after=max(retry, 1),
        )


def record_hit(*, session: Session, bucket: str, key: str, now: datetime) -> None:
    session.add(RateLimitHit(bucket=bucket, key=key, at=now))
    # Old hits are useless; clearing them here keeps the table small without a cron job.
    session.execute(delete(RateLimitHit).where(col(RateLimitHit.at) < now - timedelta(days=1)))
    session.commit()


def clear_hits(*, session: Session, bucket: str, key: str) -> None:
    session.execute(
        delete(RateLimitHit).where(col(RateLimitHit.bucket) == bucket, col(RateLimitHit.key) == key)
    )
    session.commit()


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(
    *, session: Session, facilitator: Facilitator, name: str, scope: TokenScope
) -> tuple[ApiToken, str]:
    """Create a long-lived token; the clear token is returned once and never stored."""
    name = name.strip()
    if not name:
        raise Invalid("Give the token a name so you can recognise it later.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        facilitator_id=facilitator.id,
        name=name[:80],
        token_hash=_hash_token(token),
        prefix=token[:10],
        scope=str(scope),
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, token


def list_api_tokens(*, session: Session, facilitator: Facilitator) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken).where(ApiToken.facilitator_id == facilitator.id).order_by(ApiToken.id)  # type: ignore[arg-type]
        )
    )


def revoke_api_token(
    *, session: Session, facilitator: Facilitator, token_id: int, now: datetime
) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.facilitator_id != facilitator.id:
        raise NotFound("No such token.")
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.commit()
    return row


def facilitator_for_api_token(
    *, session: Session, token: str, now: datetime
) -> tuple[Facilitator, str] | None:
    """Resolve a long-lived token to its owner and scope, or None if unknown or revoked."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    facilitator = session.get(Facilitator, row.facilitator_id)
    if facilitator is None:
        return None
    # Writing last_used_at on every request would serialise reads; once a minute is enough.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        session.add(row)
        session.commit()
    return facilitator, row.scope
