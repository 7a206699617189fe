"""JSON API for reshaping a café's room live: tables, a round's questions, a message to every
phone, people without phones, and requests for help (issue 26)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.deps.cafe import ERRORS, WriteRunCafe
from app.deps.common import DatabaseDep, NowDep, RowId, SessionDep, SettingsDep
from app.live import reshape
from app.live.announce import AnnounceDep
from app.live.board import announce_board
from app.live.hub import CafeEvent
from app.models.cafe import ParticipantPublic, RoundBase, RoundPublic, TablePublic
from app.models.room import (
    BroadcastPublic,
    BroadcastRequest,
    HelpPublic,
    PersonWithoutPhone,
    RoundChange,
    TableAdd,
    TableChange,
    WriteForRequest,
    WrittenForPublic,
)
from app.services.cafe import room as room_service

router = APIRouter(prefix="/api/v1/cafes", tags=["cafés"])

RoundNumber = Annotated[int, Path(ge=1, le=20)]


def _table(table: object) -> TablePublic:
    return TablePublic.model_validate(table, from_attributes=True)


@router.post("/{cafe_id}/tables", status_code=201, responses=ERRORS)
def add_table(
    body: TableAdd,
    cafe: WriteRunCafe,
    session: SessionDep,
    settings: SettingsDep,
    db: DatabaseDep,
    announce: AnnounceDep,
) -> TablePublic:
    """Add a table after the others; people are seated at it from the next round, which is
    planned again. Phones, console and projector redraw."""
    table = room_service.add_table(session=session, cafe=cafe, data=body)
    reshape.room_changed(announce, settings, db, cafe)
    return _table(table)


@router.patch("/{cafe_id}/tables/{table_id}", responses=ERRORS)
def change_table(
    table_id: RowId,
    body: TableChange,
    cafe: WriteRunCafe,
    session: SessionDep,
    settings: SettingsDep,
    db: DatabaseDep,
    announce: AnnounceDep,
) -> TablePublic:
    """Rename a table or change its seats (409: fewer seats than people sitting there now).
    The next round is planned again."""
    table = room_service.change_table(session=session, cafe=cafe, table_id=table_id, data=body)
    reshape.room_changed(announce, settings, db, cafe)
    return _table(table)


@router.delete("/{cafe_id}/tables/{table_id}", status_code=204, responses=ERRORS)
def remove_table(
    table_id: RowId,
    cafe: WriteRunCafe,
    session: SessionDep,
    settings: SettingsDep,
    db: DatabaseDep,
    announce: AnnounceDep,
) -> Response:
    """Remove a table. 409 if people sit there now (move them first) or it held an earlier
    round's conversation (it stays in the notes)."""
    room_service.remove_table(session=session, cafe=cafe, table_id=table_id)
    reshape.room_changed(announce, settings, db, cafe)
    return Response(status_code=204)


@router.post("/{cafe_id}/rounds", status_code=201, responses=ERRORS)
def add_round(
    body: RoundBase,
    cafe: WriteRunCafe,
    session: SessionDep,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
) -> RoundPublic:
    """Add a round after the last one (at most 20); the rounds ahead are planned again."""
    rnd = room_service.add_round(
        session=session, cafe=cafe, question=body.question, minutes=body.minutes
    )
    reshape.room_changed(announce, settings, db, cafe)
    return room_service.round_public(session=session, cafe=cafe, rnd=rnd, now=now)


@router.patch("/{cafe_id}/rounds/{number:int}", responses=ERRORS)
def change_round(
    number: RoundNumber,
    body: RoundChange,
    cafe: WriteRunCafe,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    db: DatabaseDep,
    announce: AnnounceDep,
) -> RoundPublic:
    """Change a round's question, minutes (not started yet only) or one table's question
    (an empty question gives the table the round's again). The current round's phones show
    the new question at once; a finished round is refused (409)."""
    rnd = room_service.change_round(session=session, cafe=cafe, number=number, data=body)
    reshape.room_changed(announce, settings, db, cafe)
    return room_service.round_public(session=session, cafe=cafe, rnd=rnd, now=now)


@router.post("/{cafe_id}/broadcast", status_code=201, responses=ERRORS)
def broadcast(
    body: BroadcastRequest,
    cafe: WriteRunCafe,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
) -> BroadcastPublic:
    """Send a short message (up to 280 characters) to every phone of the café: it shows on
    top of their page at once, read out by screen readers, until they dismiss it."""
    message = room_service.send_broadcast(session=session, cafe=cafe, text=body.text, now=now)
    reshape.broadcast(announce, message)
    return BroadcastPublic.model_validate(message, from_attributes=True)


@router.post("/{cafe_id}/participants", status_code=201, responses=ERRORS)
def add_person_without_phone(
    body: PersonWithoutPhone,
    cafe: WriteRunCafe,
    session: SessionDep,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
) -> ParticipantPublic:
    """Add someone in the room without a phone, by a name or a number: they are seated by
    the planner like everyone else (at once if a round is on), and a host or the
    facilitator writes for them. Their name shows only where the café shows names."""
    person = room_service.add_without_phone(session=session, cafe=cafe, data=body, now=now)
    reshape.person_added(announce, settings, db, cafe, person.id)
    return ParticipantPublic.model_validate(person, from_attributes=True)


@router.post("/{cafe_id}/help/{help_id}/seen", responses=ERRORS)
def help_seen(
    help_id: RowId,
    cafe: WriteRunCafe,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
) -> HelpPublic:
    """Say that a request for help was seen: the phone that asked is told at once."""
    asked = room_service.acknowledge_help(session=session, cafe=cafe, help_id=help_id, now=now)
    reshape.help_seen(announce, asked)
    return HelpPublic.model_validate(asked, from_attributes=True)


@router.post(
    "/{cafe_id}/participants/{participant_id}/contributions", status_code=201, responses=ERRORS
)
def write_for(
    participant_id: RowId,
    body: WriteForRequest,
    request: Request,
    response: Response,
    cafe: WriteRunCafe,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
) -> WrittenForPublic:
    """Post a card for someone without a phone (added with `POST …/participants`): it is their
    card, at their table, with their role, and says it was written for them. The same
    `client_id` again stores nothing new (200, `created` false)."""
    posted = room_service.write_for(
        session=session,
        cafe=cafe,
        person_id=participant_id,
        text=body.text,
        kind=body.kind,
        client_id=body.client_id,
        now=now,
    )
    if posted.created:
        announce_board(
            request, announce, posted.contribution, CafeEvent.CARD_ADDED, audience=posted.audience
        )
    else:
        response.status_code = 200
    return WrittenForPublic(
        contribution_id=posted.contribution.id,
        participant_id=participant_id,
        created=posted.created,
    )
