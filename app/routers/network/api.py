"""JSON API for networks: local groups, members, meetings, attendance, cafés run from
meetings, calendars, attendance exports and action plans.

A network's lists are read as a café's contributions: a page at a time in the order their
rows changed, after the opaque cursor given as `after`; the reply's `next_cursor` is the
`after` for the next page and for polling later, `deleted` the ids of rows deleted since
(`app.services.network.sync`). A plain row id as `after` is the deprecated id cursor. The
list of your networks is read after a network id: each network numbers its own changes."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime
from sqlmodel import Session

from app.deps.common import (
    ApiReader,
    ApiWriter,
    DatabaseDep,
    ExportLang,
    NowDep,
    SessionDep,
    SettingsDep,
)
from app.deps.network import (
    CALENDAR_MEDIA,
    ERRORS,
    After,
    Cursor,
    Limit,
    ReadCoordinatedGroup,
    ReadCoordinatedMeeting,
    ReadCoordinatedMember,
    ReadNetwork,
    WriteCoordinatedGroup,
    WriteCoordinatedMeeting,
    WriteCoordinatedMember,
    WriteGroup,
    WriteMeeting,
    WriteMember,
    WriteNetwork,
    attendance_file,
    page_of,
)
from app.models.cafe import CafePublic, StakeholderRole
from app.models.network import (
    AttendancePublic,
    AttendanceRequest,
    ChangePage,
    GroupCreate,
    GroupPublic,
    GroupUpdate,
    InvitePublic,
    LocalGroup,
    Meeting,
    MeetingCreate,
    MeetingPublic,
    MeetingUpdate,
    Member,
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    Network,
    NetworkCreate,
    NetworkPublic,
    NetworkUpdate,
    Page,
    RunAsCafeRequest,
    ScheduleRequest,
)
from app.services import audit
from app.services.cafe import cafes as cafe_service
from app.services.network import attendance as attendance_service
from app.services.network import cafe_attach, sync
from app.services.network import calendar as calendar_service
from app.services.network import groups as group_service
from app.services.network import invites as invite_service
from app.services.network import meetings as meeting_service
from app.services.network import members as member_service
from app.services.network import networks as network_service
from app.services.privacy import erasure

router = APIRouter(prefix="/api/v1/networks", tags=["networks"])

CSV_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERRORS,
    200: {"description": "CSV, one row per member", "content": {"text/csv": {}}},
}


def _networks_public(session: Session, networks: list[Network]) -> list[NetworkPublic]:
    counts = network_service.group_counts(session=session, network_ids=[n.id for n in networks])
    return [
        NetworkPublic(**n.model_dump(exclude={"facilitator_id"}), group_count=counts.get(n.id, 0))
        for n in networks
    ]


def _groups_public(session: Session, groups: list[LocalGroup]) -> list[GroupPublic]:
    members, meetings = group_service.member_and_meeting_counts(
        session=session, group_ids=[g.id for g in groups]
    )
    return [
        GroupPublic(
            **g.model_dump(),
            member_count=members.get(g.id, 0),
            meeting_count=meetings.get(g.id, 0),
        )
        for g in groups
    ]


def _members_public(members: list[Member]) -> list[MemberPublic]:
    return [MemberPublic.model_validate(m, from_attributes=True) for m in members]


def _meetings_public(meetings: list[Meeting]) -> list[MeetingPublic]:
    return [MeetingPublic.model_validate(m, from_attributes=True) for m in meetings]


def _attendance_public(
    meeting: Meeting, rows: list[attendance_service.AttendanceRow]
) -> list[AttendancePublic]:
    return [
        AttendancePublic(
            meeting_id=meeting.id,
            member_id=row.member.id,
            display_name=row.member.display_name,
            role=row.member.role,
            attended=row.attended,
            hours=row.hours,
            marked=row.record is not None,
            joined_cafe=row.joined_cafe,
        )
        for row in rows
    ]


# --- networks -------------------------------------------------------------------------------


@router.get("", responses=ERRORS)
def list_networks(
    session: SessionDep, who: ApiReader, after: After = None, limit: Limit = 50
) -> Page[NetworkPublic]:
    """List the networks you lead, oldest first, a page at a time after a network id (kept
    on the id cursor: each network numbers its own changes, so there is no one order of
    changes across them; a network's own lists carry its changes, and a network erased
    answers 404)."""
    found = network_service.list_networks(
        session=session, facilitator=who, after=after, limit=limit
    )
    return page_of(found, partial(_networks_public, session))


@router.post("", status_code=201, responses=ERRORS)
def create_network(body: NetworkCreate, session: SessionDep, who: ApiWriter) -> NetworkPublic:
    """Start a network on a topic; you are its lead."""
    network = network_service.create_network(session=session, facilitator=who, data=body)
    return _networks_public(session, [network])[0]


@router.get("/{network_id:int}", responses=ERRORS)
def read_network(network: ReadNetwork, session: SessionDep) -> NetworkPublic:
    """Read a network."""
    return _networks_public(session, [network])[0]


@router.patch("/{network_id:int}", responses=ERRORS)
def update_network(
    body: NetworkUpdate, network: WriteNetwork, session: SessionDep
) -> NetworkPublic:
    """Change a network's topic or description."""
    network_service.update_network(session=session, network=network, data=body)
    return _networks_public(session, [network])[0]


