"""Login and logout pages, API tokens (pages and JSON), OAuth2 password token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm

from app.deps.common import (
    ApiWriter,
    CsrfDep,
    FacilitatorDep,
    NowDep,
    SessionDep,
    SettingsDep,
    api_errors,
)
from app.kit.rendering import render
from app.models.accounts import (
    AccessToken,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPublic,
    TokenScope,
)
from app.security import issue_access_token
from app.services import accounts
from app.services.errors import TooManyAttempts

pages = APIRouter(include_in_schema=False, dependencies=[CsrfDep])
api = APIRouter(prefix="/api/v1/auth", tags=["auth"])

LOGIN_BUCKET = "login"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(next_url: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our login page.
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return next_url
    return "/dashboard"


def _login_attempt(
    *,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    email: str,
    password: str,
) -> int | None:
    key = f"{accounts.normalise_email(email)}|{_client(request)}"
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


@pages.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    if request.session.get("facilitator_id"):
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "email": ""})


@pages.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=500)] = "/dashboard",
) -> Response:
    ctx = {"next": _safe_next(next), "email": email}
    if not email.strip() or not password:
        return render(
            request,
            "login.html",
            ctx | {"error": "Enter your email and password."},
            status_code=422,
        )
    try:
        facilitator_id = _login_attempt(
            request=request,
            session=session,
            settings=settings,
            now=now,
            email=email,
            password=password,
        )
    except TooManyAttempts as exc:
        return render(
            request,
            "login.html",
            ctx | {"error": exc.detail},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if facilitator_id is None:
        return render(
            request,
            "login.html",
            ctx | {"error": "That email and password do not match an account."},
            status_code=401,
        )
    prefs = request.session.get("prefs")
    request.session.clear()  # a fresh session on login: no fixation
    request.session["facilitator_id"] = facilitator_id
    if prefs:
        request.session["prefs"] = prefs
    return RedirectResponse(_safe_next(next), status_code=303)


@pages.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@pages.get("/account/tokens")
def tokens_page(request: Request, session: SessionDep, facilitator: FacilitatorDep) -> Response:
    tokens = accounts.list_api_tokens(session=session, facilitator=facilitator)
    return render(request, "tokens.html", {"facilitator": facilitator, "tokens": tokens})


@pages.post("/account/tokens")
def tokens_create(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    name: Annotated[str, Form(max_length=80)] = "",
    scope: Annotated[str, Form()] = "read",
) -> Response:
    error = None
    new_token = None
    if scope not in {s.value for s in TokenScope}:
        error = "Choose read or write."
    elif not name.strip():
        error = "Give the token a name so you can recognise it later."
    else:
        _, new_token = accounts.create_api_token(
            session=session, facilitator=facilitator, name=name, scope=TokenScope(scope)
        )
    tokens = accounts.list_api_tokens(session=session, facilitator=facilitator)
    return render(
        request,
        "tokens.html",
        {"facilitator": facilitator, "tokens": tokens, "new_token": new_token, "error": error},
        status_code=422 if error else 200,
    )


@pages.post("/account/tokens/{token_id}/revoke")
def tokens_revoke(
    token_id: int, session: SessionDep, facilitator: FacilitatorDep, now: NowDep
) -> Response:
    accounts.revoke_api_token(session=session, facilitator=facilitator, token_id=token_id, now=now)
    return RedirectResponse("/account/tokens", status_code=303)


@api.post(
    "/token",
    response_model=AccessToken,
    responses={
        401: {"description": "Incorrect email or password"},
        422: {"description": "Invalid input"},
        429: {"description": "Too many attempts from this address; try again later"},
    },
)
def token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> AccessToken:
    """Exchange a facilitator's email and password for a bearer token (12 hours)."""
    facilitator_id = _login_attempt(
        request=request,
        session=session,
        settings=settings,
        now=now,
        email=form.username,
        password=form.password,
    )
    if facilitator_id is None:
        raise HTTPException(
            401, "Incorrect email or password.", headers={"WWW-Authenticate": "Bearer"}
        )
    return AccessToken(access_token=issue_access_token(settings, facilitator_id))


TOKEN_ERRORS = api_errors()


@api.get("/api-tokens", response_model=list[ApiTokenPublic], responses=TOKEN_ERRORS)
def api_tokens(session: SessionDep, facilitator: ApiWriter) -> list[ApiTokenPublic]:
    """List your long-lived API tokens (never the tokens themselves)."""
    rows = accounts.list_api_tokens(session=session, facilitator=facilitator)
    return [ApiTokenPublic.model_validate(r, from_attributes=True) for r in rows]


@api.post("/api-tokens", response_model=ApiTokenCreated, status_code=201, responses=TOKEN_ERRORS)
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


@api.delete(
    "/api-tokens/{token_id}",
    status_code=204,
    responses=api_errors(not_found="No such token of yours"),
)
def api_token_revoke(
    token_id: int, session: SessionDep, facilitator: ApiWriter, now: NowDep
) -> Response:
    """Revoke a token; it stops working at once."""
    accounts.revoke_api_token(session=session, facilitator=facilitator, token_id=token_id, now=now)
    return Response(status_code=204)
