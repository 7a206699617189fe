"""A member's own pages: the personal link that signs their device in (`/m/{token}`), their
page (`/me`), their consent, everything held about them, and their request to be erased.

Every page here shows the member their own details and their group's meetings: nobody
else's name or contact details, no drafts. Nothing needs JavaScript."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from app.deps.common import CsrfDep, ExportLang, NowDep, SessionDep, SettingsDep
from app.deps.member import DeviceMemberDep, forget_member, remember_member
from app.i18n import _
from app.kit.downloads import attachment
from app.kit.forms import see_other
from app.kit.rendering import render
from app.models.audit import ACTION_WORDS
from app.models.network import Member
from app.services.material import for_members
from app.services.network import calendar as calendar_service
from app.services.network import follow_up, heard_for_members
from app.services.network import meetings as meeting_service
from app.services.network import member_page as member_page_service
from app.services.network.networks import group_of, network_of
from app.services.privacy import access, erasure, retention

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])

CALENDAR_MEDIA = "text/calendar; charset=utf-8"
JSON_MEDIA = "application/json"


def _page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    shown = {"when": meeting_service.describe_when, "day": retention.day, **context}
    return render(request, template, shown, status_code=status_code)


def _no_access(request: Request, *, stopped: bool = False) -> Response:
    """The plain page for a link that does not work, or a device that has opened none."""
    return _page(request, "member/no_access.html", {"stopped": stopped}, status_code=404)


@router.get("/m/{token}")
def open_link(token: str, request: Request, session: SessionDep, now: NowDep) -> Response:
    """Open a member's personal link: their device is signed in (a signed, HttpOnly cookie)
    and sent on to their page, so the link leaves the address bar."""
    link = member_page_service.open_link(session=session, token=token, now=now)
    if link is None:
        return _no_access(request, stopped=True)
    remember_member(request, link)
    return see_other("/me")


@router.get("/me")
def my_page(
    request: Request,
    member: DeviceMemberDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    saved: bool = False,
) -> Response:
    """The member's own page: their next meeting, a café to join now, meetings they came to
    with what we heard there, "you said, we did", their consent and their data."""
    if member is None:
        return _no_access(request)
    home = member_page_service.member_home(
        session=session,
        member=member,
        now=now,
        base_url=settings.base_url,
        secret=settings.secret_key,
    )
    materials = for_members.materials_for_member(session=session, member=member)
    news = heard_for_members.member_news(session=session, member=member)
    follow = follow_up.for_member(session=session, member=member, now=now)
    context = {"home": home, "saved": saved, "materials": materials, "news": news}
    return _page(request, "member/home.html", {**context, "follow": follow})


@router.post("/me/consent")
def change_consent(
    request: Request,
    member: DeviceMemberDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    consent: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The member says yes or no to their words being used as evidence."""
    if member is None:
        return _no_access(request)
    if consent not in {"yes", "no"}:
        home = member_page_service.member_home(
            session=session,
            member=member,
            now=now,
            base_url=settings.base_url,
            secret=settings.secret_key,
        )
        context = {
            "home": home,
            "consent_error": _("Choose yes or no, then press Save."),
            "materials": for_members.materials_for_member(session=session, member=member),
            "news": heard_for_members.member_news(session=session, member=member),
            "follow": follow_up.for_member(session=session, member=member, now=now),
        }
        return _page(request, "member/home.html", context, status_code=422)
    member_page_service.set_consent(session=session, member=member, given=consent == "yes", now=now)
    return see_other("/me?saved=true#consent")


@router.get("/me/calendar.ics")
def my_calendar(
    request: Request,
    member: DeviceMemberDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    lang: ExportLang,
) -> Response:
    """The member's group's meetings, to add to the calendar on their phone."""
    if member is None:
        return _no_access(request)
    group = group_of(session=session, item=member)
    return attachment(
        calendar_service.group_calendar(
            session=session, group=group, base_url=settings.base_url, now=now, lang=lang
        ),
        media_type=CALENDAR_MEDIA,
        filename="meetings.ics",
    )


@router.get("/me/data")
def my_data(
    request: Request, member: DeviceMemberDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """Everything held about the member, for them to read or print."""
    if member is None:
        return _no_access(request)
    data = access.member_data(session=session, member=member, default_days=settings.keep_days)
    return _page(
        request,
        "member/data.html",
        {
            "member": data,
            "people": data.cafes,
            "action_words": ACTION_WORDS,
            "held_words": access.HELD_WORDS,
        },
    )


@router.get("/me/data.json")
def my_data_json(
    request: Request, member: DeviceMemberDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """Everything held about the member as a JSON file (the same as the lead's subject access
    export, for them alone)."""
    if member is None:
        return _no_access(request)
    data = access.member_data(session=session, member=member, default_days=settings.keep_days)
    return attachment(
        data.model_dump_json(indent=1), media_type=JSON_MEDIA, filename="my-data.json"
    )


def _erase_page(
    request: Request, member: Member, session: SessionDep, *, error: str | None = None
) -> Response:
    group = group_of(session=session, item=member)
    context = {
        "member": member,
        "group": group,
        "network": network_of(session=session, group=group),
        "erases": erasure.preview_member(session=session, member=member),
        "error": error,
    }
    return _page(request, "member/erase.html", context, status_code=422 if error else 200)


@router.get("/me/erase")
def erase_page(request: Request, member: DeviceMemberDep, session: SessionDep) -> Response:
    """What asking to be deleted removes, in plain words, and the button to do it."""
    if member is None:
        return _no_access(request)
    return _erase_page(request, member, session)


@router.post("/me/erase")
def erase_me(
    request: Request,
    member: DeviceMemberDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """Erase everything about the member, at their request; their device is signed out."""
    if member is None:
        return _no_access(request)
    if not confirm:
        error = _("Tick the box to say you want everything deleted, then press the button.")
        return _erase_page(request, member, session, error=error)
    member_page_service.erase_at_request(
        session=session, media_dir=settings.media_dir, member=member, now=now
    )
    forget_member(request)
    return see_other("/me/bye")


@router.post("/me/sign-out")
def sign_out(request: Request) -> Response:
    """Forget the member on this device (a shared phone); their link still works."""
    forget_member(request)
    return see_other("/me")


@router.get("/me/bye")
def goodbye(request: Request) -> Response:
    """Said after a member's data was deleted at their request."""
    return _page(request, "member/bye.html", {})
