"""JSON API for cafés: create, read, and run them live."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session

from app.config import Settings
from app.deps.cafe import ERRORS, ReadRunCafe, Room, RoomDep, WriteCafe, WriteRunCafe
from app.deps.common import (
    ApiReader,
    ApiWriter,
    NowDep,
    RowId,
    SessionDep,
    SettingsDep,
)
from app.i18n import _
from app.live.announce import AnnounceDep
from app.live.hub import CafeEvent
from app.live.room import RoomAction
from app.models.cafe import (
    Cafe,
    CafeCreate,
    CafePublic,
    CafeUpdate,
    ConsentChange,
    ExtendRequest,
    HostRequest,
    MoveRequest,
    NextRoundRequest,
    Participant,
    ParticipantPublic,
    SeatingPublic,
)
from app.services import audit
from app.services.cafe import cafes as cafe_service
from app.services.cafe import people as people_service
from app.services.cafe import seating as seating_service
from app.services.errors import NotFound
from app.services.material import consent as consent_service

router = APIRouter(prefix="/api/v1/cafes", tags=["cafés"])


def _summary(session: Session, cafe: Cafe, settings: Settings, now: datetime) -> CafePublic:
    session.refresh(cafe)
    return cafe_service.cafe_public(session=session, cafe=cafe, base_url=settings.base_url, now=now)


def _public(room: Room, cafe: Cafe) -> CafePublic:
    """The café as the API shows it, after one of the room's actions."""
    return _summary(room.session, cafe, room.settings, room.now)


def _participant(room: Room, participant_id: RowId) -> ParticipantPublic:
    person = room.session.get(Participant, participant_id)
    if person is None:
        raise NotFound(_("No such person in this café."))
    return ParticipantPublic.model_validate(person, from_attributes=True)


@router.post("", status_code=201, responses=ERRORS)
def create_cafe(
    body: CafeCreate,
    session: SessionDep,
    facilitator: ApiWriter,
    settings: SettingsDep,
    now: NowDep,
) -> CafePublic:
    """Create a café with its tables and rounds; returns its id, join code and join URL."""
    cafe = cafe_service.create_cafe(session=session, facilitator=facilitator, data=body)
    return _summary(session, cafe, settings, now)


@router.get("", responses=ERRORS)
def list_cafes(
    session: SessionDep, facilitator: ApiReader, settings: SettingsDep, now: NowDep
) -> list[CafePublic]:
    """List the cafés you run, newest first."""
    return [
        _summary(session, c, settings, now)
        for c in cafe_service.list_cafes(session=session, facilitator=facilitator)
    ]


@router.get("/{cafe_id}", responses=ERRORS)
def read_cafe(
    cafe: ReadRunCafe, session: SessionDep, settings: SettingsDep, now: NowDep
) -> CafePublic:
    """Read a café: tables, rounds with their clocks, status."""
    return _summary(session, cafe, settings, now)


