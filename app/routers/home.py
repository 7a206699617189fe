"""The front door: enter a join code; the facilitator's dashboard; display preferences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from app import i18n
from app.deps.common import CsrfDep, FacilitatorDep, NowDep, SessionDep, SettingsDep
from app.i18n import _
from app.kit.rendering import render
from app.services import roles
from app.services.cafe import cafes as cafe_service
from app.services.errors import Invalid
from app.services.privacy import retention

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "home.html", {})


@router.post("/")
def home_code(request: Request, code: Annotated[str, Form(max_length=40)] = "") -> Response:
    cleaned = cafe_service.normalise_code(code)
    if not cleaned:
        error = (
            _(
                "“%(code)s” is not a café code. Check the letters and digits shown on the big "
                "screen and type them again.",
                code=code.strip()[:40],
            )
            if code.strip()
            else _("Type the code shown on the big screen.")
        )
        return render(request, "home.html", {"error": error, "code": code}, status_code=422)
    return RedirectResponse(f"/j/{cleaned}", status_code=303)


@router.get("/dashboard")
def dashboard(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    cafes = cafe_service.list_cafes(session=session, facilitator=facilitator)
    # Cafés and networks erased within two weeks, so the owner can download what they need.
    erasing = retention.warnings(
        session=session, owner_id=facilitator.id, default_days=settings.keep_days, now=now
    )
    context = {
        "facilitator": facilitator,
        "cafes": cafes,
        "helping": roles.cafes_helped(session=session, facilitator=facilitator),
        "groups": roles.groups_coordinated(session=session, facilitator=facilitator),
        "erasing": erasing,
        "day": retention.day,
    }
    return render(request, "dashboard.html", context)


@router.post("/language")
def choose_language(
    lang: Annotated[str, Form(max_length=10)],
    back: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Speak this language on every page from now on (a cookie for a year, no account)."""
    chosen = i18n.supported(lang)
    if chosen is None:
        raise Invalid(_("Choose Cymraeg or English."))
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        i18n.COOKIE, chosen, max_age=i18n.COOKIE_MAX_AGE, samesite="lax", httponly=False
    )
    return response


@router.post("/preferences")
def preferences(
    request: Request,
    large_text: Annotated[bool, Form()] = False,
    high_contrast: Annotated[bool, Form()] = False,
    back: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    request.session["prefs"] = {"large_text": large_text, "high_contrast": high_contrast}
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)
