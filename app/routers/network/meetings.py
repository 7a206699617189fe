"""The lead's pages for a group's meetings: schedule, edit, attendance, run as a café, invites,
calendars."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from app.deps.common import CsrfDep, FacilitatorDep, NowDep, SessionDep, SettingsDep
from app.deps.network import (
    OwnedGroup,
    OwnedMeeting,
    lead_context,
    meeting_span,
)
from app.kit.forms import FormDep, build, see_other
from app.kit.qr import qr_svg
from app.kit.rendering import render
from app.models.accounts import Facilitator
from app.models.network import (
    AttendanceMark,
    Meeting,
    MeetingUpdate,
    RunAsCafeRequest,
)
from app.services.errors import DomainError, Invalid
from app.services.network import attendance as attendance_service
from app.services.network import calendar as calendar_service
from app.services.network import invites as invite_service
from app.services.network import meetings as meeting_service
from app.services.network import members as member_service
from app.services.network import networks as network_service

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])


@router.get("/groups/{group_id:int}/calendar.ics")
def group_calendar(
    session: SessionDep, group: OwnedGroup, settings: SettingsDep, now: NowDep
) -> Response:
    """The group's meetings as an iCalendar file."""
    return Response(
        calendar_service.group_calendar(
            session=session, group=group, base_url=settings.base_url, now=now
        ),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="group-{group.id}.ics"'},
    )


@router.get("/calendars/{token}.ics")
def calendar_feed(token: str, session: SessionDep, settings: SettingsDep, now: NowDep) -> Response:
    """A group's calendar for subscribing; the signed link shows dates and places only."""
    group = calendar_service.group_for_calendar(
        session=session, secret=settings.secret_key, token=token
    )
    return Response(
        calendar_service.group_calendar(
            session=session, group=group, base_url=settings.base_url, now=now
        ),
        media_type="text/calendar; charset=utf-8",
    )


