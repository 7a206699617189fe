"""A café named in the URL, for the facilitator's pages (`OwnedCafe`: the login cookie) and the
API (`ReadCafe`/`WriteCafe`: the token's scope), and what running its room takes (`RoomDep`).

`Owned…`, `Read…` and `Write…` admit the café's owner only; `RunCafe`, `ReadRunCafe` and
`WriteRunCafe` admit its co-facilitators too (what each role may do: `app.services.roles`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.deps.common import (
    ApiReader,
    ApiWriter,
    DatabaseDep,
    FacilitatorDep,
    NowDep,
    SessionDep,
    SettingsDep,
    api_errors,
)
from app.deps.loaders import row_loader
from app.live.announce import AnnounceDep, Announcer
from app.live.room import run_action
from app.models.cafe import Cafe
from app.services import roles
from app.services.cafe import cafes as cafe_service
from app.services.cafe.rounds import Rotation

ERRORS = api_errors(
    not_found="No such café (or not yours)",
    conflict="Not possible in the café's current state",
)

_get_cafe = cafe_service.get_owned
OwnedCafe = Annotated[Cafe, Depends(row_loader(_get_cafe, key="cafe_id", owner_dep=FacilitatorDep))]
ReadCafe = Annotated[Cafe, Depends(row_loader(_get_cafe, key="cafe_id", owner_dep=ApiReader))]
WriteCafe = Annotated[Cafe, Depends(row_loader(_get_cafe, key="cafe_id", owner_dep=ApiWriter))]

_get_run_cafe = roles.get_run_cafe
RunCafe = Annotated[
    Cafe, Depends(row_loader(_get_run_cafe, key="cafe_id", owner_dep=FacilitatorDep))
]
ReadRunCafe = Annotated[
    Cafe, Depends(row_loader(_get_run_cafe, key="cafe_id", owner_dep=ApiReader))
]
WriteRunCafe = Annotated[
    Cafe, Depends(row_loader(_get_run_cafe, key="cafe_id", owner_dep=ApiWriter))
]


@dataclass(frozen=True, slots=True)
class Room:
    """What a request that runs the room holds: its session, the clock, and the app's parts
    that publish what changed."""

    session: Session
    db: Database
    settings: Settings
    now: datetime
    announce: Announcer

    def run(
        self,
        action: str,
        cafe: Cafe,
        *,
        from_round: int | None = None,
        minutes: int = 5,
        participant_id: int | None = None,
        table_id: int | None = None,
    ) -> Rotation | None:
        """Do one of the room's actions and publish what it changed (`app.live.room`)."""
        return run_action(
            action,
            session=self.session,
            cafe=cafe,
            now=self.now,
            announce=self.announce,
            settings=self.settings,
            db=self.db,
            from_round=from_round,
            minutes=minutes,
            participant_id=participant_id,
            table_id=table_id,
        )


def room(
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> Room:
    return Room(session=session, db=db, settings=settings, now=now, announce=announce)


RoomDep = Annotated[Room, Depends(room)]
