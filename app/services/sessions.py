"""Facilitators' signed-in sessions (a row per sign-in, ended by logout or revocation),
password change and one-time password reset links."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.i18n import N_, _
from app.models.accounts import (
    Facilitator,
    FacilitatorSession,
    PasswordReset,
    SessionKind,
)
from app.services import accounts
from app.services.errors import Gone, Invalid, NotFound

BROWSER_LIFETIME = timedelta(days=30)  # since last seen, like the cookie that carries it
API_LIFETIME = timedelta(hours=12)  # from sign-in, like the bearer token that carries it
RESET_LIFETIME = timedelta(hours=1)
# Writing last_seen_at on every request would make every read a write; this is enough to
# tell a session in use from a forgotten one.
SEEN_EVERY = timedelta(minutes=5)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),  # not shown to people
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),  # not shown to people
    ("Linux", "Linux"),
)


def describe_agent(user_agent: str) -> str:
    """A coarse name for a device, e.g. "Firefox on Linux": enough to recognise one's own
    sessions, too little to single anyone out (no versions are kept)."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return str(browser or system)
    # A script: its program's name without the version ("curl", "python-httpx").
    program = re.match(r"[A-Za-z][A-Za-z0-9._-]{0,40}", user_agent.strip())
    # Kept in English, as the other names are; the sessions page translates it.
    return program.group(0) if program else N_("Unknown device")


def start_session(
    *,
    session: Session,
    facilitator_id: int,
    kind: SessionKind,
    user_agent: str,
    now: datetime,
) -> tuple[FacilitatorSession, str]:
    """Record a sign-in; returns the row and its random key (for the cookie or the token),
    which is never stored."""
    key = secrets.token_urlsafe(32)
    lifetime = BROWSER_LIFETIME if kind == SessionKind.BROWSER else API_LIFETIME
    row = FacilitatorSession(
        facilitator_id=facilitator_id,
        key_hash=_hash(key),
        kind=str(kind),
        description=describe_agent(user_agent)[:80],
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row, key


def signed_in(
    *, session: Session, key: object, now: datetime
) -> tuple[FacilitatorSession, Facilitator] | None:
    """The live session behind a key and its facilitator (one lookup by a unique index), or
    None when the key is missing, unknown, ended or expired."""
    if not isinstance(key, str) or not key:
        return None
    found = session.exec(
        select(FacilitatorSession, Facilitator)
        .join(Facilitator, col(Facilitator.id) == col(FacilitatorSession.facilitator_id))
        .where(FacilitatorSession.key_hash == _hash(key))
    ).first()
    if found is None or found[0].expires_at <= now:
        return None
    return found[0], found[1]


def due_to_be_seen(row: FacilitatorSession, now: datetime) -> bool:
    return now - row.last_seen_at >= SEEN_EVERY


def mark_seen(*, session: Session, session_id: int, kind: str, now: datetime) -> None:
    """Note that a session is in use; a browser's then lasts another 30 days."""
    # End the read under way first: the update then begins a transaction of its own (on
    # SQLite a read transaction cannot always become a write one).
    session.commit()
    values: dict[str, datetime] = {"last_seen_at": now}
    if kind == SessionKind.BROWSER:
        values["expires_at"] = now + BROWSER_LIFETIME
    session.execute(
        update(FacilitatorSession).where(col(FacilitatorSession.id) == session_id).values(values)
    )
    session.commit()


def list_sessions(
    *, session: Session, facilitator: Facilitator, now: datetime
) -> list[FacilitatorSession]:
    """The facilitator's live sessions, newest first."""
    return list(
        session.exec(
            select(FacilitatorSession)
            .where(
                FacilitatorSession.facilitator_id == facilitator.id,
                FacilitatorSession.expires_at > now,
            )
            .order_by(col(FacilitatorSession.created_at).desc(), col(FacilitatorSession.id).desc())
        )
    )


def end_session(*, session: Session, facilitator: Facilitator, session_id: int) -> None:
    """End one of the facilitator's sessions; its cookie or token is refused from now on."""
    result = session.execute(
        delete(FacilitatorSession).where(
            col(FacilitatorSession.id) == session_id,
            col(FacilitatorSession.facilitator_id) == facilitator.id,
        )
    )
    session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(_("You have no such session."))


def end_session_by_key(*, session: Session, key: object) -> None:
    """Logout: end the session a cookie or token carries (nothing if it has ended)."""
    if isinstance(key, str) and key:
        session.execute(
            delete(FacilitatorSession).where(col(FacilitatorSession.key_hash) == _hash(key))
        )
        session.commit()


def end_other_sessions(
    *, session: Session, facilitator_id: int, keep_session_id: int | None
) -> int:
    """End every session of the facilitator but one (or all, with None); how many ended.
    Left for the caller to commit."""
    query = delete(FacilitatorSession).where(
        col(FacilitatorSession.facilitator_id) == facilitator_id
    )
    if keep_session_id is not None:
        query = query.where(col(FacilitatorSession.id) != keep_session_id)
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]


