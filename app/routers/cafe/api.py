"""JSON API for cafés: create, read, and run them live."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps.cafe import ERRORS, ReadCafe, WriteCafe
from app.deps.common import (
    ApiReader,
    ApiWriter,
    DatabaseDep,
    NowDep,
    SessionDep,
    SettingsDep,
)
from app.live.announce import AnnounceDep
from app.live.forecasts import announce_rotation
from app.live.hub import CafeEvent
from app.models.cafe import (
    Cafe,
    CafeCreate,
    CafePublic,
    CafeUpdate,
    ExtendRequest,
    HostRequest,
    MoveRequest,
    NextRoundRequest,
    ParticipantPublic,
    SeatingPublic,
)
from app.services import cafe as cafe_service

router = APIRouter(prefix="/api/v1/cafes", tags=["cafés"])


def _public(session: SessionDep, cafe: Cafe, settings: SettingsDep, now: NowDep) -> CafePublic:
    session.refresh(cafe)
    return cafe_service.cafe_public(session=session, cafe=cafe, base_url=settings.base_url, now=now)


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
    return _public(session, cafe, settings, now)


@router.get("", responses=ERRORS)
def list_cafes(
    session: SessionDep, facilitator: ApiReader, settings: SettingsDep, now: NowDep
) -> list[CafePublic]:
    """List the cafés you run, newest first."""
    return [
        _public(session, c, settings, now)
        for c in cafe_service.list_cafes(session=session, facilitator=facilitator)
    ]


@router.get("/{cafe_id}", responses=ERRORS)
def read_cafe(
    cafe: ReadCafe, session: SessionDep, settings: SettingsDep, now: NowDep
) -> CafePublic:
    """Read a café: tables, rounds with their clocks, status."""
    return _public(session, cafe, settings, now)


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
    announce.cafe(cafe.id or 0, CafeEvent.ROUND_CHANGED)
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/rounds/next", responses=ERRORS)
def next_round(
    cafe: WriteCafe,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
    body: NextRoundRequest | None = None,
) -> CafePublic:
    """Seat everyone for the next round and start its clock (409 if it already moved on)."""
    started = cafe_service.rotate(
        session=session, cafe=cafe, now=now, from_round=body.from_round if body else None
    )
    announce_rotation(announce, settings, db, cafe, started)
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/rounds/current/extend", responses=ERRORS)
def extend(
    cafe: WriteCafe,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
    body: ExtendRequest | None = None,
) -> CafePublic:
    """Give the current round more minutes (default 5)."""
    cafe_service.extend_round(
        session=session, cafe=cafe, minutes=(body or ExtendRequest()).minutes, now=now
    )
    announce.cafe(cafe.id or 0, CafeEvent.ROUND_CHANGED)
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/rounds/current/end", responses=ERRORS)
def end(
    cafe: WriteCafe, session: SessionDep, settings: SettingsDep, now: NowDep, announce: AnnounceDep
) -> CafePublic:
    """End the current round early."""
    cafe_service.end_round(session=session, cafe=cafe, now=now)
    announce.cafe(cafe.id or 0, CafeEvent.ROUND_CHANGED)
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/pause", responses=ERRORS)
def pause(
    cafe: WriteCafe, session: SessionDep, settings: SettingsDep, now: NowDep, announce: AnnounceDep
) -> CafePublic:
    """Pause the round clock."""
    cafe_service.pause_round(session=session, cafe=cafe, now=now)
    announce.cafe(cafe.id or 0, CafeEvent.ROUND_CHANGED)
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/resume", responses=ERRORS)
def resume(
    cafe: WriteCafe, session: SessionDep, settings: SettingsDep, now: NowDep, announce: AnnounceDep
) -> CafePublic:
    """Resume a paused round; the time left is what it was when paused."""
    cafe_service.resume_round(session=session, cafe=cafe, now=now)
    announce.cafe(cafe.id or 0, CafeEvent.ROUND_CHANGED)
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/close", responses=ERRORS)
def close(
    cafe: WriteCafe, session: SessionDep, settings: SettingsDep, now: NowDep, announce: AnnounceDep
) -> CafePublic:
    """Close the café: the clock stops and the join code stops working."""
    cafe_service.close_cafe(session=session, cafe=cafe, now=now)
    announce.cafe(cafe.id or 0, CafeEvent.CAFE_CLOSED)
    return _public(session, cafe, settings, now)


@router.get("/{cafe_id}/seating", responses=ERRORS)
def seating(
    cafe: ReadCafe,
    session: SessionDep,
    round: Annotated[int | None, Query(ge=1, description="Defaults to the current round")] = None,
) -> SeatingPublic:
    """Who sits at which table in a round."""
    return cafe_service.seating(session=session, cafe=cafe, round_number=round)


@router.get("/{cafe_id}/participants", responses=ERRORS)
def participants(cafe: ReadCafe, session: SessionDep) -> list[ParticipantPublic]:
    """Everyone in the café now (pseudonyms and self-declared roles only)."""
    return [
        ParticipantPublic.model_validate(p, from_attributes=True)
        for p in cafe_service.participants_of(session, cafe)
    ]


@router.post("/{cafe_id}/participants/{participant_id}/move", responses=ERRORS)
def move(
    participant_id: int,
    body: MoveRequest,
    cafe: WriteCafe,
    session: SessionDep,
    announce: AnnounceDep,
) -> ParticipantPublic:
    """Move a person to another table in the current round."""
    person = cafe_service.move_person(
        session=session, cafe=cafe, participant_id=participant_id, table_id=body.table_id
    )
    announce.cafe(
        cafe.id or 0,
        CafeEvent.SEATING_CHANGED,
        participant_id=participant_id,
        table_id=body.table_id,
    )
    return ParticipantPublic.model_validate(person, from_attributes=True)


@router.post("/{cafe_id}/participants/{participant_id}/host", responses=ERRORS)
def host(
    participant_id: int,
    body: HostRequest,
    cafe: WriteCafe,
    session: SessionDep,
    announce: AnnounceDep,
) -> ParticipantPublic:
    """Make a person host of a table (they stay there), or remove the role with null."""
    person = cafe_service.set_host(
        session=session, cafe=cafe, participant_id=participant_id, table_id=body.table_id
    )
    announce.cafe(
        cafe.id or 0,
        CafeEvent.SEATING_CHANGED,
        participant_id=participant_id,
        table_id=body.table_id,
    )
    return ParticipantPublic.model_validate(person, from_attributes=True)
