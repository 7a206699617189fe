"""Annotated dependency aliases shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.models.accounts import Facilitator, TokenScope
from app.models.base import ID_MAX, utcnow
from app.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    csrf_valid,
    origin_allowed,
    read_access_token,
)
from app.services import accounts

# The small dependencies below are `async def` although they never await: FastAPI runs a
# plain `def` dependency in the thread pool, and a hop there and back for every one of them
# costs more than the work itself on every request.


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_session(
    request: Request, db: Annotated[Database, Depends(get_database)]
) -> Iterator[Session]:
    yield from db.session(read=request.method in SAFE_METHODS)


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
        raise HTTPException(403, "This form was sent from another site, so it was refused.")
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else None
    if not csrf_valid(request, supplied):
        raise HTTPException(403, "This page has expired. Please reload it and try again.")


def current_facilitator(request: Request, session: SessionDep) -> Facilitator:
    """The logged-in facilitator of an HTML request, or a redirect to the login page."""
    facilitator_id = request.session.get("facilitator_id")
    facilitator = session.get(Facilitator, facilitator_id) if facilitator_id else None
    if facilitator is None:
        request.session.pop("facilitator_id", None)
        raise LoginRequired(request.url.path)
    return facilitator


FacilitatorDep = Annotated[Facilitator, Depends(current_facilitator)]
CsrfDep = Depends(verify_csrf)

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    scopes={"read": "Read cafés, contributions and notes", "write": "Create and run cafés"},
    auto_error=False,
)


def _api_identity(
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> tuple[Facilitator, str]:
    if not token:
        raise HTTPException(
            401,
            "Not authenticated: send a bearer token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if token.startswith(accounts.TOKEN_PREFIX):
        found = accounts.facilitator_for_api_token(session=session, token=token, now=now)
        if found is not None:
            return found
    else:
        facilitator_id = read_access_token(settings, token)
        facilitator = session.get(Facilitator, facilitator_id) if facilitator_id else None
        if facilitator is not None:
            return facilitator, TokenScope.WRITE
    raise HTTPException(
        401, "The token is invalid, expired or revoked.", headers={"WWW-Authenticate": "Bearer"}
    )


async def api_reader(
    identity: Annotated[tuple[Facilitator, str], Depends(_api_identity)],
) -> Facilitator:
    return identity[0]


async def api_writer(
    identity: Annotated[tuple[Facilitator, str], Depends(_api_identity)],
) -> Facilitator:
    facilitator, scope = identity
    if scope != TokenScope.WRITE:
        raise HTTPException(403, "This token can only read; use a token with the write scope.")
    return facilitator


ApiReader = Annotated[Facilitator, Depends(api_reader)]
ApiWriter = Annotated[Facilitator, Depends(api_writer)]


Responses = dict[int | str, dict[str, object]]


def api_errors(not_found: str = "", conflict: str = "") -> Responses:
    """The answers every API route documents (an unreadable body, no token, a read-only
    token, invalid input), with the route's own 404 and 409 in its words."""
    errors: Responses = {
        400: {"description": "A request body that cannot be read (not UTF-8, or not JSON)"},
        401: {"description": "No valid bearer token"},
        403: {"description": "The token lacks the write scope"},
    }
    if not_found:
        errors[404] = {"description": not_found}
    if conflict:
        errors[409] = {"description": conflict}
    errors[422] = {"description": "Invalid input"}
    return errors
