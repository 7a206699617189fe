"""JSON API for personal data: erase a café, a participant, a member or a network; read the
log of erasures (ids and counts, never the erased data); keep-for periods; and everything
held about a participant or a member (subject access)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from sqlmodel import Session

from app.config import Settings
from app.deps.cafe import ERRORS as CAFE_ERRORS
from app.deps.cafe import ReadCafe, WriteCafe
from app.deps.common import (
    ApiReader,
    ApiWriter,
    DatabaseDep,
    NowDep,
    RowId,
    SessionDep,
    SettingsDep,
    api_errors,
)
from app.deps.network import ERRORS as NETWORK_ERRORS
from app.deps.network import ReadMember, ReadNetwork, WriteMember, WriteNetwork
from app.i18n import _
from app.live.announce import AnnounceDep
from app.live.hub import CafeEvent
from app.models.cafe import Cafe, Participant
from app.models.network import Network
from app.models.privacy import (
    ErasureLog,
    ErasurePublic,
    KeepForPublic,
    KeepForUpdate,
    MemberData,
    ParticipantData,
)
from app.services import audit
from app.services.errors import NotFound
from app.services.privacy import access, erasure, retention

router = APIRouter(prefix="/api/v1")

PERSON_ERRORS = api_errors(
    not_found="No such café (or not yours), or no such person in it"  # not shown to people
)


def _public(entry: ErasureLog) -> ErasurePublic:
    return ErasurePublic.model_validate(entry, from_attributes=True)


def person_of(session: Session, cafe: Cafe, participant_id: int) -> Participant:
    person = session.get(Participant, participant_id)
    if person is None or person.cafe_id != cafe.id:
        raise NotFound(_("No such person in this café."))
    return person


@router.delete("/cafes/{cafe_id}", status_code=204, responses=CAFE_ERRORS, tags=["cafés"])
def erase_cafe(
    cafe: WriteCafe,
    who: ApiWriter,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> Response:
    """Erase a café for good: its people, cards, votes, photos and voice notes (files too),
    tables, rounds and themes. Evidence items made from it keep their provenance with the
    words replaced by "Removed: the café's facilitator erased the café". Logged in
    `GET /api/v1/erasures` without the erased data."""
    cafe_id = cafe.id
    erasure.erase_cafe(
        session=session,
        media_dir=settings.media_dir,
        cafe=cafe,
        actor=audit.facilitator(who),
        now=now,
    )
    announce.cafe(cafe_id, CafeEvent.CAFE_CLOSED)
    return Response(status_code=204)


@router.post(
    "/cafes/{cafe_id}/participants/{participant_id}/erase",
    responses=PERSON_ERRORS,
    tags=["cafés"],
)
def erase_participant(
    participant_id: RowId,
    cafe: WriteCafe,
    who: ApiWriter,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> ErasurePublic:
    """Erase one person of a café: their name, role and preferences, cards (with photos and
    voice notes, files too), votes and seats. Evidence items quoting them keep their
    provenance with the words replaced by "Removed at the request of the person who said
    it". Returns what went, in counts."""
    person = person_of(session, cafe, participant_id)
    entry = erasure.erase_participant(
        session=session,
        media_dir=settings.media_dir,
        cafe=cafe,
        person=person,
        actor=audit.facilitator(who),
        now=now,
    )
    announce.cafe(cafe.id, CafeEvent.SEATING_CHANGED)
    announce.cafe(cafe.id, CafeEvent.BOARD_CHANGED)
    return _public(entry)


@router.post("/networks/members/{member_id:int}/erase", responses=NETWORK_ERRORS, tags=["networks"])
def erase_member(
    member: WriteMember, who: ApiWriter, session: SessionDep, settings: SettingsDep, now: NowDep
) -> ErasurePublic:
    """Erase a member: contact details, accessibility needs, consent record, attendance,
    invites (links already sent stop working) and everything they said in cafés they joined
    through an invite (as erasing a participant). Returns what went, in counts."""
    entry = erasure.erase_member(
        session=session,
        media_dir=settings.media_dir,
        member=member,
        actor=audit.facilitator(who),
        now=now,
    )
    return _public(entry)


@router.post("/networks/{network_id:int}/erase", responses=NETWORK_ERRORS, tags=["networks"])
def erase_network(
    network: WriteNetwork, who: ApiWriter, session: SessionDep, settings: SettingsDep, now: NowDep
) -> ErasurePublic:
    """Erase a network: every member (as erasing a member), its groups, meetings, materials
    and plans. Cafés run from its meetings stay with you (erase them on their own)."""
    entry = erasure.erase_network(
        session=session,
        media_dir=settings.media_dir,
        network=network,
        actor=audit.facilitator(who),
        now=now,
    )
    return _public(entry)


