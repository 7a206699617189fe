""" "What we heard", for every member who was there: once a meeting's café has closed, each
member who attended it (marked on the attendance sheet, or, until someone marks it, joined
the café through their invite) reads what the café heard on their own page, on any device.

It is the phones' "what we heard" (`app.services.evidence.harvest.heard`): the same
contributions (hidden, pending and erased ones left out), the same themes, no names."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models.cafe import Cafe, CafeStatus, Participant
from app.models.network import Attendance, Meeting, Member, MemberParticipant, Network
from app.models.you_said import YouSaid
from app.services.evidence import harvest
from app.services.network import you_said
from app.services.network.networks import group_of, network_of

# The page shows what was heard at this many of the member's latest meetings.
SHOWN = 4


@dataclass
class HeardMeeting:
    meeting: Meeting
    cafe: Cafe
    heard: harvest.Heard


def _attended(session: Session, member: Member, meetings: list[Meeting]) -> list[Meeting]:
    ids = [m.id for m in meetings]
    marks = {
        a.meeting_id: a.attended
        for a in session.exec(
            select(Attendance).where(
                Attendance.member_id == member.id, col(Attendance.meeting_id).in_(ids)
            )
        )
    }
    joined = set(
        session.exec(
            select(Participant.cafe_id)
            .join(MemberParticipant, col(MemberParticipant.participant_id) == Participant.id)
            .where(MemberParticipant.member_id == member.id)
        )
    )
    return [m for m in meetings if marks.get(m.id, m.cafe_id in joined)]


def heard_for_member(*, session: Session, member: Member, shown: int = SHOWN) -> list[HeardMeeting]:
    """What was heard at the member's group's meetings they came to whose café has closed,
    latest first. Only cafés of the network's lead count (a meeting can name no one
    else's)."""
    network: Network = network_of(session=session, group=group_of(session=session, item=member))
    rows = session.exec(
        select(Meeting, Cafe)
        .join(Cafe, col(Cafe.id) == Meeting.cafe_id)
        .where(
            Meeting.group_id == member.group_id,
            Cafe.status == CafeStatus.CLOSED,
            Cafe.facilitator_id == network.facilitator_id,
        )
        .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
    ).all()
    cafes = {m.id: c for m, c in rows}
    came = _attended(session, member, [m for m, _row in rows])[:shown]
    return [
        HeardMeeting(
            meeting=m, cafe=cafes[m.id], heard=harvest.heard(session=session, cafe=cafes[m.id])
        )
        for m in came
    ]


@dataclass
class MemberNews:
    """What the member's page adds after meetings: what we heard, and "you said, we did"."""

    heard: list[HeardMeeting]
    updates: list[YouSaid]
    update_themes: dict[int, list[str]]


def member_news(*, session: Session, member: Member) -> MemberNews:
    """What was heard at meetings the member came to, and the updates answering their group
    (or the whole network); nothing of another group."""
    group = group_of(session=session, item=member)
    updates = you_said.for_group(session=session, group=group)
    return MemberNews(
        heard=heard_for_member(session=session, member=member),
        updates=updates,
        update_themes=you_said.theme_names(session=session, updates=updates),
    )
