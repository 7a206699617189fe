"""A group's meetings: the default schedule, numbering in calendar order, UK local time,
and the café a meeting runs as."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from app import i18n
from app.i18n import N_, _
from app.models.cafe import Cafe
from app.models.network import (
    LocalGroup,
    Meeting,
    MeetingCreate,
    MeetingUpdate,
    ScheduleRequest,
)
from app.services.errors import Conflict, Invalid
from app.services.network.networks import group_of, paginate, required_text

# Meetings are planned in UK wall-clock time: "every eight weeks at 10:00" stays at 10:00
# across the clock change.
NETWORK_TZ = ZoneInfo("Europe/London")
DEFAULT_MEETINGS = 4
DEFAULT_INTERVAL_WEEKS = 8  # four meetings spread over about six months
DEFAULT_DURATION_MINUTES = 120
MAX_MEETING_HOURS = 12
# A meeting's title until someone names it: "Meeting 3", in the language of whoever planned
# it; renumbering renames only titles like these (in any language).
_AUTO_TITLE = N_("Meeting %(number)s")
_AUTO_TITLES = re.compile(
    "^(?:"
    + "|".join(
        re.escape(i18n.in_language(lang, _AUTO_TITLE, number="NUMBER")).replace("NUMBER", r"\d+")
        for lang in i18n.LANGUAGES
    )
    + ")$"
)

# The refusals for a date and time typed in a form, for each `label` of `parse_local`: no
# date, an unreadable one, a time zone given, an end before the start.
_WHEN_REFUSALS = {
    "meeting": (
        N_("Give the meeting date."),
        N_(
            "Could not read the meeting date and time; use a date like 2026-03-24 "
            "and a time like 10:00."
        ),
        N_("Give the meeting time without a time zone."),
        N_("The meeting must end after it starts."),
    ),
    "first meeting": (
        N_("Give the first meeting date."),
        N_(
            "Could not read the first meeting date and time; use a date like 2026-03-24 "
            "and a time like 10:00."
        ),
        N_("Give the first meeting time without a time zone."),
        N_("The first meeting must end after it starts."),
    ),
}


def auto_title(number: int) -> str:
    return _(_AUTO_TITLE, number=number)


def when_refusal(label: str, which: int) -> str:
    """One of the refusals above, in the current language."""
    return _(_WHEN_REFUSALS.get(label, _WHEN_REFUSALS["meeting"])[which])


# --- times and the schedule ---------------------------------------------------------------


def plan_schedule(
    start: datetime,
    *,
    count: int = DEFAULT_MEETINGS,
    interval_weeks: int = DEFAULT_INTERVAL_WEEKS,
    duration_minutes: int = DEFAULT_DURATION_MINUTES,
) -> list[tuple[datetime, datetime]]:
    """Start and end instants (UTC) of meetings every few weeks at the same local time."""
    if start.tzinfo is None:
        raise Invalid(_("Give the first meeting's time with its time zone."))
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


def parse_local(*, date_text: str, time_text: str, label: str = "meeting") -> datetime:
    """A date and time typed in a form, read as UK wall-clock time."""
    date_text, time_text = date_text.strip(), time_text.strip()
    if not date_text:
        raise Invalid(when_refusal(label, 0))
    try:
        wall = datetime.fromisoformat(f"{date_text}T{time_text or '00:00'}")
    except ValueError:
        raise Invalid(when_refusal(label, 1)) from None
    if wall.tzinfo is not None:
        raise Invalid(when_refusal(label, 2))
    return wall.replace(tzinfo=NETWORK_TZ)


def describe_when(meeting: Meeting) -> str:
    """ "Tue 24 Mar 2026, 10:00–12:00" in UK time, the day in the current language."""
    begins, ends = local_time(meeting.starts_at), local_time(meeting.ends_at)
    day = i18n.format_day_pattern(begins, _DAY)
    if begins.date() == ends.date():
        return f"{day}, {begins:%H:%M}–{ends:%H:%M}"
    last = i18n.format_day_pattern(ends, _DAY)
    return f"{day}, {begins:%H:%M} – {last}, {ends:%H:%M}"


_DAY = "EEE d MMM yyyy"  # a CLDR pattern: "Tue 24 Mar 2026"


def meeting_hours(meeting: Meeting) -> float:
    return round((meeting.ends_at - meeting.starts_at).total_seconds() / 3600, 2)


# --- meetings -----------------------------------------------------------------------------


def list_meetings(
    *,
    session: Session,
    group: LocalGroup,
    after: int | None = None,
    limit: int | None = None,
) -> tuple[list[Meeting], int | None]:
    query = select(Meeting).where(Meeting.group_id == group.id)
    return paginate(
        session=session, query=query, id_column=col(Meeting.id), after=after, limit=limit
    )


def meetings_in_order(*, session: Session, group: LocalGroup) -> list[Meeting]:
    return list(
        session.exec(
            select(Meeting)
            .where(Meeting.group_id == group.id)
            .order_by(col(Meeting.starts_at), col(Meeting.id))
        )
    )


def meeting_cafe(*, session: Session, meeting: Meeting) -> Cafe | None:
    return session.get(Cafe, meeting.cafe_id) if meeting.cafe_id else None


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Invalid(_("The meeting must end after it starts."))
    if ends_at - starts_at > timedelta(hours=MAX_MEETING_HOURS):
        raise Invalid(_("A meeting can last at most %(hours)s hours.", hours=MAX_MEETING_HOURS))


def _renumber(session: Session, group: LocalGroup) -> None:
    """Numbers follow the calendar, so moving a meeting keeps "Meeting 1…4" in order."""
    session.flush()
    for number, meeting in enumerate(meetings_in_order(session=session, group=group), start=1):
        if meeting.number != number:
            if _AUTO_TITLES.match(meeting.title):
                meeting.title = auto_title(number)
            meeting.number = number
            session.add(meeting)


def add_schedule(*, session: Session, group: LocalGroup, plan: ScheduleRequest) -> list[Meeting]:
    """Add the planned meetings to a group that has none, without committing."""
    existing = session.exec(select(func.count()).where(Meeting.group_id == group.id)).one()
    if existing:
        raise Conflict(
            _("This group already has meetings. Change them one by one, or delete them first.")
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
            title=auto_title(number),
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
    meetings = add_schedule(session=session, group=group, plan=plan)
    session.commit()
    for meeting in meetings:
        session.refresh(meeting)
    return meetings


def create_meeting(*, session: Session, group: LocalGroup, data: MeetingCreate) -> Meeting:
    _check_times(data.starts_at, data.ends_at)
    title = data.title.strip()
    meeting = Meeting(
        group_id=group.id,
        number=0,
        title=title or auto_title(0),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        location=data.location.strip(),
        directions=data.directions.strip(),
        bring=data.bring.strip(),
    )
    session.add(meeting)
    _renumber(session, group)
    if not title:
        meeting.title = auto_title(meeting.number)
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
        meeting.title = required_text(data.title, refusal=_("Give the meeting a title."))
    if data.location is not None:
        meeting.location = data.location.strip()
    if data.directions is not None:
        meeting.directions = data.directions.strip()
    if data.bring is not None:
        meeting.bring = data.bring.strip()
    session.add(meeting)
    _renumber(session, group_of(session=session, item=meeting))
    session.commit()
    session.refresh(meeting)
    return meeting


def delete_meeting(*, session: Session, meeting: Meeting) -> None:
    """Delete a meeting and its attendance; a café it ran as is kept."""
    group = group_of(session=session, item=meeting)
    session.delete(meeting)
    _renumber(session, group)
    session.commit()
