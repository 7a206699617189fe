"""A local group's meetings as a subscribable iCalendar (RFC 5545) feed, and its token."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from app import i18n
from app.i18n import _
from app.models.base import utcnow
from app.models.network import LocalGroup, Network
from app.services.cafe import cafes as cafe_service
from app.services.errors import NotFound
from app.services.network.meetings import meeting_cafe, meetings_in_order
from app.services.network.networks import network_of

CALENDAR_SALT = "group-calendar"


def _calendar_serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=CALENDAR_SALT)


def calendar_token(*, secret: str, group: LocalGroup) -> str:
    """A token for the group's subscribable calendar: it reveals dates and places only."""
    return str(_calendar_serializer(secret).dumps(group.id))


def group_for_calendar(*, session: Session, secret: str, token: str) -> LocalGroup:
    try:
        group_id = _calendar_serializer(secret).loads(token)
    except BadSignature:
        raise NotFound(_("No such calendar.")) from None
    group = session.get(LocalGroup, group_id) if isinstance(group_id, int) else None
    if group is None:
        raise NotFound(_("No such calendar."))
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
    *,
    session: Session,
    group: LocalGroup,
    base_url: str,
    now: datetime | None = None,
    lang: str | None = None,
) -> str:
    """The group's meetings as an iCalendar (RFC 5545) document. Its fixed words are in
    `lang`; without one, in the person's chosen language, else the network's."""
    network = network_of(session=session, group=group)
    if lang is None:
        lang = i18n.current() if i18n.person_chose() else network.language
    with i18n.speaking(lang) as spoken:
        return _calendar(session, group, network, base_url, now, spoken)


def _calendar(
    session: Session,
    group: LocalGroup,
    network: Network,
    base_url: str,
    now: datetime | None,
    lang: str,
) -> str:
    # Text in a language other than the calendar's default says which (RFC 5545 LANGUAGE).
    tagged = "" if lang == i18n.DEFAULT else f";LANGUAGE={lang}"
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
    for meeting in meetings_in_order(session=session, group=group):
        description = _(
            "%(network)s, local group %(group)s.", network=network.title, group=group.name
        )
        cafe = meeting_cafe(session=session, meeting=meeting)
        if cafe is not None:
            description += "\n" + _(
                "This meeting runs as a café: join at %(url)s with the code %(code)s.",
                url=cafe_service.join_url(base_url=base_url, cafe=cafe),
                code=cafe.code,
            )
        summary = _(
            "%(meeting)s: %(network)s (%(group)s)",
            meeting=meeting.title,
            network=network.title,
            group=group.name,
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{meeting.id}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_ical_time(meeting.starts_at)}",
            f"DTEND:{_ical_time(meeting.ends_at)}",
            f"SUMMARY{tagged}:{ical_escape(summary)}",
            f"DESCRIPTION{tagged}:{ical_escape(description)}",
        ]
        if meeting.location:
            lines.append(f"LOCATION:{ical_escape(meeting.location)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)
