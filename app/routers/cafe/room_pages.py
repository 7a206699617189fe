"""The console's controls for reshaping the room live, and a phone's "Ask for help"
(issue 26). Each answers an htmx post with the console (or the help block) drawn again, and
a plain form post with a redirect; a refusal redraws the console with what was typed
(`RoomPage` in `app.deps.cafe`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from app.deps.cafe import RoomPageDep
from app.deps.common import CsrfDep, NowDep, RowId, SessionDep
from app.deps.phone import CafeByCode, remembered
from app.i18n import N_, _
from app.kit.rendering import render
from app.live import reshape
from app.live.announce import AnnounceDep
from app.live.board import announce_board
from app.live.hub import CafeEvent
from app.models.cafe import RoundBase
from app.models.room import PersonWithoutPhone, RoundChange, TableAdd, TableChange
from app.services.cafe import room as room_service
from app.services.errors import DomainError, Invalid

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])

Short = Annotated[str, Form(max_length=600)]

# What the room's controls say after each change.
TABLE_ADDED = N_("A table was added. People are seated at it from the next round.")
SEATS_SAVED = N_("The seats were saved.")
TABLE_REMOVED = N_("The table was removed.")
QUESTION_CHANGED = N_("The question was changed. Phones show it now.")
MESSAGE_SENT = N_("The message was sent to every phone.")
PERSON_ADDED = N_("They were added, and are seated like everyone else.")
ROUND_ADDED = N_("The round was added after the last one.")
ROUND_MOVED = N_("The rounds are in their new order.")
WRITTEN_FOR = N_("It was posted for them.")

# A form's field the API's body refuses, in one sentence for the page.
FIELD_PROBLEMS = {
    "capacity": N_("Seats must be a number from 2 to 30."),
    "name": N_("Keep the table's name to 60 characters or fewer."),
    "question": N_("Write a question of up to 500 characters."),
    "display_name": N_("Give a name or a number of up to 40 characters."),
    "role": N_("Choose one of the roles in the list, or leave it blank."),
    "text": N_("Write a message of up to 280 characters."),
    "minutes": N_("Minutes must be a number from 1 to 180."),
}


def _invalid(exc: ValidationError) -> Invalid:
    """A form's values the API's body refuses, in one sentence for the page."""
    first = exc.errors()[0]
    field = str(first["loc"][-1]) if first.get("loc") else "value"
    problem = FIELD_PROBLEMS.get(field)
    return Invalid(_(problem) if problem else _("Please check what you typed."))


def _number(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else None


@router.post("/cafes/{cafe_id}/room/tables")
def add_table(room: RoomPageDep, name: Short = "", capacity: Short = "") -> Response:
    values = {"open": "tables", "name": name, "capacity": capacity}
    try:
        try:
            data = TableAdd(name=name.strip() or None, capacity=_number(capacity) or 0)
        except ValidationError as exc:
            raise _invalid(exc) from None
        room_service.add_table(session=room.session, cafe=room.cafe, data=data)
    except DomainError as exc:
        return room.refused(exc, values)
    return room.changed(_(TABLE_ADDED), "tables")


@router.post("/cafes/{cafe_id}/room/tables/{table_id}")
def change_table(room: RoomPageDep, table_id: RowId, capacity: Short = "") -> Response:
    try:
        try:
            data = TableChange(capacity=_number(capacity) or 0)
        except ValidationError as exc:
            raise _invalid(exc) from None
        room_service.change_table(
            session=room.session, cafe=room.cafe, table_id=table_id, data=data
        )
    except DomainError as exc:
        return room.refused(exc, {"open": "tables"})
    return room.changed(_(SEATS_SAVED), "tables")


@router.post("/cafes/{cafe_id}/room/tables/{table_id}/remove")
def remove_table(room: RoomPageDep, table_id: RowId) -> Response:
    try:
        room_service.remove_table(session=room.session, cafe=room.cafe, table_id=table_id)
    except DomainError as exc:
        return room.refused(exc, {"open": "tables"})
    return room.changed(_(TABLE_REMOVED), "tables")


@router.post("/cafes/{cafe_id}/room/question")
def change_question(
    room: RoomPageDep, round: Short = "", table: Short = "", question: Short = ""
) -> Response:
    values = {"open": "question", "round": round, "table": table, "question": question}
    try:
        number = _number(round)
        if number is None:
            raise Invalid(_("Choose a round."))
        table_number = _number(table)
        try:
            if table.strip() and table_number is None:
                raise Invalid(_("Choose a table, or every table."))
            if table_number is not None:
                if not question.strip():
                    raise Invalid(_("Write a question of up to 500 characters."))
                data = RoundChange.model_validate(
                    {"table_questions": [{"table": table_number, "question": question}]}
                )
            else:
                data = RoundChange(question=question)
        except ValidationError as exc:
            raise _invalid(exc) from None
        room_service.change_round(session=room.session, cafe=room.cafe, number=number, data=data)
    except DomainError as exc:
        return room.refused(exc, values)
    return room.changed(_(QUESTION_CHANGED), "question")


@router.post("/cafes/{cafe_id}/room/rounds")
def add_round(room: RoomPageDep, question: Short = "", minutes: Short = "") -> Response:
    values = {"open": "round", "new_question": question, "minutes": minutes}
    try:
        try:
            data = RoundBase(question=question, minutes=_number(minutes) or 0)
        except ValidationError as exc:
            raise _invalid(exc) from None
        room_service.add_round(
            session=room.session, cafe=room.cafe, question=data.question, minutes=data.minutes
        )
    except DomainError as exc:
        return room.refused(exc, values)
    return room.changed(_(ROUND_ADDED), "round")


@router.post("/cafes/{cafe_id}/room/rounds/{number}/move")
def move_round(room: RoomPageDep, number: RowId, to: Short = "") -> Response:
    """Move a round not started yet earlier or later among the rounds not started yet."""
    try:
        place = _number(to)
        if place is None or not 1 <= place <= 20:
            raise Invalid(_("Choose where the round goes."))
        room_service.change_round(
            session=room.session, cafe=room.cafe, number=number, data=RoundChange(move_to=place)
        )
    except DomainError as exc:
        return room.refused(exc, {"open": "order"})
    return room.changed(_(ROUND_MOVED), "order")


@router.post("/cafes/{cafe_id}/room/broadcast")
def broadcast(room: RoomPageDep, text: Short = "") -> Response:
    values = {"open": "broadcast", "text": text}
    try:
        if not text.strip() or len(text.strip()) > 280:
            raise Invalid(_("Write a message of up to 280 characters."))
        message = room_service.send_broadcast(
            session=room.session, cafe=room.cafe, text=text, now=room.now
        )
    except DomainError as exc:
        return room.refused(exc, values)
    reshape.broadcast(room.announce, message)
    return room.done(_(MESSAGE_SENT), "broadcast")


@router.post("/cafes/{cafe_id}/room/people")
def add_person(
    room: RoomPageDep, display_name: Short = "", role: Short = "", cannot_move: Short = ""
) -> Response:
    values: dict[str, Any] = {"open": "person", "display_name": display_name, "role": role}
    values["cannot_move"] = cannot_move == "true"
    try:
        try:
            data = PersonWithoutPhone.model_validate(
                {
                    "display_name": " ".join(display_name.split()),
                    "role": role or None,
                    "cannot_move": cannot_move == "true",
                }
            )
        except ValidationError as exc:
            raise _invalid(exc) from None
        person = room_service.add_without_phone(
            session=room.session, cafe=room.cafe, data=data, now=room.now
        )
    except DomainError as exc:
        return room.refused(exc, values)
    reshape.person_added(room.announce, room.settings, room.db, room.cafe, person.id)
    return room.done(_(PERSON_ADDED), "person")


@router.post("/cafes/{cafe_id}/room/help/{help_id}/seen")
def help_seen(room: RoomPageDep, help_id: RowId) -> Response:
    try:
        asked = room_service.acknowledge_help(
            session=room.session, cafe=room.cafe, help_id=help_id, now=room.now
        )
    except DomainError as exc:
        return room.refused(exc, {})
    reshape.help_seen(room.announce, asked)
    return room.done()


@router.post("/p/{code}/help")
def ask_help(
    request: Request, cafe: CafeByCode, session: SessionDep, now: NowDep, announce: AnnounceDep
) -> Response:
    """A phone asks the facilitator for help: a quiet alert on the console. One open request
    per person: asking again while it is open changes nothing."""
    person = remembered(request, session, cafe)
    if person is None:
        return RedirectResponse(f"/j/{cafe.code}", status_code=303)
    asked, new = room_service.ask_help(session=session, cafe=cafe, person=person, now=now)
    if new:
        reshape.help_asked(announce, asked)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/p/{cafe.code}#room-help", status_code=303)
    return render(
        request,
        "cafe/_room_help.html",
        {"cafe": cafe, "help_status": "asked", "inner": True, "oob": False},
    )


def _person_id(raw: str) -> int:
    number = _number(raw)
    if number is None:
        raise Invalid(_("Choose who it is for."))
    return number


@router.post("/cafes/{cafe_id}/room/write-for")
def write_for(
    room: RoomPageDep,
    person_id: Short = "",
    text: Short = "",
    client_id: Short = "",
) -> Response:
    """The facilitator writes a card for someone without a phone, at that person's table."""
    values = {"open": "person", "person_id": person_id, "wf_text": text}
    try:
        posted = room_service.write_for(
            session=room.session,
            cafe=room.cafe,
            person_id=_person_id(person_id),
            text=text,
            kind="idea",
            client_id=client_id,
            now=room.now,
        )
    except DomainError as exc:
        return room.refused(exc, values)
    if posted.created:
        announce_board(
            room.request,
            room.announce,
            posted.contribution,
            CafeEvent.CARD_ADDED,
            audience=posted.audience,
        )
    return room.done(_(WRITTEN_FOR), "person")


@router.post("/p/{code}/write-for")
def host_writes_for(
    request: Request,
    cafe: CafeByCode,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    person_id: Short = "",
    text: Short = "",
    client_id: Short = "",
) -> Response:
    """A table host writes a card for someone without a phone at their table."""
    host = remembered(request, session, cafe)
    if host is None:
        return RedirectResponse(f"/j/{cafe.code}", status_code=303)
    posted = room_service.write_for(
        session=session,
        cafe=cafe,
        person_id=_person_id(person_id),
        text=text,
        kind="idea",
        client_id=client_id,
        now=now,
        host=host,
    )
    if posted.created:
        announce_board(
            request, announce, posted.contribution, CafeEvent.CARD_ADDED, audience=posted.audience
        )
    return RedirectResponse(f"/p/{cafe.code}#board-slot", status_code=303)
