"""Who came to a meeting and the hours to pay them for: the sheet, marking it, and the CSV
export for payment."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.i18n import N_, _
from app.models.cafe import Participant
from app.models.network import (
    Attendance,
    AttendanceMark,
    LocalGroup,
    Meeting,
    Member,
    MemberParticipant,
    Network,
)
from app.services.errors import Invalid
from app.services.network.groups import list_groups
from app.services.network.meetings import meeting_hours
from app.services.network.members import list_members
from app.services.network.networks import group_of


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


def members_in_cafe(*, session: Session, cafe_id: int | None) -> set[int]:
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
    members, _rest = list_members(session=session, group=group_of(session=session, item=meeting))
    records = {
        a.member_id: a
        for a in session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    joined = members_in_cafe(session=session, cafe_id=meeting.cafe_id)
    return [
        AttendanceRow(member=m, record=records.get(m.id), joined_cafe=(m.id in joined))
        for m in members
    ]


def mark_attendance(
    *, session: Session, meeting: Meeting, marks: Iterable[AttendanceMark]
) -> list[AttendanceRow]:
    """Record who came and the hours to pay each person for."""
    group = group_of(session=session, item=meeting)
    members = {m.id for m in list_members(session=session, group=group)[0]}
    existing = {
        a.member_id: a
        for a in session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    seen: set[int] = set()
    for mark in marks:
        if mark.member_id not in members:
            raise Invalid(_("Member %(id)s is not in this meeting's group.", id=mark.member_id))
        if mark.member_id in seen:
            raise Invalid(_("Member %(id)s is marked twice.", id=mark.member_id))
        seen.add(mark.member_id)
        hours = mark.hours
        if hours is None:
            hours = meeting_hours(meeting) if mark.attended else 0.0
        if not math.isfinite(hours) or not 0 <= hours <= 24:
            raise Invalid(_("Hours must be a number from 0 to 24."))
        record = existing.get(mark.member_id) or Attendance(
            meeting_id=meeting.id, member_id=mark.member_id
        )
        record.attended, record.hours = mark.attended, round(hours, 2)
        session.add(record)
    session.commit()
    return attendance_sheet(session=session, meeting=meeting)


# --- CSV for payment ------------------------------------------------------------------------

# Marked here, translated where the CSV is written (in the language of the request).
ATTENDANCE_HEADINGS = [
    N_("Network"),
    N_("Group"),
    N_("Member ID"),
    N_("Member"),
    N_("Role"),
    N_("Meetings attended"),
    N_("Total hours"),
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def hours_text(hours: float) -> str:
    """2 → "2", 1.5 → "1.5": plain numbers a spreadsheet reads as numbers."""
    return f"{hours:.2f}".rstrip("0").rstrip(".") or "0"


def attendance_csv(*, session: Session, network: Network, group: LocalGroup | None = None) -> str:
    """One row per member: meetings attended, total hours, and the hours per meeting."""
    groups = [group] if group is not None else list_groups(session=session, network=network)[0]
    group_ids = [g.id for g in groups]
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
            *[_(heading) for heading in ATTENDANCE_HEADINGS],
            *[_("Meeting %(number)s hours", number=n) for n in range(1, max_number + 1)],
        ]
    )
    for member in members:
        mid = member.id
        per_meeting: list[object] = [
            (hours_text(hours[mid].get(n, 0.0)) if (member.group_id, n) in has_meeting else "")
            for n in range(1, max_number + 1)
        ]
        row: list[object] = [
            network.title,
            group_names.get(member.group_id, ""),
            mid,
            member.display_name,
            member.role,
            attended[mid],
            hours_text(sum(hours[mid].values())),
            *per_meeting,
        ]
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()
