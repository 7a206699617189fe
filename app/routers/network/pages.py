"""The lead's pages: networks, local groups, members (with their private contact details),
the meeting schedule, attendance, meetings run as cafés, invites and action plans."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from app.deps.common import CsrfDep, FacilitatorDep, NowDep, SessionDep, SettingsDep
from app.deps.network import (
    OwnedGroup,
    OwnedMeeting,
    OwnedMember,
    OwnedNetwork,
    lead_context,
)
from app.kit.forms import FormDep, build, see_other
from app.kit.qr import qr_svg
from app.kit.rendering import render
from app.models.accounts import Facilitator
from app.models.cafe import ROLE_LABELS
from app.models.network import (
    AttendanceMark,
    GroupCreate,
    GroupUpdate,
    LocalGroup,
    Meeting,
    MeetingCreate,
    MeetingUpdate,
    Member,
    MemberCreate,
    MemberUpdate,
    Network,
    NetworkCreate,
    NetworkUpdate,
    RunAsCafeRequest,
    ScheduleRequest,
)
from app.services import action_plan as plan_service
from app.services.errors import DomainError, Invalid
from app.services.network import attendance as attendance_service
from app.services.network import calendar as calendar_service
from app.services.network import groups as group_service
from app.services.network import invites as invite_service
from app.services.network import meetings as meeting_service
from app.services.network import members as member_service
from app.services.network import networks as network_service

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])


def _span(date: str, start: str, end: str, *, label: str) -> tuple[datetime, datetime]:
    """Start and end of a meeting typed as one date and two times (UK time)."""
    begins = meeting_service.parse_local(date_text=date, time_text=start, label=label)
    ends = meeting_service.parse_local(date_text=date, time_text=end or start, label=label)
    if ends <= begins:
        raise Invalid(f"The {label} must end after it starts.")
    return begins, ends


# --- networks -------------------------------------------------------------------------------


def _networks_page(
    request: Request,
    session: SessionDep,
    who: Facilitator,
    *,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    networks, _ = network_service.list_networks(session=session, facilitator=who)
    counts = network_service.group_counts(
        session=session, network_ids=[n.id for n in networks if n.id]
    )
    return render(
        request,
        "networks/list.html",
        {
            **lead_context(who),
            "networks": networks,
            "counts": counts,
            "error": error,
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("")
def networks_page(request: Request, session: SessionDep, who: FacilitatorDep) -> Response:
    """The networks you lead, and a form to start one."""
    return _networks_page(request, session, who)


@router.post("")
def create_network(
    request: Request,
    session: SessionDep,
    who: FacilitatorDep,
    title: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    """Start a network."""
    try:
        data = build(NetworkCreate, title=title.strip(), description=description)
        network = network_service.create_network(session=session, facilitator=who, data=data)
    except DomainError as exc:
        session.rollback()
        return _networks_page(
            request,
            session,
            who,
            error=exc.detail,
            values={"title": title, "description": description},
            status_code=exc.status_code,
        )
    return see_other(f"/networks/{network.id}")


def _network_page(
    request: Request,
    session: SessionDep,
    network: Network,
    who: Facilitator,
    *,
    error: str | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    groups, _ = group_service.list_groups(session=session, network=network)
    members, meetings = group_service.member_and_meeting_counts(
        session=session, group_ids=[g.id for g in groups if g.id]
    )
    plans = {g.id: plan_service.plan_for_group(session, g) for g in groups}
    return render(
        request,
        "networks/network.html",
        {
            **lead_context(who),
            "network": network,
            "groups": groups,
            "member_counts": members,
            "meeting_counts": meetings,
            "plans": plans,
            "project_plan": plan_service.project_plan(session, network),
            "error": error,
            "form": form,
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/{network_id:int}")
def network_page(
    request: Request,
    session: SessionDep,
    network: OwnedNetwork,
    who: FacilitatorDep,
) -> Response:
    """A network: its local groups, plans and exports."""
    return _network_page(request, session, network, who)


@router.post("/{network_id:int}")
def update_network(
    request: Request,
    session: SessionDep,
    network: OwnedNetwork,
    who: FacilitatorDep,
    title: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    """Change a network's topic or description."""
    try:
        data = build(NetworkUpdate, title=title.strip(), description=description)
        network_service.update_network(session=session, network=network, data=data)
    except DomainError as exc:
        session.rollback()
        session.refresh(network)
        return _network_page(
            request,
            session,
            network,
            who,
            error=exc.detail,
            form="network",
            values={"title": title, "description": description},
            status_code=exc.status_code,
        )
    return see_other(f"/networks/{network.id}")


