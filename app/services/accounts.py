"""Facilitator accounts, passwords, API tokens and database-backed rate limits."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, func, text
from sqlmodel import Session, col, select

from app.i18n import _, ngettext
from app.models.accounts import (
    ApiToken,
    Facilitator,
    FacilitatorSession,
    PasswordReset,
    RateLimitHit,
    TokenScope,
)
from app.services.errors import Conflict, Invalid, NotFound, TooManyAttempts

_hasher = PasswordHasher()
# Verifying against this keeps the timing of "no such email" like a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD = 10
TOKEN_PREFIX = "tc_"
_SPENT = timedelta(days=1)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_new_password(password: str) -> None:
    """The rule for every new password: at sign-up, on a change and on a reset."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            ngettext(
                "Use a password of at least %(num)s character.",
                "Use a password of at least %(num)s characters.",
                MIN_PASSWORD,
            )
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """The one place a password is checked (argon2, tens of milliseconds of CPU)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_facilitator(
    *, session: Session, email: str, password: str, display_name: str = ""
) -> Facilitator:
    """Create an account; the password is stored only as an argon2 hash."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise Invalid(_("Enter a valid email address."))
    check_new_password(password)
    if session.exec(select(Facilitator).where(Facilitator.email == email)).first():
        raise Conflict(_("An account with that email already exists."))
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
    # End the read before the slow check: on SQLite it may hold the one write lock.
    session.commit()
    if not verify_password(facilitator.password_hash if facilitator else _DUMMY_HASH, password):
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
    check_rates(
        session=session, bucket=bucket, limits={key: limit}, window_seconds=window_seconds, now=now
    )


# One statement built once: asked on every join by someone new (at the join page; the form
# after it is let through, `app.deps.phone._read_code`), and on every unknown code.
_HITS_BY_KEY = (
    select(col(RateLimitHit.key), func.count(), func.min(RateLimitHit.at))
    .where(
        col(RateLimitHit.bucket) == bindparam("bucket"),
        col(RateLimitHit.key).in_(bindparam("keys", expanding=True)),
        col(RateLimitHit.at) >= bindparam("since"),
    )
    .group_by(col(RateLimitHit.key))
)


def check_rates(
    *,
    session: Session,
    bucket: str,
    limits: Mapping[str, int],
    window_seconds: int,
    now: datetime,
) -> None:
    """`check_rate` for several keys of one bucket (key -> its limit), in one query: the
    join-code guard asks it for a browser and an address on every join."""
    params = {
        "bucket": bucket,
        "keys": list(limits),
        "since": now - timedelta(seconds=window_seconds),
    }
    # On the connection: a plain query, without the ORM's execution path (asked on every
    # join page and join form).
    rows = session.connection().execute(_HITS_BY_KEY, params).all()
    for key, count, oldest in rows:
        if count >= limits[key]:
            retry = int((oldest + timedelta(seconds=window_seconds) - now).total_seconds()) + 1
            raise TooManyAttempts(
                ngettext(
                    "Too many attempts. Please wait %(num)s minute and try again.",
                    "Too many attempts. Please wait %(num)s minutes and try again.",
                    max(retry // 60, 1),
                ),
                retry_after=max(retry, 1),
            )


def record_hit(*, session: Session, bucket: str, key: str, now: datetime) -> None:
    session.add(RateLimitHit(bucket=bucket, key=key, at=now))
    purge_expired(session=session, now=now)
    session.commit()


def purge_expired(*, session: Session, now: datetime) -> None:
    """Delete what is no longer needed (left for the caller to commit): rate-limit hits
    older than a day, sign-ins past their expiry (ended ones are deleted at once), reset
    links a day after they expired (used or not; a link lasts an hour).
    Done on every counted attempt, so the tables stay small without a cron job."""
    session.execute(delete(RateLimitHit).where(col(RateLimitHit.at) < now - timedelta(days=1)))
    session.execute(delete(FacilitatorSession).where(col(FacilitatorSession.expires_at) <= now))
    # Spent reset links are kept a day, so following one again says it was used or expired.
    session.execute(delete(PasswordReset).where(col(PasswordReset.expires_at) <= now - _SPENT))


@dataclass(frozen=True, slots=True)
class Allowance:
    """So many attempts per window for one key in one bucket."""

    bucket: str
    key: str
    limit: int
    window_seconds: int


def take_attempts(*, session: Session, allowances: Sequence[Allowance], now: datetime) -> list[int]:
    """Count one attempt against every allowance, all or none, and return the new hits'
    ids; `TooManyAttempts` (nothing counted) when any of them is used up.

    Counted before the attempt is made, under a lock per key, so parallel attempts cannot
    all see room left: on PostgreSQL a transaction-scoped advisory lock per key; on SQLite
    the insert takes the database's one write lock. Committed before returning, so the
    lock is not held while the caller checks a password."""
    if session.get_bind().dialect.name == "postgresql":
        for allowance in sorted(allowances, key=lambda a: (a.bucket, a.key)):
            session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:bucket), hashtext(:key))"),
                {"bucket": allowance.bucket, "key": allowance.key},
            )
    hits = [RateLimitHit(bucket=a.bucket, key=a.key, at=now) for a in allowances]
    session.add_all(hits)
    session.flush()
    for allowance in allowances:
        since = now - timedelta(seconds=allowance.window_seconds)
        count, oldest = session.exec(
            select(func.count(), func.min(RateLimitHit.at)).where(
                RateLimitHit.bucket == allowance.bucket,
                RateLimitHit.key == allowance.key,
                RateLimitHit.at >= since,
            )
        ).one()
        if count > allowance.limit:
            session.rollback()
            ends = oldest + timedelta(seconds=allowance.window_seconds)
            retry = int((ends - now).total_seconds()) + 1
            raise TooManyAttempts(
                ngettext(
                    "Too many attempts. Please wait %(num)s minute and try again.",
                    "Too many attempts. Please wait %(num)s minutes and try again.",
                    max(retry // 60, 1),
                ),
                retry_after=max(retry, 1),
            )
    ids = [hit.id for hit in hits]
    purge_expired(session=session, now=now)
    session.commit()
    return ids


def forget_hit(*, session: Session, hit_id: int) -> None:
    """Take back one counted attempt (a login that succeeded)."""
    session.execute(delete(RateLimitHit).where(col(RateLimitHit.id) == hit_id))
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
        raise Invalid(_("Give the token a name so you can recognise it later."))
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
        raise NotFound(_("No such token."))
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        session.commit()
    return row


def facilitator_for_api_token(
    *, session: Session, token: str, now: datetime
) -> tuple[Facilitator, ApiToken] | None:
    """Resolve a long-lived token to its owner and itself, or None if unknown or revoked."""
    found = session.exec(
        select(ApiToken, Facilitator)
        .join(Facilitator, col(Facilitator.id) == col(ApiToken.facilitator_id))
        .where(ApiToken.token_hash == _hash_token(token))
    ).first()
    if found is None or found[0].revoked_at is not None:
        return None
    row, facilitator = found
    # Writing last_used_at on every request would serialise reads; once a minute is enough.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
        session.add(row)
        session.commit()
    return facilitator, row
