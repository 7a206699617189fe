"""The account security page (signed-in sessions, sign out elsewhere, password change) and
the one-time password reset pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from app.deps.accounts import LoginDep
from app.deps.common import CsrfDep, NowDep, RowId, SessionDep, SignedIn, SignedInDep
from app.i18n import _, ngettext
from app.kit.forms import see_other
from app.kit.rendering import render
from app.services import sessions
from app.services.errors import NotFound, TooManyAttempts

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])

PasswordField = Annotated[str, Form(max_length=1000)]


def _security_page(
    request: Request,
    session: SessionDep,
    me: SignedIn,
    now: NowDep,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    rows = sessions.list_sessions(session=session, facilitator=me.facilitator, now=now)
    ctx = {
        "facilitator": me.facilitator,
        "sessions": rows,
        "current_id": me.session_id,
        "others": sum(1 for row in rows if row.id != me.session_id),
        "notice": notice,
        "errors": errors or {},
    }
    return render(request, "accounts/security.html", ctx, status_code=status_code, headers=headers)


@router.get("/account/security")
def security_page(request: Request, session: SessionDep, me: SignedInDep, now: NowDep) -> Response:
    return _security_page(request, session, me, now)


@router.post("/account/sessions/{session_id}/end")
def session_end(
    request: Request, session_id: RowId, session: SessionDep, me: SignedInDep, now: NowDep
) -> Response:
    try:
        sessions.end_session(session=session, facilitator=me.facilitator, session_id=session_id)
    except NotFound as exc:
        errors = {"sessions": exc.detail}
        return _security_page(request, session, me, now, errors=errors, status_code=404)
    if session_id == me.session_id:  # signing this browser out is logging out
        request.session.clear()
        return see_other("/login")
    return _security_page(request, session, me, now, notice=_("That session is signed out."))


@router.post("/account/sessions/end-others")
def sessions_end_others(
    request: Request, session: SessionDep, me: SignedInDep, now: NowDep
) -> Response:
    ended = sessions.end_other_sessions(
        session=session, facilitator_id=me.facilitator.id, keep_session_id=me.session_id
    )
    session.commit()
    notice = ngettext(
        "Signed out everywhere else (%(num)s session).",
        "Signed out everywhere else (%(num)s sessions).",
        ended,
    )
    return _security_page(request, session, me, now, notice=notice)


@router.post("/account/password")
def password_change(
    request: Request,
    session: SessionDep,
    me: SignedInDep,
    now: NowDep,
    sign_in: LoginDep,
    current_password: PasswordField = "",
    new_password: PasswordField = "",
    new_password_again: PasswordField = "",
) -> Response:
    def refuse(
        field: str, detail: str, status: int = 422, headers: dict[str, str] | None = None
    ) -> Response:
        errors = {field: detail}
        return _security_page(
            request, session, me, now, errors=errors, status_code=status, headers=headers
        )

    if not current_password:
        return refuse("current_password", _("Enter your current password."))
    try:
        # The same guard as the login page: a borrowed cookie cannot guess the password.
        checked = sign_in.attempt(me.facilitator.email, current_password)
    except TooManyAttempts as exc:
        return refuse(
            "current_password", exc.detail, 429, headers={"Retry-After": str(exc.retry_after)}
        )
    if checked != me.facilitator.id:
        return refuse("current_password", _("That is not your current password."))
    try:
        ended = sessions.change_password(
            session=session,
            facilitator=me.facilitator,
            new_password=new_password,
            new_password_again=new_password_again,
            keep_session_id=me.session_id,
        )
    except sessions.PasswordProblem as exc:
        return refuse(exc.field, exc.detail)
    notice = ngettext(
        "Your password is changed. Every other session is signed out (%(num)s session); "
        "this one stays signed in.",
        "Your password is changed. Every other session is signed out (%(num)s sessions); "
        "this one stays signed in.",
        ended,
    )
    return _security_page(request, session, me, now, notice=notice)


def _reset_page(
    request: Request,
    token: str,
    *,
    errors: dict[str, str] | None = None,
    done: bool = False,
    status_code: int = 200,
) -> Response:
    ctx = {"token": token, "errors": errors or {}, "done": done}
    return render(request, "accounts/reset.html", ctx, status_code=status_code)


@router.get("/reset/{token}")
def reset_page(request: Request, token: str, session: SessionDep, now: NowDep) -> Response:
    """The form for a new password, if the link still works (404 unknown, 410 used or
    expired, as a readable page)."""
    sessions.reset_for_token(session=session, token=token, now=now)
    return _reset_page(request, token)


@router.post("/reset/{token}")
def reset_submit(
    request: Request,
    token: str,
    session: SessionDep,
    now: NowDep,
    new_password: PasswordField = "",
    new_password_again: PasswordField = "",
) -> Response:
    try:
        sessions.use_reset(
            session=session,
            token=token,
            new_password=new_password,
            new_password_again=new_password_again,
            now=now,
        )
    except sessions.PasswordProblem as exc:
        session.rollback()
        return _reset_page(request, token, errors={exc.field: exc.detail}, status_code=422)
    # Whoever was signed in on this browser is signed out with the rest.
    request.session.clear()
    return _reset_page(request, token, done=True)