@router.get("/erasures", responses=api_errors(), tags=["personal data"])
def erasures(facilitator: ApiReader, session: SessionDep) -> list[ErasurePublic]:
    """Your erasures, newest first: what kind, which id, why (request or retention), when,
    and how many of each thing went. Never names or words."""
    return [_public(e) for e in erasure.log_of(session=session, owner_id=facilitator.id)]


def _keep_for(row: Cafe | Network, erase_on: datetime, default_days: int) -> KeepForPublic:
    return KeepForPublic(keep_days=row.keep_days, default_days=default_days, erase_on=erase_on)


def _cafe_keep_for(cafe: Cafe, settings: Settings) -> KeepForPublic:
    erase_on = retention.cafe_erase_on(cafe=cafe, default_days=settings.keep_days)
    return _keep_for(cafe, erase_on, settings.keep_days)


def _network_keep_for(session: Session, network: Network, settings: Settings) -> KeepForPublic:
    erase_on = retention.network_erase_on(
        session=session, network=network, default_days=settings.keep_days
    )
    return _keep_for(network, erase_on, settings.keep_days)


@router.get("/cafes/{cafe_id}/keep-for", responses=CAFE_ERRORS, tags=["cafés"])
def read_cafe_keep_for(cafe: ReadCafe, settings: SettingsDep) -> KeepForPublic:
    """How long the café keeps personal data, and when it will be erased (counted from when
    it closed, or was created if it has not closed)."""
    return _cafe_keep_for(cafe, settings)


@router.put("/cafes/{cafe_id}/keep-for", responses=CAFE_ERRORS, tags=["cafés"])
def set_cafe_keep_for(
    body: KeepForUpdate, cafe: WriteCafe, who: ApiWriter, session: SessionDep, settings: SettingsDep
) -> KeepForPublic:
    """Set how many days the café keeps personal data (null: the server's default). Past it,
    the café is erased as `DELETE /api/v1/cafes/{cafe_id}` does."""
    retention.set_keep_days(
        session=session, row=cafe, days=body.keep_days, actor=audit.facilitator(who)
    )
    return _cafe_keep_for(cafe, settings)


@router.get("/networks/{network_id:int}/keep-for", responses=NETWORK_ERRORS, tags=["networks"])
def read_network_keep_for(
    network: ReadNetwork, session: SessionDep, settings: SettingsDep
) -> KeepForPublic:
    """How long the network keeps personal data, and when it will be erased (counted from
    the end of its last meeting, or its creation)."""
    return _network_keep_for(session, network, settings)


@router.put("/networks/{network_id:int}/keep-for", responses=NETWORK_ERRORS, tags=["networks"])
def set_network_keep_for(
    body: KeepForUpdate,
    network: WriteNetwork,
    who: ApiWriter,
    session: SessionDep,
    settings: SettingsDep,
) -> KeepForPublic:
    """Set how many days the network keeps personal data (null: the server's default). Past
    it, the network is erased as `POST /api/v1/networks/{network_id}/erase` does."""
    retention.set_keep_days(
        session=session, row=network, days=body.keep_days, actor=audit.facilitator(who)
    )
    return _network_keep_for(session, network, settings)


@router.get(
    "/cafes/{cafe_id}/participants/{participant_id}/data",
    responses=PERSON_ERRORS,
    tags=["cafés"],
)
def participant_data(
    participant_id: RowId,
    cafe: ReadCafe,
    who: ApiReader,
    db: DatabaseDep,
    session: SessionDep,
    settings: SettingsDep,
) -> ParticipantData:
    """Everything held about one person of the café (subject access): name, role and
    preferences, seats, cards with their photos and voice notes, votes, quotes of their
    cards in materials, the member they joined as, and when it will all be erased. Each
    read is in the audit log."""
    person = person_of(session, cafe, participant_id)
    access.audit_participant_read(db=db, actor=audit.facilitator(who), cafe=cafe, person=person)
    return access.participant_data(
        session=session, cafe=cafe, person=person, default_days=settings.keep_days
    )


@router.get("/networks/members/{member_id:int}/data", responses=NETWORK_ERRORS, tags=["networks"])
def member_data(
    member: ReadMember, who: ApiReader, db: DatabaseDep, session: SessionDep, settings: SettingsDep
) -> MemberData:
    """Everything held about one member (subject access): contact details, accessibility
    needs, consent record, attendance, invite version, everything held about them in each
    café they joined through their invite, and what they did themselves as the audit log
    records it. Each read is in the audit log."""
    access.audit_member_read(db=db, session=session, actor=audit.facilitator(who), member=member)
    return access.member_data(session=session, member=member, default_days=settings.keep_days)
