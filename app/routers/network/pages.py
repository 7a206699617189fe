"""The lead's pages: networks, local groups, members (with their private contact details),
the meeting schedule, attendance, meetings run as cafés, invites and action plans."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from app.deps.common import CsrfDep, FacilitatorDep, NowDep, SessionDep, SettingsDep
from app.deps.network import (
    OwnedGroup,
    OwnedNetwork,
    lead_context,
    meeting_span,
    member_values,
)
from app.kit.forms import build, see_other
from app.kit.rendering import render
from app.models.accounts import Facilitator
from app.models.cafe import ROLE_LABELS
from app.models.network import (
    GroupCreate,
    GroupUpdate,
    LocalGroup,
    MeetingCreate,
    MemberCreate,
    Network,
    NetworkCreate,
    NetworkUpdate,
    ScheduleRequest,
)
from app.services import action_plan as plan_service
from app.services.errors import DomainError, Invalid
from app.services.network import attendance as attendance_service
from app.services.network import calendar as calendar_service
from app.services.network import groups as group_service
from app.services.network import meetings as meeting_service
from app.services.network import members as member_service
from app.services.network import networks as network_service

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])


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
    plans = {g.id: plan_service.plan_for_group(session=session, group=g) for g in groups}
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
            "project_plan": plan_service.project_plan(session=session, network=network),
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
            first, ends = meeting_span(first_date, start_time, end_time, label="first meeting")
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
            "plan": plan_service.plan_for_group(session=session, group=group),
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


@router.get("/groups/{group_id:int}/attendance.csv")
def group_attendance_csv(session: SessionDep, group: OwnedGroup) -> Response:
    """Attendance and hours per member of the group, for payment."""
    network = network_service.network_of(session=session, group=group)
    return Response(
        attendance_service.attendance_csv(session=session, network=network, group=group),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="group-{group.id}.csv"'},
    )


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
        first, ends = meeting_span(first_date, start_time, end_time, label="first meeting")
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
        starts, ends = meeting_span(date, start_time, end_time, label="meeting")
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
    values = member_values(
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