@router.delete("/{network_id:int}", status_code=204, responses=ERRORS)
def delete_network(
    network: WriteNetwork, who: ApiWriter, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Erase a network with its groups, members (and what they said in cafés through their
    invites), meetings, materials and plans, as `POST /api/v1/networks/{id}/erase`; cafés
    run from its meetings are kept."""
    erasure.erase_network(
        session=session,
        media_dir=settings.media_dir,
        network=network,
        actor=audit.facilitator(who),
        now=now,
    )
    return Response(status_code=204)


@router.get("/{network_id:int}/attendance.csv", responses=CSV_RESPONSES)
def network_attendance_csv(network: ReadNetwork, session: SessionDep) -> Response:
    """Attendance and hours per member across all local groups, as CSV for payment."""
    return attendance_file(session=session, network=network)


# --- local groups ---------------------------------------------------------------------------


@router.get("/{network_id:int}/groups", responses=ERRORS)
def list_groups(
    network: ReadNetwork,
    session: SessionDep,
    area: Annotated[str | None, Query(max_length=120, description="Only this area's.")] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[GroupPublic]:
    """List a network's local groups with their member and meeting counts, in the order
    they changed (a member or meeting added or removed changes its group)."""
    found = sync.groups(session=session, network=network, area=area, after=after, limit=limit)
    return page_of(found, partial(_groups_public, session))


@router.post("/{network_id:int}/groups", status_code=201, responses=ERRORS)
def create_group(body: GroupCreate, network: WriteNetwork, session: SessionDep) -> GroupPublic:
    """Add a local group; give `first_meeting_at` to plan the default four meetings too."""
    group = group_service.create_group(session=session, network=network, data=body)
    return _groups_public(session, [group])[0]


@router.get("/groups/{group_id:int}", responses=ERRORS)
def read_group(group: ReadCoordinatedGroup, session: SessionDep) -> GroupPublic:
    """Read a local group."""
    return _groups_public(session, [group])[0]


@router.patch("/groups/{group_id:int}", responses=ERRORS)
def update_group(body: GroupUpdate, group: WriteGroup, session: SessionDep) -> GroupPublic:
    """Rename a local group or change its area."""
    group_service.update_group(session=session, group=group, data=body)
    return _groups_public(session, [group])[0]


@router.delete("/groups/{group_id:int}", status_code=204, responses=ERRORS)
def delete_group(group: WriteGroup, session: SessionDep) -> Response:
    """Delete a local group with its members, meetings and attendance."""
    group_service.delete_group(session=session, group=group)
    return Response(status_code=204)


@router.get("/groups/{group_id:int}/attendance.csv", responses=CSV_RESPONSES)
def group_attendance_csv(group: ReadCoordinatedGroup, session: SessionDep) -> Response:
    """Attendance and hours per member of one local group, as CSV for payment."""
    network = network_service.network_of(session=session, group=group)
    return attendance_file(session=session, network=network, group=group)


@router.get(
    "/groups/{group_id:int}/calendar.ics",
    responses={**ERRORS, 200: {"content": {"text/calendar": {}}}},
)
def group_calendar(
    group: ReadCoordinatedGroup,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    lang: ExportLang,
) -> Response:
    """The group's meetings as an iCalendar (RFC 5545) file."""
    body = calendar_service.group_calendar(
        session=session, group=group, base_url=settings.base_url, now=now, lang=lang
    )
    return Response(body, media_type=CALENDAR_MEDIA)


# --- members --------------------------------------------------------------------------------


@router.get("/groups/{group_id:int}/members", responses=ERRORS)
def list_members(
    group: ReadCoordinatedGroup,
    who: ApiReader,
    db: DatabaseDep,
    session: SessionDep,
    role: Annotated[StakeholderRole | None, Query(description="Only members in this role.")] = None,
    consent_given: Annotated[
        bool | None, Query(description="Only members who gave (true) or did not give consent.")
    ] = None,
    already_funded: Annotated[
        bool | None, Query(description="Only members whose time is (true) or is not funded.")
    ] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[MemberPublic]:
    """List a group's members in the order they changed, with their contact details (only
    you, the lead, see these; each read that shows some is in the audit log)."""
    found = sync.members(
        session=session,
        group=group,
        role=role.value if role else None,
        consent_given=consent_given,
        already_funded=already_funded,
        after=after,
        limit=limit,
    )
    member_service.contact_details_seen(
        db=db, session=session, actor=audit.facilitator(who), members=found.rows, group=group
    )
    return page_of(found, _members_public)


@router.post("/groups/{group_id:int}/members", status_code=201, responses=ERRORS)
def create_member(
    body: MemberCreate, group: WriteCoordinatedGroup, session: SessionDep, now: NowDep
) -> MemberPublic:
    """Add a member with their stakeholder role, optional contact details and consent."""
    member = member_service.create_member(session=session, group=group, data=body, now=now)
    return _members_public([member])[0]


@router.get("/members/{member_id:int}", responses=ERRORS)
def read_member(
    member: ReadCoordinatedMember, who: ApiReader, db: DatabaseDep, session: SessionDep
) -> MemberPublic:
    """Read a member, with their contact details (a read that shows some is in the audit
    log)."""
    member_service.contact_details_seen(
        db=db, session=session, actor=audit.facilitator(who), members=[member]
    )
    return _members_public([member])[0]


@router.patch("/members/{member_id:int}", responses=ERRORS)
def update_member(
    body: MemberUpdate,
    member: WriteCoordinatedMember,
    who: ApiWriter,
    session: SessionDep,
    now: NowDep,
) -> MemberPublic:
    """Change a member's details; giving or withdrawing consent records when. Withdrawing
    (`consent_given: false`) also withdraws it in every café they joined from their invite:
    their words are replaced by "Withdrawn by the person who said it" in every version of
    every material, published ones and every edition and export too."""
    member_service.update_member(
        session=session, member=member, data=body, now=now, actor=audit.facilitator(who)
    )
    return _members_public([member])[0]


@router.delete("/members/{member_id:int}", status_code=204, responses=ERRORS)
def delete_member(
    member: WriteMember, who: ApiWriter, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Erase a member, as `POST /api/v1/networks/members/{id}/erase`."""
    erasure.erase_member(
        session=session,
        media_dir=settings.media_dir,
        member=member,
        actor=audit.facilitator(who),
        now=now,
    )
    return Response(status_code=204)


@router.post("/members/{member_id:int}/revoke-invites", responses=ERRORS)
def revoke_invites(member: WriteCoordinatedMember, session: SessionDep) -> MemberPublic:
    """Make every invite link already sent to this member stop working, and their personal
    link to their own page."""
    invite_service.revoke_invites(session=session, member=member)
    return _members_public([member])[0]


# --- meetings ---------------------------------------------------------------------------------


@router.get("/groups/{group_id:int}/meetings", responses=ERRORS)
def list_meetings(
    group: ReadCoordinatedGroup,
    session: SessionDep,
    starts_from: Annotated[
        AwareDatetime | None, Query(description="Only meetings starting at or after this time.")
    ] = None,
    starts_before: Annotated[
        AwareDatetime | None, Query(description="Only meetings starting before this time.")
    ] = None,
    has_cafe: Annotated[
        bool | None, Query(description="Only meetings with (true) or without a café.")
    ] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[MeetingPublic]:
    """List a group's meetings in the order they changed (moving one renumbers others)."""
    found = sync.meetings(
        session=session,
        group=group,
        starts_from=starts_from,
        starts_before=starts_before,
        has_cafe=has_cafe,
        after=after,
        limit=limit,
    )
    return page_of(found, _meetings_public)


@router.post("/groups/{group_id:int}/meetings", status_code=201, responses=ERRORS)
def create_meeting(
    body: MeetingCreate, group: WriteCoordinatedGroup, session: SessionDep
) -> MeetingPublic:
    """Add one meeting; meetings are numbered in date order."""
    meeting = meeting_service.create_meeting(session=session, group=group, data=body)
    return _meetings_public([meeting])[0]


@router.post("/groups/{group_id:int}/meetings/schedule", status_code=201, responses=ERRORS)
def schedule_meetings(
    body: ScheduleRequest, group: WriteCoordinatedGroup, session: SessionDep
) -> list[MeetingPublic]:
    """Plan the default schedule for a group with no meetings: four, eight weeks apart."""
    meetings = meeting_service.schedule_meetings(session=session, group=group, plan=body)
    return _meetings_public(meetings)


@router.get("/meetings/{meeting_id:int}", responses=ERRORS)
def read_meeting(meeting: ReadCoordinatedMeeting) -> MeetingPublic:
    """Read a meeting."""
    return _meetings_public([meeting])[0]


@router.patch("/meetings/{meeting_id:int}", responses=ERRORS)
def update_meeting(
    body: MeetingUpdate, meeting: WriteCoordinatedMeeting, session: SessionDep
) -> MeetingPublic:
    """Move or rename a meeting; moving only the start keeps its length."""
    meeting_service.update_meeting(session=session, meeting=meeting, data=body)
    return _meetings_public([meeting])[0]


@router.delete("/meetings/{meeting_id:int}", status_code=204, responses=ERRORS)
def delete_meeting(meeting: WriteMeeting, session: SessionDep) -> Response:
    """Delete a meeting and its attendance (a café it ran as is kept)."""
    meeting_service.delete_meeting(session=session, meeting=meeting)
    return Response(status_code=204)


@router.get("/meetings/{meeting_id:int}/attendance", responses=ERRORS)
def read_attendance(
    meeting: ReadCoordinatedMeeting,
    session: SessionDep,
    attended: Annotated[
        bool | None, Query(description="Only members who came (true) or did not.")
    ] = None,
    marked: Annotated[
        bool | None, Query(description="Only members marked (true) or not marked yet.")
    ] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[AttendancePublic]:
    """Who came to a meeting and the hours to pay them for: a row per member of its group,
    in the order the rows changed (`deleted`: members no longer in the group)."""
    group = network_service.group_of(session=session, item=meeting)
    found = sync.attendance(
        session=session,
        network_id=group.network_id,
        meeting=meeting,
        attended=attended,
        marked=marked,
        after=after,
        limit=limit,
    )
    return page_of(found, partial(_attendance_public, meeting))


@router.put("/meetings/{meeting_id:int}/attendance", responses=ERRORS)
def mark_attendance(
    body: AttendanceRequest, meeting: WriteCoordinatedMeeting, session: SessionDep
) -> Page[AttendancePublic]:
    """Mark attendance; hours default to the meeting's length for people who came."""
    rows = attendance_service.mark_attendance(session=session, meeting=meeting, marks=body.marks)
    return page_of((rows, None), partial(_attendance_public, meeting))


@router.post("/meetings/{meeting_id:int}/cafe", status_code=201, responses=ERRORS)
def run_as_cafe(
    meeting: WriteCoordinatedMeeting,
    session: SessionDep,
    who: ApiWriter,
    settings: SettingsDep,
    now: NowDep,
    body: RunAsCafeRequest | None = None,
) -> CafePublic:
    """Create a café for this meeting, or attach an existing café of yours with
    `{"cafe_id": …}` (the lead only; 404 for a café not yours, 409 if the meeting has a café
    or the café is attached to another meeting); then send each member their invite link.
    A created café belongs to the network's lead; a coordinator who creates it becomes its
    co-facilitator."""
    cafe = cafe_attach.run_or_attach(
        session=session, facilitator=who, meeting=meeting, data=body or RunAsCafeRequest()
    )
    return cafe_service.cafe_public(session=session, cafe=cafe, base_url=settings.base_url, now=now)


@router.delete("/meetings/{meeting_id:int}/cafe", status_code=204, responses=ERRORS)
def detach_cafe(meeting: WriteMeeting, session: SessionDep) -> Response:
    """Detach the meeting's café (409 if it has none); the café and evidence already merged
    from it are kept."""
    cafe_attach.detach_cafe(session=session, meeting=meeting)
    return Response(status_code=204)


@router.get("/meetings/{meeting_id:int}/invites", responses=ERRORS)
def invites(
    meeting: ReadCoordinatedMeeting, session: SessionDep, settings: SettingsDep
) -> Page[InvitePublic]:
    """Each member's personal join link for the meeting's café (409 before it has one)."""
    links = invite_service.invites(
        session=session, meeting=meeting, base_url=settings.base_url, secret=settings.secret_key
    )
    return page_of(
        (links, None),
        lambda rows: [
            InvitePublic(member_id=m.id, display_name=m.display_name, url=url) for m, url in rows
        ],
    )
