"""JSON API for accounts: OAuth2 password tokens and long-lived API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.security import OAuth2PasswordRequestForm

from app.deps.accounts import LoginDep
from app.deps.common import ApiWriter, NowDep, RowId, SessionDep, api_errors
from app.models.accounts import (
    AccessToken,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
)
from app.security import issue_access_token
from app.services import accounts

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post(
    "/token",
    response_model=AccessToken,
    responses={
        401: {"description": "Incorrect email or password"},
        422: {"description": "Invalid input"},
        429: {"description": "Too many attempts from this address; try again later"},
    },
)
def token(sign_in: LoginDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> AccessToken:
    """Exchange a facilitator's email and password for a bearer token (12 hours)."""
    facilitator_id = sign_in.attempt(form.username, form.password)
    if facilitator_id is None:
        raise HTTPException(
            401, "Incorrect email or password.", headers={"WWW-Authenticate": "Bearer"}
        )
    return AccessToken(access_token=issue_access_token(sign_in.settings, facilitator_id))


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
    responses=api_errors(not_found="No such token of yours"),
)
def api_token_revoke(
    token_id: RowId, session: SessionDep, facilitator: ApiWriter, now: NowDep
) -> Response:
    """Revoke a token; it stops working at once."""
    accounts.revoke_api_token(session=session, facilitator=facilitator, token_id=token_id, now=now)
    return Response(status_code=204)
