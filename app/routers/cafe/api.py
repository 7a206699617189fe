"""JSON API for cafés: create, read, and run them live."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.deps.cafe import ERRORS, ReadCafe, WriteCafe
from app.deps.common import (
    ApiReader,
    ApiWriter,
    DatabaseDep,
    NowDep,
    SessionDep,
    SettingsDep,
)
from app.live.announce import AnnounceDep, Announcer
from app.live.hub import CafeEvent
from app.live.room import RoomAction, run_action
from app.models.cafe import (
    Cafe,
    CafeCreate,
    CafePublic,
    CafeUpdate,
    ExtendRequest,
    HostRequest,
    MoveRequest,
    NextRoundRequest,
    Participant,
    ParticipantPublic,
    SeatingPublic,
)
from app.services.cafe import cafes as cafe_service
from app.services.cafe import people as people_service
from app.services.cafe import seating as seating_service
from app.services.errors import NotFound

router = APIRouter(prefix="/api/v1/cafes", tags=["cafés"])


def _public(session: SessionDep, cafe: Cafe, settings: SettingsDep, now: NowDep) -> CafePublic:
    session.refresh(cafe)
    return cafe_service.cafe_public(session=session, cafe=cafe, base_url=settings.base_url, now=now)


def _room(
    session: Session,
    cafe: Cafe,
    now: datetime,
    announce: Announcer,
    settings: Settings,
    db: Database,
) -> dict[str, Any]:
    """What `run_action` needs of the request, as keywords."""
    return {
        "session": session,
        "cafe": cafe,
        "now": now,
        "announce": announce,
        "settings": settings,
        "db": db,
    }


def _participant(session: Session, participant_id: int) -> ParticipantPublic:
    person = session.get(Participant, participant_id)
    if person is None:
        raise NotFound("No such person in this café.")
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
    announce.cafe(cafe.id, CafeEvent.ROUND_CHANGED)
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
    run_action(
        RoomAction.NEXT,
        **_room(session, cafe, now, announce, settings, db),
        from_round=body.from_round if body else None,
    )
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/rounds/current/extend", responses=ERRORS)
def extend(
    cafe: WriteCafe,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
    body: ExtendRequest | None = None,
) -> CafePublic:
    """Give the current round more minutes (default 5)."""
    run_action(
        RoomAction.EXTEND,
        **_room(session, cafe, now, announce, settings, db),
        minutes=(body or ExtendRequest()).minutes,
    )
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/rounds/current/end", responses=ERRORS)
def end(
    cafe: WriteCafe,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> CafePublic:
    """End the current round early."""
    run_action(RoomAction.END, **_room(session, cafe, now, announce, settings, db))
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/pause", responses=ERRORS)
def pause(
    cafe: WriteCafe,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> CafePublic:
    """Pause the round clock."""
    run_action(RoomAction.PAUSE, **_room(session, cafe, now, announce, settings, db))
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/resume", responses=ERRORS)
def resume(
    cafe: WriteCafe,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> CafePublic:
    """Resume a paused round; the time left is what it was when paused."""
    run_action(RoomAction.RESUME, **_room(session, cafe, now, announce, settings, db))
    return _public(session, cafe, settings, now)


@router.post("/{cafe_id}/close", responses=ERRORS)
def close(
    cafe: WriteCafe,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> CafePublic:
    """Close the café: the clock stops and the join code stops working."""
    run_action(RoomAction.CLOSE, **_room(session, cafe, now, announce, settings, db))
    return _public(session, cafe, settings, now)


@router.get("/{cafe_id}/seating", responses=ERRORS)
def seating(
    cafe: ReadCafe,
    session: SessionDep,
    round: Annotated[int | None, Query(ge=1, description="Defaults to the current round")] = None,
) -> SeatingPublic:
    """Who sits at which table in a round."""
    return seating_service.seating(session=session, cafe=cafe, round_number=round)


@router.get("/{cafe_id}/participants", responses=ERRORS)
def participants(cafe: ReadCafe, session: SessionDep) -> list[ParticipantPublic]:
    """Everyone in the café now (pseudonyms and self-declared roles only)."""
    return [
        ParticipantPublic.model_validate(p, from_attributes=True)
        for p in people_service.participants_of(session=session, cafe=cafe)
    ]


@router.post("/{cafe_id}/participants/{participant_id}/move", responses=ERRORS)
def move(
    participant_id: int,
    body: MoveRequest,
    cafe: WriteCafe,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> ParticipantPublic:
    """Move a person to another table in the current round."""
    run_action(
        RoomAction.MOVE,
        **_room(session, cafe, now, announce, settings, db),
        participant_id=participant_id,
        table_id=body.table_id,
    )
    return _participant(session, participant_id)


@router.post("/{cafe_id}/participants/{participant_id}/host", responses=ERRORS)
def host(
    participant_id: int,
    body: HostRequest,
    cafe: WriteCafe,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> ParticipantPublic:
    """Make a person host of a table (they stay there), or remove the role with null."""
    run_action(
        RoomAction.HOST,
        **_room(session, cafe, now, announce, settings, db),
        participant_id=participant_id,
        table_id=body.table_id,
    )
    return _participant(session, participant_id)
