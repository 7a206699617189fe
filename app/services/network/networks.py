"""Networks: local groups, members, the meeting schedule, attendance, meetings run as cafés
with personal invite links, the iCalendar feed and the attendance export for payment."""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe, CafeCreate, CafeStatus, Participant, RoundSpec, StakeholderRole
from app.models.network import (
    Attendance,
    AttendanceMark,
    GroupCreate,
    GroupUpdate,
    LocalGroup,
    Meeting,
    MeetingCreate,
    MeetingUpdate,
    Member,
    MemberCreate,
    MemberParticipant,
    MemberUpdate,
    Network,
    NetworkCreate,
    NetworkUpdate,
    RunAsCafeRequest,
    ScheduleRequest,
)
from app.services import cafe as cafe_service
from app.services.errors import Conflict, Invalid, NotFound

# Meetings are planned in UK wall-clock time: "every eight weeks at 10:00" stays at 10:00
# across the clock change.
NETWORK_TZ = ZoneInfo("Europe/London")
INVITE_SALT = "member-invite"
CALENDAR_SALT = "group-calendar"
DEFAULT_MEETINGS = 4
DEFAULT_INTERVAL_WEEKS = 8  # four meetings spread over about six months
DEFAULT_DURATION_MINUTES = 120
MAX_MEETING_HOURS = 12
PEOPLE_PER_TABLE = 5
DEFAULT_QUESTIONS = (
    "What is working well for people here now?",
    "What gets in the way?",
    "What could we change first, and who needs to be involved?",
)
_AUTO_TITLE = re.compile(r"^Meeting \d+$")
_PHONE = re.compile(r"^[0-9+()\-. ]*$")

T = TypeVar("T")


# --- reading with ownership -------------------------------------------------------------------


def _owned_network(session: Session, facilitator: Facilitator, network_id: int) -> Network:
    network = session.get(Network, network_id)
    if network is None or network.facilitator_id != facilitator.id:
        raise NotFound("No such network.")
    return network


def get_network(*, session: Session, facilitator: Facilitator, network_id: int) -> Network:
    """A network the facilitator leads; anyone else's network is reported as missing."""
    return _owned_network(session, facilitator, network_id)


def get_group(*, session: Session, facilitator: Facilitator, group_id: int) -> LocalGroup:
    group = session.get(LocalGroup, group_id)
    if group is None or _lead_of_network(session, group.network_id) != facilitator.id:
        raise NotFound("No such local group.")
    return group


