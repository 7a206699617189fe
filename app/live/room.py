"""Running the room: each action of the console's buttons and of the API's café endpoints
calls its service and then publishes the event it causes, decided here once for both."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.i18n import _
from app.live import plans
from app.live.announce import Announcer
from app.live.forecasts import announce_rotation
from app.live.hub import CafeEvent
from app.models.cafe import Cafe
from app.services.cafe import cafes as cafe_service
from app.services.cafe import participants as participant_service
from app.services.cafe import rounds as round_service
from app.services.cafe import seating as seating_service
from app.services.cafe.rounds import Rotation
from app.services.errors import DomainError


class RoomAction(StrEnum):
    NEXT = "next"
    EXTEND = "extend"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"
    CLOSE = "close"
    MOVE = "move"
    HOST = "host"


def run_action(
    action: str,
    *,
    session: Session,
    cafe: Cafe,
    now: datetime,
    announce: Announcer,
    settings: Settings,
    db: Database,
    from_round: int | None = None,
    minutes: int = 5,
    participant_id: int | None = None,
    table_id: int | None = None,
) -> Rotation | None:
    """Do what the facilitator asked and tell the room; the rotation when a round started.
    A refusal (`DomainError`) publishes nothing."""
    if action == RoomAction.NEXT:
        started = plans.rotate(session=session, cafe=cafe, now=now, from_round=from_round)
        announce_rotation(announce, settings, db, cafe, started)
        return started
    about: dict[str, Any] = {}
    if action == RoomAction.EXTEND:
        round_service.extend_round(session=session, cafe=cafe, minutes=minutes, now=now)
        event = CafeEvent.ROUND_CHANGED
    elif action == RoomAction.PAUSE:
        round_service.pause_round(session=session, cafe=cafe, now=now)
        event = CafeEvent.ROUND_CHANGED
    elif action == RoomAction.RESUME:
        round_service.resume_round(session=session, cafe=cafe, now=now)
        event = CafeEvent.ROUND_CHANGED
    elif action == RoomAction.END:
        round_service.end_round(session=session, cafe=cafe, now=now)
        event = CafeEvent.ROUND_CHANGED
    elif action == RoomAction.CLOSE:
        cafe_service.close_cafe(session=session, cafe=cafe, now=now)
        event = CafeEvent.CAFE_CLOSED
    elif action in {RoomAction.MOVE, RoomAction.HOST}:
        _seat(action, session=session, cafe=cafe, participant_id=participant_id, table_id=table_id)
        # Who moved where: their phone, and their old and new tables', redraw.
        event, about = (
            CafeEvent.SEATING_CHANGED,
            {"participant_id": participant_id, "table_id": table_id},
        )
    else:
        raise DomainError(_("Unknown action."))
    announce.cafe(cafe.id, event, **about)
    return None


def _seat(
    action: str, *, session: Session, cafe: Cafe, participant_id: int | None, table_id: int | None
) -> None:
    if participant_id is None:
        raise DomainError(_("Choose a person first."))
    if action == RoomAction.MOVE:
        if table_id is None:
            raise DomainError(_("Choose a table to move them to."))
        seating_service.move_person(
            session=session, cafe=cafe, participant_id=participant_id, table_id=table_id
        )
    else:
        participant_service.set_host(
            session=session, cafe=cafe, participant_id=participant_id, table_id=table_id
        )