@router.patch("/{cafe_id}", responses=ERRORS)
def update_cafe(
    body: CafeUpdate,
    cafe: WriteCafe,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> CafePublic:
    """Change the title, purpose, votes per person, pre-moderation or whether names show
    (names only before anyone has joined: 409 after). Phones, console and projector redraw."""
    cafe_service.update_cafe(session=session, cafe=cafe, data=body)
    announce.cafe(cafe.id, CafeEvent.ROUND_CHANGED)
    return _summary(session, cafe, settings, now)


@router.post("/{cafe_id}/rounds/next", responses=ERRORS)
def next_round(
    cafe: WriteRunCafe, room: RoomDep, body: NextRoundRequest | None = None
) -> CafePublic:
    """Seat everyone for the next round and start its clock (409 if it already moved on)."""
    room.run(RoomAction.NEXT, cafe, from_round=body.from_round if body else None)
    return _public(room, cafe)


@router.post("/{cafe_id}/rounds/current/extend", responses=ERRORS)
def extend(cafe: WriteRunCafe, room: RoomDep, body: ExtendRequest | None = None) -> CafePublic:
    """Give the current round more minutes (default 5)."""
    room.run(RoomAction.EXTEND, cafe, minutes=(body or ExtendRequest()).minutes)
    return _public(room, cafe)


@router.post("/{cafe_id}/rounds/current/end", responses=ERRORS)
def end(cafe: WriteRunCafe, room: RoomDep) -> CafePublic:
    """End the current round early."""
    room.run(RoomAction.END, cafe)
    return _public(room, cafe)


@router.post("/{cafe_id}/pause", responses=ERRORS)
def pause(cafe: WriteRunCafe, room: RoomDep) -> CafePublic:
    """Pause the round clock."""
    room.run(RoomAction.PAUSE, cafe)
    return _public(room, cafe)


@router.post("/{cafe_id}/resume", responses=ERRORS)
def resume(cafe: WriteRunCafe, room: RoomDep) -> CafePublic:
    """Resume a paused round; the time left is what it was when paused."""
    room.run(RoomAction.RESUME, cafe)
    return _public(room, cafe)


@router.post("/{cafe_id}/close", responses=ERRORS)
def close(cafe: WriteRunCafe, room: RoomDep) -> CafePublic:
    """Close the café: the clock stops and the join code stops working."""
    room.run(RoomAction.CLOSE, cafe)
    return _public(room, cafe)


@router.get("/{cafe_id}/seating", responses=ERRORS)
def seating(
    cafe: ReadRunCafe,
    session: SessionDep,
    round: Annotated[int | None, Query(ge=1, description="Defaults to the current round")] = None,
) -> SeatingPublic:
    """Who sits at which table in a round."""
    return seating_service.seating(session=session, cafe=cafe, round_number=round)


@router.get("/{cafe_id}/participants", responses=ERRORS)
def participants(cafe: ReadRunCafe, session: SessionDep) -> list[ParticipantPublic]:
    """Everyone in the café now (pseudonyms and self-declared roles only)."""
    return [
        ParticipantPublic.model_validate(p, from_attributes=True)
        for p in people_service.participants_of(session=session, cafe=cafe)
    ]


@router.post("/{cafe_id}/participants/{participant_id}/move", responses=ERRORS)
def move(
    participant_id: RowId, body: MoveRequest, cafe: WriteRunCafe, room: RoomDep
) -> ParticipantPublic:
    """Move a person to another table in the current round."""
    room.run(RoomAction.MOVE, cafe, participant_id=participant_id, table_id=body.table_id)
    return _participant(room, participant_id)


@router.post("/{cafe_id}/participants/{participant_id}/host", responses=ERRORS)
def host(
    participant_id: RowId, body: HostRequest, cafe: WriteRunCafe, room: RoomDep
) -> ParticipantPublic:
    """Make a person host of a table (they stay there), or remove the role with null."""
    room.run(RoomAction.HOST, cafe, participant_id=participant_id, table_id=body.table_id)
    return _participant(room, participant_id)


@router.post("/{cafe_id}/participants/{participant_id}/consent", responses=ERRORS)
def consent(
    participant_id: int,
    body: ConsentChange,
    cafe: WriteCafe,
    who: ApiWriter,
    session: SessionDep,
    now: NowDep,
) -> ParticipantPublic:
    """Record a person's choice, on their behalf, about what they say being used as evidence
    beyond the café. False withdraws it: their words are replaced by "Withdrawn by the person
    who said it" in every version of every material at once, published ones and every
    edition and export too (provenance counts stay). True is refused (409) while the person
    is a network member recorded as not consenting."""
    person = session.get(Participant, participant_id)
    if person is None or person.cafe_id != cafe.id:
        raise NotFound(_("No such person in this café."))
    person = consent_service.set_participant_consent(
        session=session,
        person=person,
        consent=body.evidence_consent,
        now=now,
        actor=audit.facilitator(who),
    )
    return ParticipantPublic.model_validate(person, from_attributes=True)
