"""Login and logout pages, API tokens (pages and JSON), OAuth2 password token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from app.deps.accounts import LoginDep
from app.deps.common import (
    CsrfDep,
    FacilitatorDep,
    NowDep,
    RowId,
    SessionDep,
    facilitator_id_if_signed_in,
)
from app.i18n import _
from app.kit.forms import see_other
from app.kit.rendering import render
from app.models.accounts import Facilitator, SessionKind, TokenScope
from app.security import SIGNED_IN
from app.services import accounts, sessions
from app.services.errors import TooManyAttempts

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


def _safe_next(next_url: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our login page.
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return next_url
    return "/dashboard"


def _login_page(
    request: Request,
    next_url: str | None,
    email: str = "",
    *,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    ctx = {"next": _safe_next(next_url), "email": email, "error": error}
    return render(request, "accounts/login.html", ctx, status_code=status_code, headers=headers)


@router.get("/login")
def login_page(
    request: Request, session: SessionDep, now: NowDep, next: str | None = None
) -> Response:
    if facilitator_id_if_signed_in(request, session, now) is not None:
        return see_other(_safe_next(next))
    return _login_page(request, next)


@router.post("/login")
def login(
    request: Request,
    sign_in: LoginDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=500)] = "/dashboard",
) -> Response:
    if not email.strip() or not password:
        error = _("Enter your email and password.")
        return _login_page(request, next, email, error=error, status_code=422)
    try:
        facilitator_id = sign_in.attempt(email, password)
    except TooManyAttempts as exc:
        retry = {"Retry-After": str(exc.retry_after)}
        return _login_page(request, next, email, error=exc.detail, status_code=429, headers=retry)
    if facilitator_id is None:
        error = _("That email and password do not match an account.")
        return _login_page(request, next, email, error=error, status_code=401)
    # Someone else signed in on this browser before: their session ends here.
    sessions.end_session_by_key(session=sign_in.session, key=request.session.get(SIGNED_IN))
    _row, key = sessions.start_session(
        session=sign_in.session,
        facilitator_id=facilitator_id,
        kind=SessionKind.BROWSER,
        user_agent=request.headers.get("user-agent", ""),
        now=sign_in.now,
    )
    prefs = request.session.get("prefs")
    request.session.clear()  # a fresh session on login: no fixation
    request.session[SIGNED_IN] = key
    if prefs:
        request.session["prefs"] = prefs
    return see_other(_safe_next(next))


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """Ends the session on the server too: a copy of the cookie no longer works."""
    sessions.end_session_by_key(session=session, key=request.session.get(SIGNED_IN))
    request.session.clear()
    return see_other("/login")


def _tokens_page(
    request: Request,
    session: SessionDep,
    facilitator: Facilitator,
    *,
    new_token: str | None = None,
    error: str | None = None,
) -> Response:
    tokens = accounts.list_api_tokens(session=session, facilitator=facilitator)
    return render(
        request,
        "accounts/tokens.html",
        {"facilitator": facilitator, "tokens": tokens, "new_token": new_token, "error": error},
        status_code=422 if error else 200,
    )


@router.get("/account/tokens")
def tokens_page(request: Request, session: SessionDep, facilitator: FacilitatorDep) -> Response:
    return _tokens_page(request, session, facilitator)


@router.post("/account/tokens")
def tokens_create(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    name: Annotated[str, Form(max_length=80)] = "",
    scope: Annotated[str, Form()] = "read",
) -> Response:
    if scope not in {s.value for s in TokenScope}:
        return _tokens_page(request, session, facilitator, error=_("Choose read or write."))
    if not name.strip():
        error = _("Give the token a name so you can recognise it later.")
        return _tokens_page(request, session, facilitator, error=error)
    _row, new_token = accounts.create_api_token(
        session=session, facilitator=facilitator, name=name, scope=TokenScope(scope)
    )
    return _tokens_page(request, session, facilitator, new_token=new_token)


@router.post("/account/tokens/{token_id}/revoke")
def tokens_revoke(
    token_id: RowId, session: SessionDep, facilitator: FacilitatorDep, now: NowDep
) -> Response:
    accounts.revoke_api_token(session=session, facilitator=facilitator, token_id=token_id, now=now)
    return see_other("/account/tokens")