def get_member(*, session: Session, facilitator: Facilitator, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or _lead_of_group(session, member.group_id) != facilitator.id:
        raise NotFound("No such member.")
    return member


def get_meeting(*, session: Session, facilitator: Facilitator, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or _lead_of_group(session, meeting.group_id) != facilitator.id:
        raise NotFound("No such meeting.")
    return meeting


def _lead_of_network(session: Session, network_id: int) -> int | None:
    network = session.get(Network, network_id)
    return network.facilitator_id if network else None


def _lead_of_group(session: Session, group_id: int) -> int | None:
    group = session.get(LocalGroup, group_id)
    return _lead_of_network(session, group.network_id) if group else None


def network_of(session: Session, group: LocalGroup) -> Network:
    network = session.get(Network, group.network_id)
    assert network is not None
    return network


def group_of(session: Session, item: Member | Meeting) -> LocalGroup:
    group = session.get(LocalGroup, item.group_id)
    assert group is not None
    return group


def paginate(
    session: Session,
    query: SelectOfScalar[T],
    id_column: Any,
    *,
    after: int | None,
    limit: int | None,
) -> tuple[list[T], int | None]:
    """Rows in id order after a cursor; the cursor for the next page if there is one."""
    if after is not None:
        query = query.where(id_column > after)
    query = query.order_by(id_column)
    if limit is None:
        return list(session.exec(query)), None
    rows = list(session.exec(query.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, int(last.id)  # type: ignore[attr-defined]


# --- networks -----------------------------------------------------------------------------


def _text(value: str, label: str, *, required: bool = False) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise Invalid(f"Give the {label}.")
    return cleaned


def list_networks(
    *,
    session: Session,
    facilitator: Facilitator,
    after: int | None = None,
    limit: int | None = None,
) -> tuple[list[Network], int | None]:
    query = select(Network).where(Network.facilitator_id == facilitator.id)
    return paginate(session, query, col(Network.id), after=after, limit=limit)


def create_network(*, session: Session, facilitator: Facilitator, data: NetworkCreate) -> Network:
    """Start a network on a topic; the facilitator is its lead."""
    assert facilitator.id is not None
    network = Network(
        facilitator_id=facilitator.id,
        title=_text(data.title, "network a topic", required=True),
        description=data.description.strip(),
    )
    session.add(network)
    session.commit()
    session.refresh(network)
    return network


def update_network(*, session: Session, network: Network, data: NetworkUpdate) -> Network:
    if data.title is not None:
        network.title = _text(data.title, "network a topic", required=True)
    if data.description is not None:
        network.description = data.description.strip()
    session.add(network)
    session.commit()
    session.refresh(network)
    return network


def delete_network(*, session: Session, network: Network) -> None:
    """Delete a network with its groups, members, meetings and plans; cafés run from its
    meetings stay with the facilitator."""
    session.delete(network)
    session.commit()


def group_counts(session: Session, network_ids: Sequence[int]) -> dict[int, int]:
    if not network_ids:
        return {}
    rows = session.exec(
        select(LocalGroup.network_id, func.count())
        .where(col(LocalGroup.network_id).in_(network_ids))
        .group_by(col(LocalGroup.network_id))
    )
    return {network_id: int(n) for network_id, n in rows}


# --- local groups ---------------------------------------------------------------------------


def list_groups(
    *,
    session: Session,
    network: Network,
    after: int | None = None,
    limit: int | None = None,
) -> tuple[list[LocalGroup], int | None]:
    query = select(LocalGroup).where(LocalGroup.network_id == network.id)
    return paginate(session, query, col(LocalGroup.id), after=after, limit=limit)


def create_group(*, session: Session, network: Network, data: GroupCreate) -> LocalGroup:
    """Add a local group; with a first meeting time, the default schedule is planned too."""
    assert network.id is not None
    group = LocalGroup(
        network_id=network.id,
        name=_text(data.name, "local group a name", required=True),
        area=data.area.strip(),
    )
    session.add(group)
    session.flush()
    if data.first_meeting_at is not None:
        _add_schedule(
            session,
            group,
            ScheduleRequest(start=data.first_meeting_at, location=data.location),
        )
    session.commit()
    session.refresh(group)
    return group


def update_group(*, session: Session, group: LocalGroup, data: GroupUpdate) -> LocalGroup:
    if data.name is not None:
        group.name = _text(data.name, "local group a name", required=True)
    if data.area is not None:
        group.area = data.area.strip()
    session.add(group)
    session.commit()
    session.refresh(group)
    return group


def delete_group(*, session: Session, group: LocalGroup) -> None:
    session.delete(group)
    session.commit()


def member_and_meeting_counts(
    session: Session, group_ids: Sequence[int]
) -> tuple[dict[int, int], dict[int, int]]:
    if not group_ids:
        return {}, {}
    members = session.exec(
        select(Member.group_id, func.count())
        .where(col(Member.group_id).in_(group_ids))
        .group_by(col(Member.group_id))
    )
    meetings = session.exec(
        select(Meeting.group_id, func.count())
        .where(col(Meeting.group_id).in_(group_ids))
        .group_by(col(Meeting.group_id))
    )
    return {g: int(n) for g, n in members}, {g: int(n) for g, n in meetings}


# --- members ------------------------------------------------------------------------------


def list_members(
    *,
    session: Session,
    group: LocalGroup,
    after: int | None = None,
    limit: int | None = None,
) -> tuple[list[Member], int | None]:
    query = select(Member).where(Member.group_id == group.id)
    return paginate(session, query, col(Member.id), after=after, limit=limit)


def _check_contact(email: str, phone: str) -> tuple[str, str]:
    email, phone = email.strip(), phone.strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise Invalid("The email address does not look right; check it or leave it blank.")
    if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        raise Invalid("The phone number should contain only digits, spaces and + ( ) - .")
    return email, phone


def _check_role(role: str) -> str:
    if role not in {r.value for r in StakeholderRole}:
        raise Invalid("Choose one of the stakeholder roles in the list.")
    return role


def create_member(
    *, session: Session, group: LocalGroup, data: MemberCreate, now: datetime
) -> Member:
    """Add a person to a local group, with consent recorded when it is given."""
    assert group.id is not None
    email, phone = _check_contact(data.email, data.phone)
    member = Member(
        group_id=group.id,
        display_name=_text(data.display_name, "member a name", required=True),
        role=_check_role(data.role),
        email=email,
        phone=phone,
        accessibility_needs=data.accessibility_needs.strip(),
        consent_given=data.consent_given,
        consent_at=now if data.consent_given else None,
        consent_note=data.consent_note.strip(),
    )
    session.add(member)
    session.commit()
    session.refresh(member)
    return member


def update_member(*, session: Session, member: Member, data: MemberUpdate, now: datetime) -> Member:
    if data.display_name is not None:
        member.display_name = _text(data.display_name, "member a name", required=True)
    if data.role is not None:
        member.role = _check_role(data.role)
    if data.email is not None or data.phone is not None:
        member.email, member.phone = _check_contact(
            member.email if data.email is None else data.email,
            member.phone if data.phone is None else data.phone,
        )
    if data.accessibility_needs is not None:
        member.accessibility_needs = data.accessibility_needs.strip()
    if data.consent_note is not None:
        member.consent_note = data.consent_note.strip()
    if data.consent_given is not None and data.consent_given != member.consent_given:
        member.consent_given = data.consent_given
        # consent_at is when the consent now on record was given.
        member.consent_at = now if data.consent_given else None
    session.add(member)
    session.commit()
    session.refresh(member)
    return member


def delete_member(*, session: Session, member: Member) -> None:
    """Remove a member with their attendance; what they said in cafés stays pseudonymous."""
    session.delete(member)
    session.commit()


def revoke_invites(*, session: Session, member: Member) -> Member:
    """Every invite link already sent to this member stops working."""
    member.invite_version += 1
    session.add(member)
    session.commit()
    session.refresh(member)
    return member


# --- meetings and the schedule ------------------------------------------------------------


def plan_schedule(
    start: datetime,
    *,
    count: int = DEFAULT_MEETINGS,
    interval_weeks: int = DEFAULT_INTERVAL_WEEKS,
    duration_minutes: int = DEFAULT_DURATION_MINUTES,
) -> list[tuple[datetime, datetime]]:
    """Start and end instants (UTC) of meetings every few weeks at the same local time."""
    if start.tzinfo is None:
        raise Invalid("Give the first meeting's time with its time zone.")
    local = start.astimezone(NETWORK_TZ).replace(tzinfo=None)
    slots = []
    for n in range(count):
        wall = local + timedelta(weeks=interval_weeks * n)
        begins = wall.replace(tzinfo=NETWORK_TZ).astimezone(start.tzinfo)
        slots.append((begins, begins + timedelta(minutes=duration_minutes)))
    return slots


def local_time(value: datetime) -> datetime:
    """An instant as UK wall-clock time, for showing and for forms."""
    return value.astimezone(NETWORK_TZ)


def parse_local(date_text: str, time_text: str, *, label: str = "meeting") -> datetime:
    """A date and time typed in a form, read as UK wall-clock time."""
    date_text, time_text = date_text.strip(), time_text.strip()
    if not date_text:
        raise Invalid(f"Give the {label} date.")
    try:
        wall = datetime.fromisoformat(f"{date_text}T{time_text or '00:00'}")
    except ValueError:
        raise Invalid(
            f"Could not read the {label} date and time; use a date like 2026-03-24 "
            "and a time like 10:00."
        ) from None
    if wall.tzinfo is not None:
        raise Invalid(f"Give the {label} time without a time zone.")
    return wall.replace(tzinfo=NETWORK_TZ)


def describe_when(meeting: Meeting) -> str:
    """ "Tue 24 Mar 2026, 10:00–12:00" in UK time."""
    begins, ends = local_time(meeting.starts_at), local_time(meeting.ends_at)
    day = f"{begins:%a} {begins.day} {begins:%b %Y}"
    if begins.date() == ends.date():
        return f"{day}, {begins:%H:%M}–{ends:%H:%M}"
    return f"{day}, {begins:%H:%M} – {ends:%a} {ends.day} {ends:%b %Y}, {ends:%H:%M}"


def list_meetings(
    *,
    session: Session,
    group: LocalGroup,
    after: int | None = None,
    limit: int | None = None,
) -> tuple[list[Meeting], int | None]:
    query = select(Meeting).where(Meeting.group_id == group.id)
    return paginate(session, query, col(Meeting.id), after=after, limit=limit)


def meetings_in_order(session: Session, group: LocalGroup) -> list[Meeting]:
    return list(
        session.exec(
            select(Meeting)
            .where(Meeting.group_id == group.id)
            .order_by(col(Meeting.starts_at), col(Meeting.id))
        )
    )


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Invalid("The meeting must end after it starts.")
    if ends_at - starts_at > timedelta(hours=MAX_MEETING_HOURS):
        raise Invalid(f"A meeting can last at most {MAX_MEETING_HOURS} hours.")


def _renumber(session: Session, group: LocalGroup) -> None:
    """Numbers follow the calendar, so moving a meeting keeps "Meeting 1…4" in order."""
    session.flush()
    for number, meeting in enumerate(meetings_in_order(session, group), start=1):
        if meeting.number != number:
            if _AUTO_TITLE.match(meeting.title):
                meeting.title = f"Meeting {number}"
            meeting.number = number
            session.add(meeting)


def _add_schedule(session: Session, group: LocalGroup, plan: ScheduleRequest) -> list[Meeting]:
    assert group.id is not None
    existing = session.exec(select(func.count()).where(Meeting.group_id == group.id)).one()
    if existing:
        raise Conflict(
            "This group already has meetings. Change them one by one, or delete them first."
        )
    meetings = []
    slots = plan_schedule(
        plan.start,
        count=plan.count,
        interval_weeks=plan.interval_weeks,
        duration_minutes=plan.duration_minutes,
    )
    for number, (begins, ends) in enumerate(slots, start=1):
        meeting = Meeting(
            group_id=group.id,
            number=number,
            title=f"Meeting {number}",
            starts_at=begins,
            ends_at=ends,
            location=plan.location.strip(),
        )
        session.add(meeting)
        meetings.append(meeting)
    return meetings


def schedule_meetings(
    *, session: Session, group: LocalGroup, plan: ScheduleRequest
) -> list[Meeting]:
    """Plan the default schedule (four meetings, eight weeks apart) for a group with none."""
    meetings = _add_schedule(session, group, plan)
    session.commit()
    for meeting in meetings:
        session.refresh(meeting)
    return meetings


def create_meeting(*, session: Session, group: LocalGroup, data: MeetingCreate) -> Meeting:
    assert group.id is not None
    _check_times(data.starts_at, data.ends_at)
    title = data.title.strip()
    meeting = Meeting(
        group_id=group.id,
        number=0,
        title=title or "Meeting 0",
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        location=data.location.strip(),
    )
    session.add(meeting)
    _renumber(session, group)
    if not title:
        meeting.title = f"Meeting {meeting.number}"
    session.commit()
    session.refresh(meeting)
    return meeting


def update_meeting(*, session: Session, meeting: Meeting, data: MeetingUpdate) -> Meeting:
    starts_at = data.starts_at or meeting.starts_at
    ends_at = data.ends_at or meeting.ends_at
    if data.starts_at is not None and data.ends_at is None:
        # Moving the start keeps the meeting's length.
        ends_at = data.starts_at + (meeting.ends_at - meeting.starts_at)
    _check_times(starts_at, ends_at)
    meeting.starts_at, meeting.ends_at = starts_at, ends_at
    if data.title is not None:
        meeting.title = _text(data.title, "meeting a title", required=True)
    if data.location is not None:
        meeting.location = data.location.strip()
    session.add(meeting)
    _renumber(session, group_of(session, meeting))
    session.commit()
    session.refresh(meeting)
    return meeting


def delete_meeting(*, session: Session, meeting: Meeting) -> None:
    """Delete a meeting and its attendance; a café it ran as is kept."""
    group = group_of(session, meeting)
    session.delete(meeting)
    _renumber(session, group)
    session.commit()


def meeting_hours(meeting: Meeting) -> float:
    return round((meeting.ends_at - meeting.starts_at).total_seconds() / 3600, 2)


# --- attendance -----------------------------------------------------------------------------


@dataclass
class AttendanceRow:
    member: Member
    record: Attendance | None
    joined_cafe: bool

    @property
    def attended(self) -> bool:
        if self.record is not None:
            return self.record.attended
        return self.joined_cafe

    @property
    def hours(self) -> float:
        return self.record.hours if self.record is not None else 0.0


def members_in_cafe(session: Session, cafe_id: int | None) -> set[int]:
    """Members who joined this café through their invite."""
    if cafe_id is None:
        return set()
    rows = session.exec(
        select(MemberParticipant.member_id)
        .join(Participant, col(Participant.id) == MemberParticipant.participant_id)
        .where(Participant.cafe_id == cafe_id)
    )
    return set(rows)


def attendance_sheet(*, session: Session, meeting: Meeting) -> list[AttendanceRow]:
    """Every member of the meeting's group with their mark, if any. Until someone marks
    the sheet, members who joined the meeting's café are shown as attended."""
    members, _ = list_members(session=session, group=group_of(session, meeting))
    records = {
        a.member_id: a
        for a in session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    joined = members_in_cafe(session, meeting.cafe_id)
    return [
        AttendanceRow(member=m, record=records.get(m.id or 0), joined_cafe=(m.id in joined))
        for m in members
    ]


def mark_attendance(
    *, session: Session, meeting: Meeting, marks: Iterable[AttendanceMark]
) -> list[AttendanceRow]:
    """Record who came and the hours to pay each person for."""
    assert meeting.id is not None
    members = {m.id for m in list_members(session=session, group=group_of(session, meeting))[0]}
    existing = {
        a.member_id: a
        for a in session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    seen: set[int] = set()
    for mark in marks:
        if mark.member_id not in members:
            raise Invalid(f"Member {mark.member_id} is not in this meeting's group.")
        if mark.member_id in seen:
            raise Invalid(f"Member {mark.member_id} is marked twice.")
        seen.add(mark.member_id)
        hours = mark.hours
        if hours is None:
            hours = meeting_hours(meeting) if mark.attended else 0.0
        if not math.isfinite(hours) or not 0 <= hours <= 24:
            raise Invalid("Hours must be a number from 0 to 24.")
        record = existing.get(mark.member_id) or Attendance(
            meeting_id=meeting.id, member_id=mark.member_id
        )
        record.attended, record.hours = mark.attended, round(hours, 2)
        session.add(record)
    session.commit()
    return attendance_sheet(session=session, meeting=meeting)


# --- CSV for payment ------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _hours_text(hours: float) -> str:
    """2 → "2", 1.5 → "1.5": plain numbers a spreadsheet reads as numbers."""
    return f"{hours:.2f}".rstrip("0").rstrip(".") or "0"


def attendance_csv(*, session: Session, network: Network, group: LocalGroup | None = None) -> str:
    """One row per member: meetings attended, total hours, and the hours per meeting."""
    groups = [group] if group is not None else list_groups(session=session, network=network)[0]
    group_ids = [g.id for g in groups if g.id is not None]
    members = list(
        session.exec(
            select(Member)
            .where(col(Member.group_id).in_(group_ids))
            .order_by(col(Member.group_id), col(Member.id))
        )
    )
    meetings = list(session.exec(select(Meeting).where(col(Meeting.group_id).in_(group_ids))))
    number_of = {m.id: m.number for m in meetings}
    max_number = max((m.number for m in meetings), default=0)
    hours: dict[int, dict[int, float]] = defaultdict(dict)
    attended: dict[int, int] = defaultdict(int)
    for record in session.exec(
        select(Attendance).where(col(Attendance.meeting_id).in_(list(number_of)))
    ):
        hours[record.member_id][number_of[record.meeting_id]] = record.hours
        attended[record.member_id] += int(record.attended)
    group_names = {g.id: g.name for g in groups}
    has_meeting = {(m.group_id, m.number) for m in meetings}
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the names as UTF-8
    writer = csv.writer(out)
    writer.writerow(
        [
            "Network",
            "Group",
            "Member ID",
            "Member",
            "Role",
            "Meetings attended",
            "Total hours",
            *[f"Meeting {n} hours" for n in range(1, max_number + 1)],
        ]
    )
    for member in members:
        mid = member.id or 0
        per_meeting: list[object] = [
            (_hours_text(hours[mid].get(n, 0.0)) if (member.group_id, n) in has_meeting else "")
            for n in range(1, max_number + 1)
        ]
        row: list[object] = [
            network.title,
            group_names.get(member.group_id, ""),
            mid,
            member.display_name,
            member.role,
            attended[mid],
            _hours_text(sum(hours[mid].values())),
            *per_meeting,
        ]
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


# --- meetings run as cafés, and invites ---------------------------------------------------


def meeting_cafe(session: Session, meeting: Meeting) -> Cafe | None:
    return session.get(Cafe, meeting.cafe_id) if meeting.cafe_id else None


def run_as_cafe(
    *,
    session: Session,
    facilitator: Facilitator,
    meeting: Meeting,
    data: RunAsCafeRequest,
) -> Cafe:
    """Create a café for the meeting; its members are invited with personal links."""
    if meeting_cafe(session, meeting) is not None:
        raise Conflict("This meeting already runs as a café.")
    group = group_of(session, meeting)
    network = network_of(session, group)
    questions = [q.strip() for q in data.questions if q.strip()] or list(DEFAULT_QUESTIONS)
    if any(len(q) > 500 for q in questions):
        raise Invalid("Keep each question to 500 characters or fewer.")
    member_count = len(list_members(session=session, group=group)[0])
    tables = data.table_count or max(1, math.ceil(member_count / PEOPLE_PER_TABLE))
    title = f"{network.title}: {group.name}, {meeting.title}"
    cafe = cafe_service.create_cafe(
        session=session,
        facilitator=facilitator,
        data=CafeCreate(
            title=title[:120],
            purpose=network.description[:2000],
            table_count=tables,
            table_capacity=max(data.table_capacity, 2),
            rounds=[RoundSpec(question=q, minutes=data.minutes) for q in questions],
        ),
    )
    meeting.cafe_id = cafe.id
    session.add(meeting)
    session.commit()
    session.refresh(meeting)
    return cafe


def _invite_serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=INVITE_SALT)


def invite_token(*, secret: str, member: Member, cafe: Cafe) -> str:
    """A member's personal token for one café; it names them only to the server."""
    return str(_invite_serializer(secret).dumps([member.id, cafe.id, member.invite_version]))


def invite_url(*, base_url: str, secret: str, member: Member, cafe: Cafe) -> str:
    token = invite_token(secret=secret, member=member, cafe=cafe)
    return f"{cafe_service.join_url(base_url, cafe)}?invite={quote(token)}"


def invites(
    *, session: Session, meeting: Meeting, base_url: str, secret: str
) -> list[tuple[Member, str]]:
    """Each member of the meeting's group with their personal join link."""
    cafe = meeting_cafe(session, meeting)
    if cafe is None:
        raise Conflict("Run the meeting as a café first; the invite links point to the café.")
    members, _ = list_members(session=session, group=group_of(session, meeting))
    return [(m, invite_url(base_url=base_url, secret=secret, member=m, cafe=cafe)) for m in members]


def read_invite(*, session: Session, cafe: Cafe, token: str, secret: str) -> Member | None:
    """The member an invite names, if it is genuine, current and meant for this café."""
    if not token or len(token) > 300:
        return None
    try:
        payload = _invite_serializer(secret).loads(token)
    except BadSignature:
        return None
    if not (
        isinstance(payload, list)
        and len(payload) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) for v in payload)
    ):
        return None
    member_id, cafe_id, version = payload
    if cafe_id != cafe.id:
        return None
    member = session.get(Member, member_id)
    if member is None or member.invite_version != version:
        return None
    meeting = session.exec(
        select(Meeting).where(Meeting.cafe_id == cafe.id, Meeting.group_id == member.group_id)
    ).first()
    return member if meeting is not None else None


def accept_invite(
    *, session: Session, cafe: Cafe, participant: Participant, token: str, secret: str
) -> Member | None:
    """Called when someone joins a café with an invite: remember which member they are.
    Nothing about the member is copied onto the participant, so others never see it."""
    if cafe.status == CafeStatus.CLOSED or participant.cafe_id != cafe.id:
        return None
    member = read_invite(session=session, cafe=cafe, token=token, secret=secret)
    if member is None or member.id is None or participant.id is None:
        return None
    link = session.exec(
        select(MemberParticipant).where(MemberParticipant.participant_id == participant.id)
    ).first()
    if link is None:
        session.add(MemberParticipant(member_id=member.id, participant_id=participant.id))
    elif link.member_id != member.id:
        return None  # already linked to someone else: keep the first, safer answer
    session.commit()
    return member


def member_of_participant(session: Session, participant_id: int) -> Member | None:
    """The member a café participant is (for the lead's own views only)."""
    link = session.exec(
        select(MemberParticipant).where(MemberParticipant.participant_id == participant_id)
    ).first()
    return session.get(Member, link.member_id) if link else None


# --- iCalendar --------------------------------------------------------------------------------


def _calendar_serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=CALENDAR_SALT)


def calendar_token(*, secret: str, group: LocalGroup) -> str:
    """A token for the group's subscribable calendar: it reveals dates and places only."""
    return str(_calendar_serializer(secret).dumps(group.id))


def group_for_calendar(*, session: Session, secret: str, token: str) -> LocalGroup:
    try:
        group_id = _calendar_serializer(secret).loads(token)
    except BadSignature:
        raise NotFound("No such calendar.") from None
    group = session.get(LocalGroup, group_id) if isinstance(group_id, int) else None
    if group is None:
        raise NotFound("No such calendar.")
    return group


def ical_escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon and comma escaped; line breaks as \\n."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", "\\n")


def ical_fold(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets, never inside a character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    pieces: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _ical_time(value: datetime) -> str:
    return value.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def group_calendar(
    *, session: Session, group: LocalGroup, base_url: str, now: datetime | None = None
) -> str:
    """The group's meetings as an iCalendar (RFC 5545) document."""
    network = network_of(session, group)
    host = urlsplit(base_url).hostname or "tablecloth"
    stamp = _ical_time(now or utcnow())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tablecloth//Network meetings//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(f'{network.title}: {group.name}')}",
    ]
    for meeting in meetings_in_order(session, group):
        description = f"{network.title}, local group {group.name}."
        cafe = meeting_cafe(session, meeting)
        if cafe is not None:
            description += (
                f"\nThis meeting runs as a café: join at {cafe_service.join_url(base_url, cafe)}"
                f" with the code {cafe.code}."
            )
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{meeting.id}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_ical_time(meeting.starts_at)}",
            f"DTEND:{_ical_time(meeting.ends_at)}",
            f"SUMMARY:{ical_escape(f'{meeting.title}: {network.title} ({group.name})')}",
            f"DESCRIPTION:{ical_escape(description)}",
        ]
        if meeting.location:
            lines.append(f"LOCATION:{ical_escape(meeting.location)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)
