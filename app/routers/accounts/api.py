"""JSON API for accounts: OAuth2 password tokens, sessions and logout, long-lived API
tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from app.deps.accounts import LoginDep
from app.deps.common import (
    ApiCaller,
    ApiWriter,
    ApiWriterCaller,
    NowDep,
    RowId,
    SessionDep,
    api_errors,
)
from app.i18n import _
from app.models.accounts import (
    AccessToken,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    SessionKind,
    SessionPublic,
)
from app.security import issue_access_token
from app.services import accounts, sessions

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=AccessToken,
    responses={
        401: {"description": "Incorrect email or password"},  # not shown to people
        422: {"description": "Invalid input"},  # not shown to people
        429: {
            "description": (
                "Too many attempts from this address; try again later"  # not shown to people
            )
        },
    },
)
def token(
    request: Request, sign_in: LoginDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> AccessToken:
    """Exchange a facilitator's email and password for a bearer token (12 hours, or until
    `POST /api/v1/auth/logout` or the session is ended)."""
    facilitator_id = sign_in.attempt(form.username, form.password)
    if facilitator_id is None:
        raise HTTPException(
            401, _("Incorrect email or password."), headers={"WWW-Authenticate": "Bearer"}
        )
    _row, key = sessions.start_session(
        session=sign_in.session,
        facilitator_id=facilitator_id,
        kind=SessionKind.API,
        user_agent=request.headers.get("user-agent", ""),
        now=sign_in.now,
    )
    return AccessToken(access_token=issue_access_token(sign_in.settings, key))


# Any token may end itself, a read-only one too: no 403 here.
LOGOUT_ERRORS = {status: answer for status, answer in api_errors().items() if status != 403}


@router.post("/logout", status_code=204, responses=LOGOUT_ERRORS)
def logout(session: SessionDep, caller: ApiCaller, now: NowDep) -> Response:
    """End the session of the bearer token sent (or revoke the long-lived API token sent):
    it is refused from now on."""
    if caller.session_id is not None:
        sessions.end_session(
            session=session, facilitator=caller.facilitator, session_id=caller.session_id
        )
    elif caller.token_id is not None:
        accounts.revoke_api_token(
            session=session, facilitator=caller.facilitator, token_id=caller.token_id, now=now
        )
    return Response(status_code=204)


@router.get("/sessions", response_model=list[SessionPublic], responses=api_errors())
def sessions_list(session: SessionDep, caller: ApiWriterCaller, now: NowDep) -> list[SessionPublic]:
    """List your signed-in sessions (browsers and bearer tokens), newest first; `current`
    marks the one this call was made with."""
    rows = sessions.list_sessions(session=session, facilitator=caller.facilitator, now=now)
    return [
        SessionPublic.model_validate({**row.model_dump(), "current": row.id == caller.session_id})
        for row in rows
    ]


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    responses=api_errors(not_found="No such session of yours"),  # not shown to people
)
def session_end(session_id: RowId, session: SessionDep, caller: ApiWriterCaller) -> Response:
    """End one of your sessions: its cookie or bearer token is refused from now on."""
    sessions.end_session(session=session, facilitator=caller.facilitator, session_id=session_id)
    return Response(status_code=204)


TOKEN_ERRORS = api_errors()


@router.get("/api-tokens", response_model=list[ApiTokenPublic], responses=TOKEN_ERRORS)
def api_tokens(session: SessionDep, facilitator: ApiWriter) -> list[ApiTokenPublic]:
    """List your long-lived API tokens (never the tokens themselves)."""
    rows = accounts.list_api_tokens(session=session, facilitator=facilitator)
    return [ApiTokenPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/api-tokens", response_model=ApiTokenCreated, status_code=201, responses=TOKEN_ERRORS)
def api_token_create(
    body: ApiTokenCreate, session: SessionDep, facilitator: ApiWriter
) -> ApiTokenCreated:
    """Create a long-lived token with the read or write scope; the token is shown once."""
    row, clear = accounts.create_api_token(
        session=session, facilitator=facilitator, name=body.name, scope=body.scope
    )
    return ApiTokenCreated.model_validate(
        {**ApiTokenPublic.model_validate(row, from_attributes=True).model_dump(), "token": clear}
    )


@router.delete(
    "/api-tokens/{token_id}",
    status_code=204,
    responses=api_errors(not_found="No such token of yours"),  # not shown to people
)
def api_token_revoke(
    token_id: RowId, session: SessionDep, facilitator: ApiWriter, now: NowDep
) -> Response:
    """Revoke a token; it stops working at once."""
    accounts.revoke_api_token(session=session, facilitator=facilitator, token_id=token_id, now=now)
    return Response(status_code=204)
