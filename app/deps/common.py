"""Annotated dependency aliases shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from app import i18n
from app.config import Settings
from app.db import Database
from app.i18n import _
from app.models.accounts import Facilitator, TokenScope
from app.models.base import ID_MAX, utcnow
from app.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SIGNED_IN,
    csrf_valid,
    origin_allowed,
    read_access_token,
)
from app.services import accounts, sessions
from app.services.errors import Invalid

# The small dependencies below are `async def` although they never await: FastAPI runs a
# plain `def` dependency in the thread pool, and a hop there and back for every one of them
# costs more than the work itself on every request.


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_session(
    request: Request, db: Annotated[Database, Depends(get_database)]
) -> AsyncIterator[Session]:
    """The request's session, made here on the event loop: making one does no I/O (its
    connection is taken at its first statement, in the route's worker thread). A plain
    `def` dependency costs two hops to the thread pool and back, in and out, on every
    request: at the join burst the hand-overs to worker threads were a sixth of the
    server's CPU (bench/joins.py). Closing gives its connection back: on SQLite, on the loop
    (a rollback of a local file, microseconds); elsewhere over the network, in a thread,
    unless no transaction is open (the session was never used, or its work is committed):
    then closing sends nothing and is done here."""
    session = Session(db.read_engine if request.method in SAFE_METHODS else db.engine)
    session.expire_on_commit = False
    try:
        yield session
    finally:
        if db.local or not session.in_transaction():
            session.close()
        else:
            await to_thread.run_sync(session.close)


async def get_now() -> datetime:
    return utcnow()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]

# An id in the path or the query: declared with its bounds (`ID_MAX`, what a PostgreSQL
# integer column holds) so a larger one is refused as the schema says rather than looked up.
RowId = Annotated[int, Path(ge=1, le=ID_MAX)]
QueryId = Annotated[int, Query(ge=1, le=ID_MAX)]
OptionalQueryId = Annotated[int | None, Query(ge=1, le=ID_MAX)]


class LoginRequired(Exception):
    """Raised by HTML routes when nobody is logged in; handled as a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


async def verify_csrf(request: Request) -> None:
    """Guards every cookie-authenticated write: same Origin and the session's CSRF token.
    (Every page route runs it: it takes the settings from the app, not as a dependency.)"""
    if request.method in SAFE_METHODS:
        return
    if not origin_allowed(request, request.app.state.settings):
        raise HTTPException(403, _("This form was sent from another site, so it was refused."))
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else None
    if not csrf_valid(request, supplied):
        raise HTTPException(403, _("This page has expired. Please reload it and try again."))


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a request comes from and the session (sign-in) it was made with."""

    facilitator: Facilitator
    session_id: int


def _live_session(session: Session, key: object, now: datetime) -> SignedIn | None:
    """The facilitator behind a session key, if that session has not ended (one lookup);
    it is marked as seen every few minutes."""
    found = sessions.signed_in(session=session, key=key, now=now)
    if found is None:
        return None
    row, facilitator = found
    if sessions.due_to_be_seen(row, now):
        sessions.mark_seen(session=session, session_id=row.id, kind=row.kind, now=now)
    return SignedIn(facilitator=facilitator, session_id=row.id)


def signed_in(request: Request, session: SessionDep, now: NowDep) -> SignedIn:
    """The logged-in facilitator of an HTML request and their session, or a redirect to the
    login page (also when the cookie's session was ended: logout, "sign out", a password
    change)."""
    found = _live_session(session, request.session.get(SIGNED_IN), now)
    if found is None:
        request.session.pop(SIGNED_IN, None)
        raise LoginRequired(request.url.path)
    return found


async def current_facilitator(found: Annotated[SignedIn, Depends(signed_in)]) -> Facilitator:
    return found.facilitator


def facilitator_id_if_signed_in(request: Request, session: Session, now: datetime) -> int | None:
    """For pages open to several kinds of visitor: the signed-in facilitator's id, if any."""
    found = _live_session(session, request.session.get(SIGNED_IN), now)
    return found.facilitator.id if found else None


