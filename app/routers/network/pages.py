"""The lead's pages: networks, local groups, members (with their private contact details),
the meeting schedule, attendance, meetings run as cafés, invites and action plans."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response

from app.deps.common import (
    CsrfDep,
    FacilitatorDep,
    NowDep,
    SessionDep,
    SettingsDep,
)
from app.deps.network import (
    CoordinatedGroup,
    Lead,
    LeadDep,
    MeetingFormDep,
    MemberFormDep,
    OwnedGroup,
    OwnedNetwork,
    attendance_file,
    schedule_plan,
)
from app.i18n import _
from app.kit.forms import build, refusal, see_other
from app.models.base import utcnow
from app.models.network import (
    NETWORK_LANGUAGES,
    GroupCreate,
    GroupUpdate,
    LocalGroup,
    MeetingCreate,
    MemberCreate,
    Network,
    NetworkCreate,
    NetworkUpdate,
)
from app.services import action_plan as plan_service
from app.services import audit, roles
from app.services.errors import DomainError, Invalid
from app.services.network import calendar as calendar_service
from app.services.network import groups as group_service
from app.services.network import meetings as meeting_service
from app.services.network import members as member_service
from app.services.network import networks as network_service
from app.services.privacy import erasure

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])


# --- networks -------------------------------------------------------------------------------


def _networks_page(lead: Lead, **shown: Any) -> Response:
    networks, _rest = network_service.list_networks(session=lead.session, facilitator=lead.who)
    counts = network_service.group_counts(
        session=lead.session, network_ids=[n.id for n in networks]
    )
    return lead.page("network/list.html", {"networks": networks, "counts": counts}, **shown)


@router.get("")
def networks_page(lead: LeadDep) -> Response:
    """The networks you lead, and a form to start one."""
    return _networks_page(lead)


@router.post("")
def create_network(
    lead: LeadDep,
    title: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    """Start a network."""
    try:
        data = build(NetworkCreate, title=title.strip(), description=description)
        network = network_service.create_network(
            session=lead.session, facilitator=lead.who, data=data
        )
    except DomainError as exc:
        values = {"title": title, "description": description}
        return _networks_page(lead, values=values, **refusal(lead.session, exc))
    return see_other(f"/networks/{network.id}")


def _network_page(lead: Lead, network: Network, **shown: Any) -> Response:
    session = lead.session
    groups, _rest = group_service.list_groups(session=session, network=network)
    members, meetings = group_service.member_and_meeting_counts(
        session=session, group_ids=[g.id for g in groups]
    )
    plans = {g.id: plan_service.plan_for_group(session=session, group=g) for g in groups}
    context = {
        "network": network,
        "groups": groups,
        "member_counts": members,
        "meeting_counts": meetings,
        "plans": plans,
        "project_plan": plan_service.project_plan(session=session, network=network),
        "erases": erasure.preview_network(session=session, network=network),
    }
    return lead.page("network/network.html", context, **shown)


@router.get("/{network_id:int}")
def network_page(lead: LeadDep, network: OwnedNetwork) -> Response:
    """A network: its local groups, plans and exports."""
    return _network_page(lead, network)


@router.post("/{network_id:int}")
def update_network(
    lead: LeadDep,
    network: OwnedNetwork,
    title: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=8000)] = "",
    privacy_notice: Annotated[str | None, Form(max_length=10000)] = None,
    language: Annotated[str | None, Form(max_length=20)] = None,
) -> Response:
    """Change a network's topic, description, privacy notice or language."""
    try:
        if language is not None and language not in NETWORK_LANGUAGES:
            raise Invalid(_("Choose English or Cymraeg for members' pages and letters."))
        data = build(
            NetworkUpdate,
            title=title.strip(),
            description=description,
            privacy_notice=privacy_notice,
            language=language,
        )
        network_service.update_network(session=lead.session, network=network, data=data)
    except DomainError as exc:
        values = {
            "title": title,
            "description": description,
            "privacy_notice": privacy_notice,
            "language": language,
        }
        shown = refusal(lead.session, exc, network)
        return _network_page(lead, network, form="network", values=values, **shown)
    return see_other(f"/networks/{network.id}")


