"""A member's own page: their personal link (a long random token, only its hash kept), what
the page shows them (their next meeting, meetings they came to, a café to join now, their
consent) and what they can do there (change their consent, ask to be erased).

A member sees their own group's meetings and their own details only: never another member,
never a draft."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models.cafe import Cafe, CafeStatus
from app.models.member_page import MemberLink
from app.models.network import Attendance, LocalGroup, Meeting, Member, MemberUpdate, Network
from app.models.privacy import ErasureLog
from app.services import audit
from app.services.network import invites as invite_service
from app.services.network import members as member_service
from app.services.network.networks import group_of, network_of
from app.services.privacy import erasure

# 32 random bytes: 43 characters in the link, far past guessing.
TOKEN_BYTES = 32
# Who erased, in the erasure log, when a member asked from their own page.
BY_MEMBER = erasure.BY_MEMBER  # how the erasure log names a member who asked
# How much of the token's hash the member's cookie carries: the cookie is signed, so this
# only ties it to one link (a new link then signs every device out).
COOKIE_CHECK = 16
# A café made ahead of its meeting opens for joining this long before the meeting starts
# (a café already running is open whatever the time).
JOIN_EARLY = timedelta(hours=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(*, base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/m/{token}"


def link_of(*, session: Session, member: Member) -> MemberLink | None:
    """The member's current personal link, working or stopped, if one was ever made."""
    return session.exec(select(MemberLink).where(MemberLink.member_id == member.id)).first()


def is_working(link: MemberLink, member: Member) -> bool:
    """A link works until the lead stops the member's invite links (or sends a new one)."""
    return link.version == member.invite_version


def _store_link(session: Session, member: Member, token: str, now: datetime) -> MemberLink:
    link = link_of(session=session, member=member) or MemberLink(member_id=member.id, token_hash="")
    link.token_hash = hash_token(token)
    link.version = member.invite_version
    link.created_at = now
    link.last_used_at = None
    session.add(link)
    session.commit()
    return link


def issue_link(*, session: Session, member: Member, now: datetime) -> tuple[MemberLink, str]:
    """A new personal link for the member; the old one, if any, stops working at once.
    Returns the row and the token, which is not kept: show it once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        link = _store_link(session, member, token, now)
    except IntegrityError:
        # Another request made the member's first link at the same moment (a double
        # click): replace that one instead.
        session.rollback()
        link = _store_link(session, member, token, now)
    session.refresh(link)
    return link, token


def open_link(*, session: Session, token: str, now: datetime) -> MemberLink | None:
    """The link a token opens, if it is current; its last use is noted."""
    if not (20 <= len(token) <= 100):
        return None
    link = session.exec(
        select(MemberLink).where(MemberLink.token_hash == hash_token(token))
    ).first()
    if link is None:
        return None
    member = session.get(Member, link.member_id)
    if member is None or not is_working(link, member):
        return None
    # A link is opened on a GET: end the read under way first, so the update begins a
    # transaction of its own (on SQLite a read transaction cannot always become a write one).
    session.commit()
    session.execute(
        update(MemberLink).where(col(MemberLink.id) == link.id).values(last_used_at=now)
    )
    session.commit()
    link.last_used_at = now
    return link


def cookie_entry(link: MemberLink) -> list[object]:
    """What the member's signed cookie keeps: the link's id and a piece of its hash."""
    return [link.id, link.token_hash[:COOKIE_CHECK]]


def member_for_cookie(*, session: Session, entry: object) -> Member | None:
    """The member a device's cookie names, while the link it was opened with works."""
    if not (isinstance(entry, list) and len(entry) == 2):
        return None
    link_id, check = entry
    if not (isinstance(link_id, int) and not isinstance(link_id, bool) and isinstance(check, str)):
        return None
    link = session.get(MemberLink, link_id)
    if link is None or not hmac.compare_digest(link.token_hash[:COOKIE_CHECK], check):
        return None
    member = session.get(Member, link.member_id)
    return member if member is not None and is_working(link, member) else None


# --- what the page shows ----------------------------------------------------------------


@dataclass
class LiveCafe:
    """A meeting of the member's group running as a café they can join now."""

    meeting: Meeting
    join_url: str


@dataclass
class MemberHome:
    """Everything the member's page shows: theirs and their group's, nobody else's."""

    member: Member
    group: LocalGroup
    network: Network
    next_meeting: Meeting | None
    live: list[LiveCafe] = field(default_factory=list)
    attended: list[Meeting] = field(default_factory=list)


def _open_now(cafe: Cafe, meeting: Meeting, now: datetime) -> bool:
    if cafe.status == CafeStatus.RUNNING:
        return True
    return (
        cafe.status == CafeStatus.DRAFT and meeting.starts_at - JOIN_EARLY <= now <= meeting.ends_at
    )


def member_home(
    *, session: Session, member: Member, now: datetime, base_url: str, secret: str
) -> MemberHome:
    group = group_of(session=session, item=member)
    network = network_of(session=session, group=group)
    meetings = list(
        session.exec(
            select(Meeting)
            .where(Meeting.group_id == group.id)
            .order_by(col(Meeting.starts_at), col(Meeting.id))
        )
    )
    upcoming = [m for m in meetings if m.ends_at > now]
    cafes = {
        c.id: c
        for c in session.exec(
            select(Cafe).where(col(Cafe.id).in_([m.cafe_id for m in meetings if m.cafe_id]))
        )
    }
    live = [
        LiveCafe(
            meeting=m,
            join_url=invite_service.invite_url(
                base_url=base_url, secret=secret, member=member, cafe=cafes[m.cafe_id]
            ),
        )
        for m in meetings
        if m.cafe_id in cafes and _open_now(cafes[m.cafe_id], m, now)
    ]
    came = set(
        session.exec(
            select(Attendance.meeting_id).where(
                Attendance.member_id == member.id, col(Attendance.attended).is_(True)
            )
        )
    )
    attended = [m for m in reversed(meetings) if m.id in came and m.starts_at <= now]
    return MemberHome(
        member=member,
        group=group,
        network=network,
        next_meeting=upcoming[0] if upcoming else None,
        live=live,
        attended=attended,
    )


def set_consent(*, session: Session, member: Member, given: bool, now: datetime) -> Member:
    """The member says yes or no to their words being used as evidence; a no withdraws what
    they said from every material at once (as when the lead records it)."""
    return member_service.update_member(
        session=session,
        member=member,
        data=MemberUpdate(consent_given=given),
        now=now,
        actor=audit.member(member.id),
    )


def erase_at_request(
    *, session: Session, media_dir: Path, member: Member, now: datetime
) -> ErasureLog:
    """The member asked, on their page, for everything about them to go: erased as when the
    lead does it, and logged (ids and counts only) as asked by the member."""
    return erasure.erase_member(
        session=session,
        media_dir=media_dir,
        member=member,
        actor=audit.member(member.id),
        now=now,
    )