class PasswordProblem(Invalid):
    """A password form's mistake, naming the field it is about."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


def _check_new(password: str, again: str) -> None:
    try:
        accounts.check_new_password(password)
    except Invalid as exc:
        raise PasswordProblem("new_password", exc.detail) from None
    if password != again:
        raise PasswordProblem("new_password_again", _("The two new passwords are not the same."))


def change_password(
    *,
    session: Session,
    facilitator: Facilitator,
    new_password: str,
    new_password_again: str,
    keep_session_id: int,
) -> int:
    """Set a new password (the current one already checked, under the login limit) and end
    every other session, signed-in browsers and bearer tokens alike; long-lived API tokens
    stay, as they are listed and revoked on their own page. Returns how many ended."""
    _check_new(new_password, new_password_again)
    facilitator.password_hash = accounts.hash_password(new_password)
    session.add(facilitator)
    ended = end_other_sessions(
        session=session, facilitator_id=facilitator.id, keep_session_id=keep_session_id
    )
    session.commit()
    return ended


def issue_reset(*, session: Session, email: str, now: datetime) -> tuple[Facilitator, str]:
    """A one-time reset token for the account with this email, valid for an hour; any
    earlier unused link of theirs stops working. The token is stored only as a hash."""
    facilitator = session.exec(
        select(Facilitator).where(Facilitator.email == accounts.normalise_email(email))
    ).first()
    if facilitator is None:
        raise NotFound(_("No facilitator account has the email %(email)r.", email=email.strip()))
    session.execute(
        delete(PasswordReset).where(col(PasswordReset.facilitator_id) == facilitator.id)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            facilitator_id=facilitator.id,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + RESET_LIFETIME,
        )
    )
    session.commit()
    return facilitator, token


def reset_for_token(*, session: Session, token: str, now: datetime) -> PasswordReset:
    """The reset a link names; 404 when unknown, 410 when used or expired."""
    query = select(PasswordReset).where(PasswordReset.token_hash == _hash(token))
    row = session.exec(query).first()
    if row is None:
        raise NotFound(
            _(
                "This password reset link is not known: it may be an old one, or only part of "
                "it was copied. Ask for a new one."
            )
        )
    if row.used_at is not None or row.expires_at <= now:
        raise Gone(
            _(
                "This password reset link has already been used or has expired (links last one "
                "hour and work once). Ask for a new one."
            )
        )
    return row


def use_reset(
    *, session: Session, token: str, new_password: str, new_password_again: str, now: datetime
) -> Facilitator:
    """Set the new password through a reset link, once, and end every session of the
    account (browsers and bearer tokens); long-lived API tokens are kept."""
    row = reset_for_token(session=session, token=token, now=now)
    _check_new(new_password, new_password_again)
    facilitator = session.get(Facilitator, row.facilitator_id)
    if facilitator is None:  # the account was deleted after the link was made
        raise Gone(_("The account this link was for no longer exists."))
    # Claimed with a conditional update, so two forms sent at once cannot both use it.
    claimed = session.execute(
        update(PasswordReset)
        .where(col(PasswordReset.id) == row.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        raise Gone(_("This password reset link has already been used. Ask for a new one."))
    facilitator.password_hash = accounts.hash_password(new_password)
    session.add(facilitator)
    end_other_sessions(session=session, facilitator_id=facilitator.id, keep_session_id=None)
    session.commit()
    return facilitator
