"""The lead's pages for a group's meetings: schedule, edit, attendance, run as a café, invites,
calendars."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response

from app.deps.common import CsrfDep, ExportLang, NowDep, SessionDep, SettingsDep
from app.deps.network import (
    CALENDAR_MEDIA,
    CoordinatedGroup,
    CoordinatedMeeting,
    Lead,
    LeadDep,
    MeetingFormDep,
    OwnedMeeting,
)
from app.i18n import _
from app.kit.downloads import attachment
from app.kit.forms import FormDep, build, refusal, see_other
from app.kit.qr import qr_svg
from app.models.network import (
    AttendanceMark,
    Meeting,
    MeetingUpdate,
    RunAsCafeRequest,
)
from app.services import roles
from app.services.errors import DomainError, Invalid
from app.services.network import attendance as attendance_service
from app.services.network import cafe_attach
from app.services.network import calendar as calendar_service
from app.services.network import invites as invite_service
from app.services.network import meetings as meeting_service
from app.services.network import members as member_service
from app.services.network import networks as network_service

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])


@router.get("/groups/{group_id:int}/calendar.ics")
def group_calendar(
    session: SessionDep,
    group: CoordinatedGroup,
    settings: SettingsDep,
    now: NowDep,
    lang: ExportLang,
) -> Response:
    """The group's meetings as an iCalendar file."""
    return attachment(
        calendar_service.group_calendar(
            session=session, group=group, base_url=settings.base_url, now=now, lang=lang
        ),
        media_type=CALENDAR_MEDIA,
        filename=f"group-{group.id}.ics",
    )


@router.get("/calendars/{token}.ics")
def calendar_feed(
    token: str, session: SessionDep, settings: SettingsDep, now: NowDep, lang: ExportLang
) -> Response:
    """A group's calendar for subscribing; the signed link shows dates and places only."""
    group = calendar_service.group_for_calendar(
        session=session, secret=settings.secret_key, token=token
    )
    return Response(
        calendar_service.group_calendar(
            session=session, group=group, base_url=settings.base_url, now=now, lang=lang
        ),
        media_type=CALENDAR_MEDIA,
    )


