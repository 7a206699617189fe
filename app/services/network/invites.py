"""Meetings run as cafés, and the members' personal invite links to them: signing, reading,
revoking and accepting an invite, and which member a café participant is."""

from __future__ import annotations

import math
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, select

from app.i18n import N_, _, in_language
from app.models.accounts import Facilitator
from app.models.cafe import Cafe, CafeCreate, CafeStatus, Participant, RoundSpec
from app.models.network import Meeting, Member, MemberParticipant, RunAsCafeRequest
from app.services.cafe import cafes as cafe_service
from app.services.errors import Conflict, Invalid
from app.services.network.meetings import meeting_cafe
from app.services.network.members import list_members
from app.services.network.networks import group_of, network_of

INVITE_SALT = "member-invite"
PEOPLE_PER_TABLE = 5
DEFAULT_QUESTIONS = (
    N_("What is working well for people here now?"),
    N_("What gets in the way?"),
    N_("What could we change first, and who needs to be involved?"),
)


def run_as_cafe(
    *,
    session: Session,
    facilitator: Facilitator,
    meeting: Meeting,
    data: RunAsCafeRequest,
) -> Cafe:
    """Create a café for the meeting; its members are invited with personal links."""
    if meeting_cafe(session=session, meeting=meeting) is not None:
        raise Conflict(_("This meeting already runs as a café."))
    group = group_of(session=session, item=meeting)
    network = network_of(session=session, group=group)
    # Without questions, the usual three in the network's language (the members' café).
    questions = [q.strip() for q in data.questions if q.strip()] or [
        in_language(network.language, q) for q in DEFAULT_QUESTIONS
    ]
    if any(len(q) > 500 for q in questions):
        raise Invalid(_("Keep each question to 500 characters or fewer."))
    member_count = len(list_members(session=session, group=group)[0])
    tables = data.table_count or max(1, math.ceil(member_count / PEOPLE_PER_TABLE))
    title = f"{network.title}: {group.name}, {meeting.title}"
    cafe = cafe_service.create_cafe(
        session=session,
        facilitator=facilitator,
        data=CafeCreate(
            title=title[:120],
            purpose=network.description[:2000],
            privacy_notice=network.privacy_notice,
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


def revoke_invites(*, session: Session, member: Member) -> Member:
    """Every invite link already sent to this member stops working."""
    member.invite_version += 1
    session.add(member)
    session.commit()
    session.refresh(member)
    return member


def _invite_serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=INVITE_SALT)


def invite_token(*, secret: str, member: Member, cafe: Cafe) -> str:
    """A member's personal token for one café; it names them only to the server."""
    return str(_invite_serializer(secret).dumps([member.id, cafe.id, member.invite_version]))


def invite_url(*, base_url: str, secret: str, member: Member, cafe: Cafe) -> str:
    token = invite_token(secret=secret, member=member, cafe=cafe)
    return f"{cafe_service.join_url(base_url=base_url, cafe=cafe)}?invite={quote(token)}"


def invites(
    *, session: Session, meeting: Meeting, base_url: str, secret: str
) -> list[tuple[Member, str]]:
    """Each member of the meeting's group with their personal join link."""
    cafe = meeting_cafe(session=session, meeting=meeting)
    if cafe is None:
        raise Conflict(_("Run the meeting as a café first; the invite links point to the café."))
    members, _rest = list_members(session=session, group=group_of(session=session, item=meeting))
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
    Nothing about the member is copied onto the participant, so others never see it, but
    their consent on record is carried in: a member recorded as not consenting is not
    taken as consenting, whatever the join form said (the stricter answer wins)."""
    if cafe.status == CafeStatus.CLOSED or participant.cafe_id != cafe.id:
        return None
    member = read_invite(session=session, cafe=cafe, token=token, secret=secret)
    if member is None:
        return None
    link = session.exec(
        select(MemberParticipant).where(MemberParticipant.participant_id == participant.id)
    ).first()
    if link is None:
        session.add(MemberParticipant(member_id=member.id, participant_id=participant.id))
    elif link.member_id != member.id:
        return None  # already linked to someone else: keep the first, safer answer
    if not member.consent_given and participant.evidence_consent:
        participant.evidence_consent = False
        session.add(participant)
    session.commit()
    return member


def member_of_participant(*, session: Session, participant_id: int) -> Member | None:
    """The member a café participant is (for the lead's own views only)."""
    link = session.exec(
        select(MemberParticipant).where(MemberParticipant.participant_id == participant_id)
    ).first()
    return session.get(Member, link.member_id) if link else None