@router.post("/{network_id:int}/delete")
def delete_network(
    session: SessionDep,
    network: OwnedNetwork,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """Delete a network after the lead ticks the confirmation."""
    if not confirm:
        raise Invalid("Tick the box to confirm that the network should be deleted.")
    network_service.delete_network(session=session, network=network)
    return see_other("/networks")


@router.post("/{network_id:int}/groups")
def create_group(
    request: Request,
    session: SessionDep,
    network: OwnedNetwork,
    who: FacilitatorDep,
    name: Annotated[str, Form(max_length=500)] = "",
    area: Annotated[str, Form(max_length=500)] = "",
    first_date: Annotated[str, Form(max_length=20)] = "",
    start_time: Annotated[str, Form(max_length=10)] = "10:00",
    end_time: Annotated[str, Form(max_length=10)] = "12:00",
    location: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Add a local group; with a first meeting date, its four meetings are planned too."""
    values = {
        "name": name,
        "area": area,
        "first_date": first_date,
        "start_time": start_time,
        "end_time": end_time,
        "location": location,
    }
    try:
        plan = None
        if first_date.strip():
            first, ends = _span(first_date, start_time, end_time, label="first meeting")
            plan = build(
                ScheduleRequest,
                start=first,
                duration_minutes=int((ends - first).total_seconds() // 60),
                location=location,
            )
        data = build(GroupCreate, name=name.strip(), area=area, location=location)
        group = group_service.create_group(session=session, network=network, data=data)
        if plan is not None:
            meeting_service.schedule_meetings(session=session, group=group, plan=plan)
    except DomainError as exc:
        session.rollback()
        return _network_page(
            request,
            session,
            network,
            who,
            error=exc.detail,
            form="group",
            values=values,
            status_code=exc.status_code,
        )
    return see_other(f"/networks/groups/{group.id}")


@router.get("/{network_id:int}/attendance.csv")
def network_attendance_csv(session: SessionDep, network: OwnedNetwork) -> Response:
    """Attendance and hours per member across the network, for payment."""
    return Response(
        attendance_service.attendance_csv(session=session, network=network),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="network-{network.id}.csv"'},
    )


# --- local groups ---------------------------------------------------------------------------


def _group_page(
    request: Request,
    session: SessionDep,
    group: LocalGroup,
    who: Facilitator,
    settings: SettingsDep,
    *,
    error: str | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    network = network_service.network_of(session=session, group=group)
    members, _ = member_service.list_members(session=session, group=group)
    meetings = meeting_service.meetings_in_order(session=session, group=group)
    token = calendar_service.calendar_token(secret=settings.secret_key, group=group)
    return render(
        request,
        "networks/group.html",
        {
            **lead_context(who),
            "network": network,
            "group": group,
            "members": members,
            "meetings": meetings,
            "plan": plan_service.plan_for_group(session, group),
            "feed_url": f"{settings.base_url.rstrip('/')}/networks/calendars/{token}.ics",
            "error": error,
            "form": form,
            "values": values or {},
        },
        status_code=status_code,
    )


@router.get("/groups/{group_id:int}")
def group_page(
    request: Request,
    session: SessionDep,
    group: OwnedGroup,
    who: FacilitatorDep,
    settings: SettingsDep,
) -> Response:
    """A local group: members with contact details, the meeting schedule, the action plan."""
    return _group_page(request, session, group, who, settings)


@router.post("/groups/{group_id:int}")
def update_group(
    request: Request,
    session: SessionDep,
    group: OwnedGroup,
    who: FacilitatorDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=500)] = "",
    area: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Rename a local group or change its area."""
    try:
        data = build(GroupUpdate, name=name.strip(), area=area)
        group_service.update_group(session=session, group=group, data=data)
    except DomainError as exc:
        session.rollback()
        session.refresh(group)
        return _group_page(
            request,
            session,
            group,
            who,
            settings,
            error=exc.detail,
            form="group",
            values={"name": name, "area": area},
            status_code=exc.status_code,
        )
    return see_other(f"/networks/groups/{group.id}")


@router.post("/groups/{group_id:int}/delete")
def delete_group(
    session: SessionDep, group: OwnedGroup, confirm: Annotated[bool, Form()] = False
) -> Response:
    """Delete a local group after the lead ticks the confirmation."""
    if not confirm:
        raise Invalid("Tick the box to confirm that the group should be deleted.")
    network_id = group.network_id
    group_service.delete_group(session=session, group=group)
    return see_other(f"/networks/{network_id}")


def _member_values(
    display_name: str,
    role: str,
    email: str,
    phone: str,
    accessibility_needs: str,
    consent_given: bool,
    consent_note: str,
) -> dict[str, Any]:
    return {
        "display_name": display_name,
        "role": role,
        "email": email,
        "phone": phone,
        "accessibility_needs": accessibility_needs,
        "consent_given": consent_given,
        "consent_note": consent_note,
    }


@router.post("/groups/{group_id:int}/members")
def create_member(
    request: Request,
    session: SessionDep,
    group: OwnedGroup,
    who: FacilitatorDep,
    settings: SettingsDep,
    now: NowDep,
    display_name: Annotated[str, Form(max_length=500)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=500)] = "",
    phone: Annotated[str, Form(max_length=100)] = "",
    accessibility_needs: Annotated[str, Form(max_length=4000)] = "",
    consent_given: Annotated[bool, Form()] = False,
    consent_note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Add a member to the group."""
    values = _member_values(
        display_name, role, email, phone, accessibility_needs, consent_given, consent_note
    )
    try:
        if role not in ROLE_LABELS:
            raise Invalid("Choose the member's stakeholder role.")
        data = build(MemberCreate, **{**values, "display_name": display_name.strip()})
        member_service.create_member(session=session, group=group, data=data, now=now)
    except DomainError as exc:
        session.rollback()
        return _group_page(
            request,
            session,
            group,
            who,
            settings,
            error=exc.detail,
            form="member",
            values=values,
            status_code=exc.status_code,
        )
    return see_other(f"/networks/groups/{group.id}#members")


@router.post("/groups/{group_id:int}/schedule")
def schedule_meetings(
    request: Request,
    session: SessionDep,
    group: OwnedGroup,
    who: FacilitatorDep,
    settings: SettingsDep,
    first_date: Annotated[str, Form(max_length=20)] = "",
    start_time: Annotated[str, Form(max_length=10)] = "10:00",
    end_time: Annotated[str, Form(max_length=10)] = "12:00",
    count: Annotated[str, Form(max_length=5)] = "4",
    interval_weeks: Annotated[str, Form(max_length=5)] = "8",
    location: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Plan the default schedule: four meetings, eight weeks apart, unless changed here."""
    values = {
        "first_date": first_date,
        "start_time": start_time,
        "end_time": end_time,
        "count": count,
        "interval_weeks": interval_weeks,
        "location": location,
    }
    try:
        first, ends = _span(first_date, start_time, end_time, label="first meeting")
        plan = build(
            ScheduleRequest,
            start=first,
            duration_minutes=int((ends - first).total_seconds() // 60),
            count=count.strip() or 4,
            interval_weeks=interval_weeks.strip() or 8,
            location=location,
        )
        meeting_service.schedule_meetings(session=session, group=group, plan=plan)
    except DomainError as exc:
        session.rollback()
        return _group_page(
            request,
            session,
            group,
            who,
            settings,
            error=exc.detail,
            form="schedule",
            values=values,
            status_code=exc.status_code,
        )
    return see_other(f"/networks/groups/{group.id}#meetings")


@router.post("/groups/{group_id:int}/meetings")
def create_meeting(
    request: Request,
    session: SessionDep,
    group: OwnedGroup,
    who: FacilitatorDep,
    settings: SettingsDep,
    title: Annotated[str, Form(max_length=500)] = "",
    date: Annotated[str, Form(max_length=20)] = "",
    start_time: Annotated[str, Form(max_length=10)] = "",
    end_time: Annotated[str, Form(max_length=10)] = "",
    location: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Add one meeting to the schedule."""
    values = {
        "title": title,
        "date": date,
        "start_time": start_time,
        "end_time": end_time,
        "location": location,
    }
    try:
        starts, ends = _span(date, start_time, end_time, label="meeting")
        data = build(
            MeetingCreate, title=title.strip(), starts_at=starts, ends_at=ends, location=location
        )
        meeting = meeting_service.create_meeting(session=session, group=group, data=data)
    except DomainError as exc:
        session.rollback()
        return _group_page(
            request,
            session,
            group,
            who,
            settings,
            error=exc.detail,
            form="meeting",
            values=values,
            status_code=exc.status_code,
        )
    return see_other(f"/networks/meetings/{meeting.id}")


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


@router.get("/groups/{group_id:int}/attendance.csv")
def group_attendance_csv(session: SessionDep, group: OwnedGroup) -> Response:
    """Attendance and hours per member of the group, for payment."""
    network = network_service.network_of(session=session, group=group)
    return Response(
        attendance_service.attendance_csv(session=session, network=network, group=group),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="group-{group.id}.csv"'},
    )


# --- members --------------------------------------------------------------------------------


def _member_page(
    request: Request,
    session: SessionDep,
    member: Member,
    who: Facilitator,
    *,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    group = network_service.group_of(session=session, item=member)
    return render(
        request,
        "networks/member.html",
        {
            **lead_context(who),
            "network": network_service.network_of(session=session, group=group),
            "group": group,
            "member": member,
            "error": error,
            "values": values or member.model_dump(),
        },
        status_code=status_code,
    )


@router.get("/members/{member_id:int}")
def member_page(
    request: Request, session: SessionDep, member: OwnedMember, who: FacilitatorDep
) -> Response:
    """Edit a member's details, consent and accessibility needs."""
    return _member_page(request, session, member, who)


@router.post("/members/{member_id:int}")
def update_member(
    request: Request,
    session: SessionDep,
    member: OwnedMember,
    who: FacilitatorDep,
    now: NowDep,
    display_name: Annotated[str, Form(max_length=500)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=500)] = "",
    phone: Annotated[str, Form(max_length=100)] = "",
    accessibility_needs: Annotated[str, Form(max_length=4000)] = "",
    consent_given: Annotated[bool, Form()] = False,
    consent_note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Save a member's details."""
    values = _member_values(
        display_name, role, email, phone, accessibility_needs, consent_given, consent_note
    )
    try:
        if role not in ROLE_LABELS:
            raise Invalid("Choose the member's stakeholder role.")
        data = build(MemberUpdate, **{**values, "display_name": display_name.strip()})
        member_service.update_member(session=session, member=member, data=data, now=now)
    except DomainError as exc:
        session.rollback()
        session.refresh(member)
        return _member_page(
            request,
            session,
            member,
            who,
            error=exc.detail,
            values=values,
            status_code=exc.status_code,
        )
    return see_other(f"/networks/groups/{member.group_id}#members")


@router.post("/members/{member_id:int}/delete")
def delete_member(
    session: SessionDep, member: OwnedMember, confirm: Annotated[bool, Form()] = False
) -> Response:
    """Remove a member after the lead ticks the confirmation."""
    if not confirm:
        raise Invalid("Tick the box to confirm that the member should be removed.")
    group_id = member.group_id
    member_service.delete_member(session=session, member=member)
    return see_other(f"/networks/groups/{group_id}#members")


@router.post("/members/{member_id:int}/revoke-invites")
def revoke_invites(session: SessionDep, member: OwnedMember) -> Response:
    """Stop every invite link already sent to this member."""
    invite_service.revoke_invites(session=session, member=member)
    return see_other(f"/networks/members/{member.id}")


# --- meetings -------------------------------------------------------------------------------


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
        starts, ends = _span(date, start_time, end_time, label="meeting")
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
            marks.append(build(AttendanceMark, member_id=mid or 0, attended=attended, hours=hours))
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


# --- action plans -------------------------------------------------------------------------