def _meeting_page(lead: Lead, meeting: Meeting, *, saved: bool = False, **shown: Any) -> Response:
    session = lead.session
    group = network_service.group_of(session=session, item=meeting)
    members, _rest = member_service.list_members(session=session, group=group)
    begins = meeting_service.local_time(meeting.starts_at)
    ends = meeting_service.local_time(meeting.ends_at)
    network = network_service.network_of(session=session, group=group)
    cafe = meeting_service.meeting_cafe(session=session, meeting=meeting)
    context = {
        "network": network,
        "owner": network.facilitator_id == lead.who.id,
        "may_run": cafe is not None
        and roles.may_run_cafe(session=session, facilitator_id=lead.who.id, cafe=cafe),
        "group": group,
        "meeting": meeting,
        "cafe": cafe,
        "sheet": attendance_service.attendance_sheet(session=session, meeting=meeting),
        "default_hours": meeting_service.meeting_hours(meeting),
        "default_questions": "\n".join(_(q) for q in invite_service.DEFAULT_QUESTIONS),
        "default_tables": max(1, -(-len(members) // invite_service.PEOPLE_PER_TABLE)),
        "edit": {
            "title": meeting.title,
            "date": begins.date().isoformat(),
            "start_time": f"{begins:%H:%M}",
            "end_time": f"{ends:%H:%M}",
            "location": meeting.location,
            "directions": meeting.directions,
            "bring": meeting.bring,
        },
        "saved": saved,
        "attachable": cafe_attach.attachable_cafes(session=session, facilitator=lead.who)
        if cafe is None and network.facilitator_id == lead.who.id
        else [],
    }
    # An HTMX post of the attendance sheet gets the sheet back, not the whole page.
    block = "attendance" if shown.get("form") == "attendance" else None
    return lead.page("network/meeting.html", context, block=block, **shown)


@router.get("/meetings/{meeting_id:int}")
def meeting_page(lead: LeadDep, meeting: CoordinatedMeeting, saved: bool = False) -> Response:
    """A meeting: its time and place, attendance, and running it as a café."""
    return _meeting_page(lead, meeting, saved=saved)


@router.post("/meetings/{meeting_id:int}")
def update_meeting(lead: LeadDep, meeting: CoordinatedMeeting, typed: MeetingFormDep) -> Response:
    """Move or rename a meeting."""
    try:
        data = typed.build(MeetingUpdate)
        meeting_service.update_meeting(session=lead.session, meeting=meeting, data=data)
    except DomainError as exc:
        shown = refusal(lead.session, exc, meeting)
        return _meeting_page(lead, meeting, form="meeting", values=typed.values, **shown)
    return see_other(f"/networks/meetings/{meeting.id}")


@router.post("/meetings/{meeting_id:int}/delete")
def delete_meeting(
    session: SessionDep, meeting: OwnedMeeting, confirm: Annotated[bool, Form()] = False
) -> Response:
    """Delete a meeting after the lead ticks the confirmation."""
    if not confirm:
        raise Invalid(_("Tick the box to confirm that the meeting should be deleted."))
    group_id = meeting.group_id
    meeting_service.delete_meeting(session=session, meeting=meeting)
    return see_other(f"/networks/groups/{group_id}#meetings")


@router.post("/meetings/{meeting_id:int}/attendance")
def mark_attendance(lead: LeadDep, meeting: CoordinatedMeeting, form: FormDep) -> Response:
    """Save who came and the hours to pay; an HTMX post gets the updated sheet back."""
    session = lead.session
    marks = []
    try:
        for row in attendance_service.attendance_sheet(session=session, meeting=meeting):
            mid = row.member.id
            attended = form.get(f"attended_{mid}") == "true"
            raw = str(form.get(f"hours_{mid}", "")).strip().replace(",", ".")
            try:
                hours = float(raw) if raw else None
            except ValueError:
                raise Invalid(
                    _(
                        "Hours for %(name)s must be a number, like 2 or 1.5.",
                        name=row.member.display_name,
                    )
                ) from None
            marks.append(build(AttendanceMark, member_id=mid, attended=attended, hours=hours))
        if marks:
            attendance_service.mark_attendance(session=session, meeting=meeting, marks=marks)
    except DomainError as exc:
        return _meeting_page(lead, meeting, form="attendance", **refusal(session, exc))
    if lead.request.headers.get("hx-request") != "true":
        return see_other(f"/networks/meetings/{meeting.id}?saved=true#attendance")
    return _meeting_page(lead, meeting, form="attendance", saved=True)


@router.post("/meetings/{meeting_id:int}/cafe")
def run_as_cafe(
    lead: LeadDep,
    meeting: CoordinatedMeeting,
    questions: Annotated[str, Form(max_length=20000)] = "",
    minutes: Annotated[str, Form(max_length=5)] = "20",
    table_count: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Create a café for the meeting, then hand out the members' invite links (the café is
    the lead's; a coordinator who creates it becomes its co-facilitator)."""
    try:
        data = build(
            RunAsCafeRequest,
            questions=[q.strip() for q in questions.splitlines() if q.strip()],
            minutes=minutes.strip() or 20,
            table_count=table_count.strip() or None,
        )
        roles.run_meeting_as_cafe(
            session=lead.session, facilitator=lead.who, meeting=meeting, data=data
        )
    except DomainError as exc:
        values = {"questions": questions, "minutes": minutes, "table_count": table_count}
        shown = refusal(lead.session, exc, meeting)
        return _meeting_page(lead, meeting, form="cafe", values=values, **shown)
    return see_other(f"/networks/meetings/{meeting.id}/invites")


@router.post("/meetings/{meeting_id:int}/attach")
def attach_cafe(
    lead: LeadDep, meeting: OwnedMeeting, cafe_id: Annotated[str, Form(max_length=12)] = ""
) -> Response:
    """Attach an existing café of the lead's to the meeting, so its evidence can be merged."""
    try:
        if not cafe_id.strip().isdigit():
            raise Invalid(_("Choose one of your cafés to attach."))
        cafe_attach.attach_cafe(
            session=lead.session, facilitator=lead.who, meeting=meeting, cafe_id=int(cafe_id)
        )
    except DomainError as exc:
        shown = refusal(lead.session, exc, meeting)
        return _meeting_page(lead, meeting, form="attach", values={"cafe_id": cafe_id}, **shown)
    return see_other(f"/networks/meetings/{meeting.id}#cafe-heading")


@router.post("/meetings/{meeting_id:int}/detach")
def detach_cafe(
    lead: LeadDep, meeting: OwnedMeeting, confirm: Annotated[bool, Form()] = False
) -> Response:
    """Detach the meeting's café (after the lead ticks the confirmation); the café is kept."""
    try:
        if not confirm:
            raise Invalid(
                _("Tick the box to say the café should be detached, then press the button.")
            )
        cafe_attach.detach_cafe(session=lead.session, meeting=meeting)
    except DomainError as exc:
        shown = refusal(lead.session, exc, meeting)
        return _meeting_page(lead, meeting, form="detach", **shown)
    return see_other(f"/networks/meetings/{meeting.id}#cafe-heading")


@router.get("/meetings/{meeting_id:int}/invites")
def invites_page(lead: LeadDep, meeting: CoordinatedMeeting) -> Response:
    """Each member's personal join link and QR code, to send or print."""
    session, settings = lead.session, lead.settings
    links = invite_service.invites(
        session=session, meeting=meeting, base_url=settings.base_url, secret=settings.secret_key
    )
    group = network_service.group_of(session=session, item=meeting)
    cafe = meeting_service.meeting_cafe(session=session, meeting=meeting)
    network = network_service.network_of(session=session, group=group)
    context = {
        "network": network,
        "owner": network.facilitator_id == lead.who.id,
        "group": group,
        "meeting": meeting,
        "cafe": cafe,
        "invites": [(m, url, qr_svg(url)) for m, url in links],
    }
    return lead.page("network/invites.html", context)
