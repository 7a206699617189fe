"""Login and logout pages, API tokens (pages and JSON), OAuth2 password token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from app.deps.accounts import login_attempt
from app.deps.common import (
    CsrfDep,
    FacilitatorDep,
    NowDep,
    SessionDep,
    SettingsDep,
)
from app.kit.rendering import render
from app.models.accounts import (
    TokenScope,
)
from app.services import accounts
from app.services.errors import TooManyAttempts

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


def _safe_next(next_url: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our login page.
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        return next_url
    return "/dashboard"


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    if request.session.get("facilitator_id"):
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "email": ""})


@router.post("/login")
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
        facilitator_id = login_attempt(
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


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account/tokens")
def tokens_page(request: Request, session: SessionDep, facilitator: FacilitatorDep) -> Response:
    tokens = accounts.list_api_tokens(session=session, facilitator=facilitator)
    return render(request, "tokens.html", {"facilitator": facilitator, "tokens": tokens})


@router.post("/account/tokens")
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


@router.post("/account/tokens/{token_id}/revoke")
def tokens_revoke(
    token_id: int, session: SessionDep, facilitator: FacilitatorDep, now: NowDep
) -> Response:
    accounts.revoke_api_token(session=session, facilitator=facilitator, token_id=token_id, now=now)
    return RedirectResponse("/account/tokens", status_code=303)