@router.post("/{network_id:int}/delete")
def delete_network(
    session: SessionDep,
    network: OwnedNetwork,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    now: NowDep,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """Erase a network after the lead ticks the confirmation."""
    if not confirm:
        raise Invalid(_("Tick the box to confirm that the network should be erased."))
    erasure.erase_network(
        session=session,
        media_dir=settings.media_dir,
        network=network,
        actor=audit.facilitator(facilitator),
        now=now,
    )
    return see_other("/networks")


@router.post("/{network_id:int}/groups")
def create_group(
    lead: LeadDep,
    network: OwnedNetwork,
    name: Annotated[str, Form(max_length=500)] = "",
    area: Annotated[str, Form(max_length=500)] = "",
    first_date: Annotated[str, Form(max_length=20)] = "",
    start_time: Annotated[str, Form(max_length=10)] = "10:00",
    end_time: Annotated[str, Form(max_length=10)] = "12:00",
    location: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Add a local group; with a first meeting date, its four meetings are planned too."""
    session = lead.session
    try:
        plan = None
        if first_date.strip():
            plan = schedule_plan(first_date, start_time, end_time, location=location)
        data = build(GroupCreate, name=name.strip(), area=area, location=location)
        group = group_service.create_group(session=session, network=network, data=data)
        if plan is not None:
            meeting_service.schedule_meetings(session=session, group=group, plan=plan)
    except DomainError as exc:
        values = {
            "name": name,
            "area": area,
            "first_date": first_date,
            "start_time": start_time,
            "end_time": end_time,
            "location": location,
        }
        return _network_page(lead, network, form="group", values=values, **refusal(session, exc))
    return see_other(f"/networks/groups/{group.id}")


@router.get("/{network_id:int}/attendance.csv")
def network_attendance_csv(session: SessionDep, network: OwnedNetwork) -> Response:
    """Attendance and hours per member across the network, for payment."""
    return attendance_file(session=session, network=network)


# --- local groups ---------------------------------------------------------------------------


def _group_page(lead: Lead, group: LocalGroup, **shown: Any) -> Response:
    session, settings = lead.session, lead.settings
    network = network_service.network_of(session=session, group=group)
    members, _rest = member_service.list_members(session=session, group=group)
    # Each time the page shows the members' contact details (after a refused form too).
    member_service.contact_details_seen(
        db=lead.db,
        session=session,
        actor=audit.facilitator(lead.who),
        members=members,
        group=group,
    )
    meetings = meeting_service.meetings_in_order(session=session, group=group)
    token = calendar_service.calendar_token(secret=settings.secret_key, group=group)
    owner = network.facilitator_id == lead.who.id
    context = {
        "network": network,
        "owner": owner,
        # Only the lead sees and manages who coordinates the group.
        "helpers": roles.helpers(session=session, group=group) if owner else [],
        "invites": (
            roles.pending_invites(session=session, group=group, now=utcnow()) if owner else []
        ),
        "group": group,
        "members": members,
        "meetings": meetings,
        "plan": plan_service.plan_for_group(session=session, group=group),
        "feed_url": f"{settings.base_url.rstrip('/')}/networks/calendars/{token}.ics",
    }
    return lead.page("network/group.html", context, **shown)


@router.get("/groups/{group_id:int}")
def group_page(lead: LeadDep, group: CoordinatedGroup) -> Response:
    """A local group: members with contact details, the meeting schedule, the action plan."""
    return _group_page(lead, group)


@router.post("/groups/{group_id:int}")
def update_group(
    lead: LeadDep,
    group: OwnedGroup,
    name: Annotated[str, Form(max_length=500)] = "",
    area: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Rename a local group or change its area."""
    try:
        data = build(GroupUpdate, name=name.strip(), area=area)
        group_service.update_group(session=lead.session, group=group, data=data)
    except DomainError as exc:
        values = {"name": name, "area": area}
        shown = refusal(lead.session, exc, group)
        return _group_page(lead, group, form="group", values=values, **shown)
    return see_other(f"/networks/groups/{group.id}")


@router.post("/groups/{group_id:int}/delete")
def delete_group(
    session: SessionDep, group: OwnedGroup, confirm: Annotated[bool, Form()] = False
) -> Response:
    """Delete a local group after the lead ticks the confirmation."""
    if not confirm:
        raise Invalid(_("Tick the box to confirm that the group should be deleted."))
    network_id = group.network_id
    group_service.delete_group(session=session, group=group)
    return see_other(f"/networks/{network_id}")


@router.get("/groups/{group_id:int}/attendance.csv")
def group_attendance_csv(session: SessionDep, group: CoordinatedGroup) -> Response:
    """Attendance and hours per member of the group, for payment."""
    network = network_service.network_of(session=session, group=group)
    return attendance_file(session=session, network=network, group=group)


@router.post("/groups/{group_id:int}/schedule")
def schedule_meetings(
    lead: LeadDep,
    group: CoordinatedGroup,
    first_date: Annotated[str, Form(max_length=20)] = "",
    start_time: Annotated[str, Form(max_length=10)] = "10:00",
    end_time: Annotated[str, Form(max_length=10)] = "12:00",
    count: Annotated[str, Form(max_length=5)] = "4",
    interval_weeks: Annotated[str, Form(max_length=5)] = "8",
    location: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Plan the default schedule: four meetings, eight weeks apart, unless changed here."""
    try:
        plan = schedule_plan(
            first_date,
            start_time,
            end_time,
            location=location,
            count=count.strip() or 4,
            interval_weeks=interval_weeks.strip() or 8,
        )
        meeting_service.schedule_meetings(session=lead.session, group=group, plan=plan)
    except DomainError as exc:
        values = {
            "first_date": first_date,
            "start_time": start_time,
            "end_time": end_time,
            "count": count,
            "interval_weeks": interval_weeks,
            "location": location,
        }
        shown = refusal(lead.session, exc)
        return _group_page(lead, group, form="schedule", values=values, **shown)
    return see_other(f"/networks/groups/{group.id}#meetings")


@router.post("/groups/{group_id:int}/meetings")
def create_meeting(lead: LeadDep, group: CoordinatedGroup, typed: MeetingFormDep) -> Response:
    """Add one meeting to the schedule."""
    try:
        data = typed.build(MeetingCreate)
        meeting = meeting_service.create_meeting(session=lead.session, group=group, data=data)
    except DomainError as exc:
        shown = refusal(lead.session, exc)
        return _group_page(lead, group, form="meeting", values=typed.values, **shown)
    return see_other(f"/networks/meetings/{meeting.id}")


@router.post("/groups/{group_id:int}/members")
def create_member(
    lead: LeadDep, group: CoordinatedGroup, now: NowDep, typed: MemberFormDep
) -> Response:
    """Add a member to the group."""
    try:
        data = typed.build(MemberCreate)
        member_service.create_member(session=lead.session, group=group, data=data, now=now)
    except DomainError as exc:
        shown = refusal(lead.session, exc)
        return _group_page(lead, group, form="member", values=typed.values, **shown)
    return see_other(f"/networks/groups/{group.id}#members")
