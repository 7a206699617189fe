"""A café named in the URL, for the facilitator's pages (`OwnedCafe`: the login cookie) and the
API (`ReadCafe`/`WriteCafe`: the token's scope), and what running its room takes (`RoomDep`).

`Owned…`, `Read…` and `Write…` admit the café's owner only; `RunCafe`, `ReadRunCafe` and
`WriteRunCafe` admit its co-facilitators too (what each role may do: `app.services.roles`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
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
from app.kit.forms import refusal, see_other
from app.kit.rendering import render
from app.live import reshape
from app.live.announce import AnnounceDep, Announcer
from app.live.room import run_action
from app.models.accounts import Facilitator
from app.models.cafe import Cafe
from app.services import roles
from app.services.board.moderation import moderation_view
from app.services.cafe import cafes as cafe_service
from app.services.cafe import room as room_service
from app.services.cafe import state as state_service
from app.services.cafe.rounds import Rotation
from app.services.errors import DomainError

ERRORS = api_errors(
    not_found="No such café (or not yours)",  # not shown to people
    conflict="Not possible in the café's current state",  # not shown to people
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


@dataclass(frozen=True, slots=True)
class RoomPage:
    """The facilitator reshaping the room from the console (`app.routers.cafe.room_pages`):
    what each change's route needs, and what every one of them answers. An htmx post from
    the console's live part (`from=console`) gets the console drawn again, one from the
    room's controls below it gets the controls, a plain post a redirect."""

    request: Request
    cafe: Cafe
    session: Session
    facilitator: Facilitator
    settings: Settings
    db: Database
    now: datetime
    announce: Announcer

    @property
    def from_console(self) -> bool:
        """Whether the form was in the console's live part (its buttons) rather than in the
        room's controls below it (`from=console` in the form)."""
        return self.request.query_params.get("from") == "console"

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def console(
        self,
        *,
        error: str | None = None,
        status_code: int = 200,
        values: dict[str, Any] | None = None,
    ) -> Response:
        cafe, session = self.cafe, self.session
        base_url = self.settings.base_url
        return render(
            self.request,
            "cafe/console.html",
            {
                "facilitator": self.facilitator,
                "owner": cafe.facilitator_id == self.facilitator.id,
                "cafe": cafe,
                "s": state_service.cafe_state(session=session, cafe=cafe, now=self.now),
                "m": moderation_view(session=session, cafe=cafe),
                "rx": room_service.console_extras(session=session, cafe=cafe),
                "room_values": values or {},
                "error": error,
                "join_url": cafe_service.join_url(base_url=base_url, cafe=cafe),
                "base_url": base_url.rstrip("/"),
            },
            block="console",
            status_code=status_code,
        )

    def controls(
        self,
        *,
        done: str = "",
        error: str | None = None,
        values: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response:
        cafe, session = self.cafe, self.session
        return render(
            self.request,
            "cafe/_room_controls.html",
            {
                "cafe": cafe,
                "s": state_service.cafe_state(session=session, cafe=cafe, now=self.now),
                "rx": room_service.console_extras(session=session, cafe=cafe),
                "room_values": values or {},
                "room_error": error,
                "room_done": done,
            },
            status_code=status_code,
        )

    def refused(self, exc: DomainError, values: dict[str, Any] | None = None) -> Response:
        """A refused change: what was typed, with the refusal, where the form was."""
        refused = refusal(self.session, exc, self.cafe)
        if self.htmx and not self.from_console:
            return self.controls(
                error=refused["error"],
                values=values,
                status_code=refused["status_code"],
            )
        return self.console(values=values, **refused)

    def done(self, done: str = "", section: str = "") -> Response:
        """After a change: the console (a plain post), or the part that sent it drawn again
        (with its `section` still open) saying what was `done`."""
        if not self.htmx:
            return see_other(f"/cafes/{self.cafe.id}/console")
        self.session.refresh(self.cafe)
        if self.from_console:
            return self.console()
        return self.controls(done=done, values={"open": section})

    def changed(self, done: str, section: str) -> Response:
        """After a change to the room's shape: every phone and screen told, then `done`."""
        reshape.room_changed(self.announce, self.settings, self.db, self.cafe)
        return self.done(done, section)


def room_page(
    request: Request,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
) -> RoomPage:
    return RoomPage(request, cafe, session, facilitator, settings, db, now, announce)


RoomPageDep = Annotated[RoomPage, Depends(room_page)]