SignedInDep = Annotated[SignedIn, Depends(signed_in)]
FacilitatorDep = Annotated[Facilitator, Depends(current_facilitator)]
CsrfDep = Depends(verify_csrf)

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    # The scopes' descriptions are for the OpenAPI document only.
    scopes={
        "read": "Read cafés, contributions and notes",  # not shown to people
        "write": "Create and run cafés",  # not shown to people
    },
    auto_error=False,
)


@dataclass(frozen=True, slots=True)
class ApiIdentity:
    """Who an API call comes from: a bearer token from the password form (`session_id`)
    or a long-lived API token (`token_id`)."""

    facilitator: Facilitator
    scope: str
    session_id: int | None = None
    token_id: int | None = None


def _api_identity(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> ApiIdentity:
    if not token:
        raise HTTPException(
            401,
            _("Not authenticated: send a bearer token."),
            headers={"WWW-Authenticate": "Bearer"},
        )
    if token.startswith(accounts.TOKEN_PREFIX):
        found = accounts.facilitator_for_api_token(session=session, token=token, now=now)
        if found is not None:
            facilitator, row = found
            return ApiIdentity(facilitator=facilitator, scope=row.scope, token_id=row.id)
    else:
        live = _live_session(session, read_access_token(settings, token), now)
        if live is not None:
            return ApiIdentity(
                facilitator=live.facilitator, scope=TokenScope.WRITE, session_id=live.session_id
            )
    raise HTTPException(
        401,
        _("The token is invalid, expired or revoked."),
        headers={"WWW-Authenticate": "Bearer"},
    )


async def api_reader(
    identity: Annotated[ApiIdentity, Depends(_api_identity)],
) -> Facilitator:
    return identity.facilitator


async def api_writer_identity(
    identity: Annotated[ApiIdentity, Depends(_api_identity)],
) -> ApiIdentity:
    if identity.scope != TokenScope.WRITE:
        raise HTTPException(403, _("This token can only read; use a token with the write scope."))
    return identity


async def api_writer(
    identity: Annotated[ApiIdentity, Depends(api_writer_identity)],
) -> Facilitator:
    return identity.facilitator


ApiCaller = Annotated[ApiIdentity, Depends(_api_identity)]
ApiWriterCaller = Annotated[ApiIdentity, Depends(api_writer_identity)]
ApiReader = Annotated[Facilitator, Depends(api_reader)]
ApiWriter = Annotated[Facilitator, Depends(api_writer)]


def export_language(
    lang: Annotated[
        str | None,
        Query(
            max_length=10,
            description="The language of the file's fixed words (headings, labels, dates): "
            "`cy` (Welsh) or `en` (English). What people wrote stays as written. "
            "Default: the request's language.",
        ),
    ] = None,
) -> str | None:
    """An export's `lang=`: a supported language, or None when not given (the writer then
    uses the request's); anything else is refused with a sentence saying what to send."""
    if lang is None:
        return None
    chosen = i18n.supported(lang)
    if chosen is None or chosen != lang.strip().lower():
        raise Invalid(
            _("The language must be one of: %(choices)s.", choices=", ".join(i18n.LANGUAGES))
        )
    return chosen


# An export's language (`?lang=cy` or `?lang=en`).
ExportLang = Annotated[str | None, Depends(export_language)]

Responses = dict[int | str, dict[str, object]]


def api_errors(not_found: str = "", conflict: str = "") -> Responses:
    """The answers every API route documents (an unreadable body, no token, a read-only
    token, invalid input), with the route's own 404 and 409 in its words."""
    errors: Responses = {
        400: {"description": "A request body that cannot be read (not UTF-8, or not JSON)"},
        401: {"description": "No valid bearer token"},  # not shown to people
        403: {"description": "The token lacks the write scope"},  # not shown to people
    }
    if not_found:
        errors[404] = {"description": not_found}
    if conflict:
        errors[409] = {"description": conflict}
    errors[422] = {"description": "Invalid input"}  # not shown to people
    return errors