def _meeting_page(
    request: Request,
    session: SessionDep,
    meeting: Meeting,
    who: Facilitator,
    *,
    error: str | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    group = network_service.group_of(session=session, item=meeting)
    members, _ = member_service.list_members(session=session, group=group)
    begins = meeting_service.local_time(meeting.starts_at)
    ends = meeting_service.local_time(meeting.ends_at)
    return render(
        request,
        "networks/meeting.html",
        {
            **lead_context(who),
            "network": network_service.network_of(session=session, group=group),
            "group": group,
            "meeting": meeting,
            "cafe": meeting_service.meeting_cafe(session=session, meeting=meeting),
            "sheet": attendance_service.attendance_sheet(session=session, meeting=meeting),
            "default_hours": meeting_service.meeting_hours(meeting),
            "default_questions": "\n".join(invite_service.DEFAULT_QUESTIONS),
            "default_tables": max(1, -(-len(members) // invite_service.PEOPLE_PER_TABLE)),
            "edit": {
                "title": meeting.title,
                "date": begins.date().isoformat(),
                "start_time": f"{begins:%H:%M}",
                "end_time": f"{ends:%H:%M}",
                "location": meeting.location,
            },
            "error": error,
            "form": form,
            "values": values or {},
            "saved": saved,
        },
        block="attendance" if form == "attendance" else None,
        status_code=status_code,
    )


@router.get("/meetings/{meeting_id:int}")
def meeting_page(
    request: Request,
    session: SessionDep,
    meeting: OwnedMeeting,
    who: FacilitatorDep,
    saved: bool = False,
) -> Response:
    """A meeting: its time and place, attendance, and running it as a café."""
    return _meeting_page(request, session, meeting, who, saved=saved)


@router.post("/meetings/{meeting_id:int}")
def update_meeting(
    request: Request,
    session: SessionDep,
    meeting: OwnedMeeting,
    who: FacilitatorDep,
    title: Annotated[str, Form(max_length=500)] = "",
    date: Annotated[str, Form(max_length=20)] = "",
    start_time: Annotated[str, Form(max_length=10)] = "",
    end_time: Annotated[str, Form(max_length=10)] = "",
    location: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Move or rename a meeting."""
    values = {
        "title": title,
        "date": date,
        "start_time": start_time,
        "end_time": end_time,
        "location": location,
    }
    try:
        starts, ends = meeting_span(date, start_time, end_time, label="meeting")
        data = build(
            MeetingUpdate, title=title.strip(), starts_at=starts, ends_at=ends, location=location
        )
        meeting_service.update_meeting(session=session, meeting=meeting, data=data)
    except DomainError as exc:
        session.rollback()
        session.refresh(meeting)
        return _meeting_page(
            request,
            session,
            meeting,
            who,
            error=exc.detail,
            form="meeting",
            values=values,
            status_code=exc.status_code,
        )
    return see_other(f"/networks/meetings/{meeting.id}")


@router.post("/meetings/{meeting_id:int}/delete")
def delete_meeting(
    session: SessionDep, meeting: OwnedMeeting, confirm: Annotated[bool, Form()] = False
) -> Response:
    """Delete a meeting after the lead ticks the confirmation."""
    if not confirm:
        raise Invalid("Tick the box to confirm that the meeting should be deleted.")
    group_id = meeting.group_id
    meeting_service.delete_meeting(session=session, meeting=meeting)
    return see_other(f"/networks/groups/{group_id}#meetings")


@router.post("/meetings/{meeting_id:int}/attendance")
def mark_attendance(
    request: Request,
    session: SessionDep,
    meeting: OwnedMeeting,
    who: FacilitatorDep,
    form: FormDep,
) -> Response:
    """Save who came and the hours to pay; an HTMX post gets the updated sheet back."""
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
                    f"Hours for {row.member.display_name} must be a number, like 2 or 1.5."
                ) from None
            marks.append(build(AttendanceMark, member_id=mid, attended=attended, hours=hours))
        if marks:
            attendance_service.mark_attendance(session=session, meeting=meeting, marks=marks)
    except DomainError as exc:
        session.rollback()
        return _meeting_page(
            request,
            session,
            meeting,
            who,
            error=exc.detail,
            form="attendance",
            status_code=exc.status_code,
        )
    if request.headers.get("hx-request") != "true":
        return see_other(f"/networks/meetings/{meeting.id}?saved=true#attendance")
    return _meeting_page(request, session, meeting, who, form="attendance", saved=True)


@router.post("/meetings/{meeting_id:int}/cafe")
def run_as_cafe(
    request: Request,
    session: SessionDep,
    meeting: OwnedMeeting,
    who: FacilitatorDep,
    questions: Annotated[str, Form(max_length=20000)] = "",
    minutes: Annotated[str, Form(max_length=5)] = "20",
    table_count: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Create a café for the meeting, then hand out the members' invite links."""
    values = {"questions": questions, "minutes": minutes, "table_count": table_count}
    try:
        data = build(
            RunAsCafeRequest,
            questions=[q.strip() for q in questions.splitlines() if q.strip()],
            minutes=minutes.strip() or 20,
            table_count=table_count.strip() or None,
        )
        invite_service.run_as_cafe(session=session, facilitator=who, meeting=meeting, data=data)
    except DomainError as exc:
        session.rollback()
        session.refresh(meeting)
        return _meeting_page(
            request,
            session,
            meeting,
            who,
            error=exc.detail,
            form="cafe",
            values=values,
            status_code=exc.status_code,
        )
    return see_other(f"/networks/meetings/{meeting.id}/invites")


@router.get("/meetings/{meeting_id:int}/invites")
def invites_page(
    request: Request,
    session: SessionDep,
    meeting: OwnedMeeting,
    who: FacilitatorDep,
    settings: SettingsDep,
) -> Response:
    """Each member's personal join link and QR code, to send or print."""
    links = invite_service.invites(
        session=session, meeting=meeting, base_url=settings.base_url, secret=settings.secret_key
    )
    group = network_service.group_of(session=session, item=meeting)
    cafe = meeting_service.meeting_cafe(session=session, meeting=meeting)
    return render(
        request,
        "networks/invites.html",
        {
            **lead_context(who),
            "network": network_service.network_of(session=session, group=group),
            "group": group,
            "meeting": meeting,
            "cafe": cafe,
            "invites": [(m, url, qr_svg(url)) for m, url in links],
        },
    )
