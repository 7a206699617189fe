"""The console's controls for reshaping the room live, and a phone's "Ask for help"
(issue 26). Each answers an htmx post with the console (or the help block) drawn again, and
a plain form post with a redirect; a refusal redraws the console with what was typed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session

from app.deps.cafe import RunCafe
from app.deps.common import (
    CsrfDep,
    DatabaseDep,
    FacilitatorDep,
    NowDep,
    RowId,
    SessionDep,
    SettingsDep,
)
from app.deps.phone import CafeByCode, remembered
from app.kit.forms import refusal, see_other
from app.kit.rendering import render
from app.live import reshape
from app.live.announce import AnnounceDep
from app.live.board import announce_board
from app.live.hub import CafeEvent
from app.models.accounts import Facilitator
from app.models.cafe import Cafe, RoundBase
from app.models.room import PersonWithoutPhone, RoundChange, TableAdd, TableChange
from app.services.board.moderation import moderation_view
from app.services.cafe import cafes as cafe_service
from app.services.cafe import room as room_service
from app.services.cafe import state as state_service
from app.services.errors import DomainError, Invalid

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])

Short = Annotated[str, Form(max_length=600)]

# What the room's controls say after each change.
TABLE_ADDED = "A table was added. People are seated at it from the next round."
SEATS_SAVED = "The seats were saved."
TABLE_REMOVED = "The table was removed."
QUESTION_CHANGED = "The question was changed. Phones show it now."
MESSAGE_SENT = "The message was sent to every phone."
PERSON_ADDED = "They were added, and are seated like everyone else."
ROUND_ADDED = "The round was added after the last one."
ROUND_MOVED = "The rounds are in their new order."
WRITTEN_FOR = "It was posted for them."


def _console(
    request: Request,
    session: Session,
    cafe: Cafe,
    facilitator: Facilitator,
    *,
    now: Any,
    base_url: str,
    error: str | None = None,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
) -> Response:
    state = state_service.cafe_state(session=session, cafe=cafe, now=now)
    return render(
        request,
        "cafe/console.html",
        {
            "facilitator": facilitator,
            "owner": cafe.facilitator_id == facilitator.id,
            "cafe": cafe,
            "s": state,
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


def _done(
    request: Request,
    session: Session,
    cafe: Cafe,
    facilitator: Facilitator,
    now: Any,
    base: str,
    *,
    done: str = "",
    section: str = "",
) -> Response:
    """After a change: the console (a plain post), or the part that sent it drawn again
    (with its `section` still open)."""
    if request.headers.get("hx-request") != "true":
        return see_other(f"/cafes/{cafe.id}/console")
    session.refresh(cafe)
    if _from_console(request):
        return _console(request, session, cafe, facilitator, now=now, base_url=base)
    return _controls(request, session, cafe, now=now, done=done, values={"open": section})


def _from_console(request: Request) -> bool:
    """Whether the form was in the console's live part (its buttons) rather than in the
    room's controls below it (`from=console` in the form)."""
    return request.query_params.get("from") == "console"


def _controls(
    request: Request,
    session: Session,
    cafe: Cafe,
    *,
    now: Any,
    done: str = "",
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "cafe/_room_controls.html",
        {
            "cafe": cafe,
            "s": state_service.cafe_state(session=session, cafe=cafe, now=now),
            "rx": room_service.console_extras(session=session, cafe=cafe),
            "room_values": values or {},
            "room_error": error,
            "room_done": done,
        },
        status_code=status_code,
    )


def _refused(
    request: Request,
    session: Session,
    cafe: Cafe,
    facilitator: Facilitator,
    exc: DomainError,
    now: Any,
    base: str,
    values: dict[str, Any],
) -> Response:
    refused = refusal(session, exc, cafe)
    if request.headers.get("hx-request") == "true" and not _from_console(request):
        return _controls(
            request,
            session,
            cafe,
            now=now,
            error=refused["error"],
            values=values,
            status_code=refused["status_code"],
        )
    return _console(
        request, session, cafe, facilitator, now=now, base_url=base, values=values, **refused
    )


def _invalid(exc: ValidationError) -> Invalid:
    """A form's values the API's body refuses, in one sentence for the page."""
    first = exc.errors()[0]
    field = str(first["loc"][-1]) if first.get("loc") else "value"
    names = {
        "capacity": "Seats must be a number from 2 to 30.",
        "name": "Keep the table's name to 60 characters or fewer.",
        "question": "Write a question of up to 500 characters.",
        "display_name": "Give a name or a number of up to 40 characters.",
        "role": "Choose one of the roles in the list, or leave it blank.",
        "text": "Write a message of up to 280 characters.",
        "minutes": "Minutes must be a number from 1 to 180.",
    }
    return Invalid(names.get(field, "Please check what you typed."))


def _number(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else None


@router.post("/cafes/{cafe_id}/room/tables")
def add_table(
    request: Request,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
    name: Short = "",
    capacity: Short = "",
) -> Response:
    values = {"open": "tables", "name": name, "capacity": capacity}
    try:
        try:
            data = TableAdd(name=name.strip() or None, capacity=_number(capacity) or 0)
        except ValidationError as exc:
            raise _invalid(exc) from None
        room_service.add_table(session=session, cafe=cafe, data=data)
    except DomainError as exc:
        return _refused(request, session, cafe, facilitator, exc, now, settings.base_url, values)
    reshape.room_changed(announce, settings, db, cafe)
    return _done(
        request,
        session,
        cafe,
        facilitator,
        now,
        settings.base_url,
        done=TABLE_ADDED,
        section="tables",
    )


@router.post("/cafes/{cafe_id}/room/tables/{table_id}")
def change_table(
    request: Request,
    table_id: RowId,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
    capacity: Short = "",
) -> Response:
    values = {"open": "tables"}
    try:
        try:
            data = TableChange(capacity=_number(capacity) or 0)
        except ValidationError as exc:
            raise _invalid(exc) from None
        room_service.change_table(session=session, cafe=cafe, table_id=table_id, data=data)
    except DomainError as exc:
        return _refused(request, session, cafe, facilitator, exc, now, settings.base_url, values)
    reshape.room_changed(announce, settings, db, cafe)
    return _done(
        request,
        session,
        cafe,
        facilitator,
        now,
        settings.base_url,
        done=SEATS_SAVED,
        section="tables",
    )


@router.post("/cafes/{cafe_id}/room/tables/{table_id}/remove")
def remove_table(
    request: Request,
    table_id: RowId,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
) -> Response:
    try:
        room_service.remove_table(session=session, cafe=cafe, table_id=table_id)
    except DomainError as exc:
        values = {"open": "tables"}
        return _refused(request, session, cafe, facilitator, exc, now, settings.base_url, values)
    reshape.room_changed(announce, settings, db, cafe)
    return _done(
        request,
        session,
        cafe,
        facilitator,
        now,
        settings.base_url,
        done=TABLE_REMOVED,
        section="tables",
    )


@router.post("/cafes/{cafe_id}/room/question")
def change_question(
    request: Request,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
    round: Short = "",
    table: Short = "",
    question: Short = "",
) -> Response:
    values = {"open": "question", "round": round, "table": table, "question": question}
    try:
        number = _number(round)
        if number is None:
            raise Invalid("Choose a round.")
        table_number = _number(table)
        try:
            if table.strip() and table_number is None:
                raise Invalid("Choose a table, or every table.")
            if table_number is not None:
                if not question.strip():
                    raise Invalid("Write a question of up to 500 characters.")
                data = RoundChange.model_validate(
                    {"table_questions": [{"table": table_number, "question": question}]}
                )
            else:
                data = RoundChange(question=question)
        except ValidationError as exc:
            raise _invalid(exc) from None
        room_service.change_round(session=session, cafe=cafe, number=number, data=data)
    except DomainError as exc:
        return _refused(request, session, cafe, facilitator, exc, now, settings.base_url, values)
    reshape.room_changed(announce, settings, db, cafe)
    return _done(
        request,
        session,
        cafe,
        facilitator,
        now,
        settings.base_url,
        done=QUESTION_CHANGED,
        section="question",
    )


@router.post("/cafes/{cafe_id}/room/rounds")
def add_round(
    request: Request,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
    question: Short = "",
    minutes: Short = "",
) -> Response:
    values = {"open": "round", "new_question": question, "minutes": minutes}
    try:
        try:
            data = RoundBase(question=question, minutes=_number(minutes) or 0)
        except ValidationError as exc:
            raise _invalid(exc) from None
        room_service.add_round(
            session=session, cafe=cafe, question=data.question, minutes=data.minutes
        )
    except DomainError as exc:
        return _refused(request, session, cafe, facilitator, exc, now, settings.base_url, values)
    reshape.room_changed(announce, settings, db, cafe)
    return _done(
        request,
        session,
        cafe,
        facilitator,
        now,
        settings.base_url,
        done=ROUND_ADDED,
        section="round",
    )


@router.post("/cafes/{cafe_id}/room/rounds/{number}/move")
def move_round(
    request: Request,
    number: RowId,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
    to: Short = "",
) -> Response:
    """Move a round not started yet earlier or later among the rounds not started yet."""
    values = {"open": "order"}
    try:
        place = _number(to)
        if place is None or not 1 <= place <= 20:
            raise Invalid("Choose where the round goes.")
        room_service.change_round(
            session=session, cafe=cafe, number=number, data=RoundChange(move_to=place)
        )
    except DomainError as exc:
        return _refused(request, session, cafe, facilitator, exc, now, settings.base_url, values)
    reshape.room_changed(announce, settings, db, cafe)
    return _done(
        request,
        session,
        cafe,
        facilitator,
        now,
        settings.base_url,
        done=ROUND_MOVED,
        section="order",
    )


@router.post("/cafes/{cafe_id}/room/broadcast")
def broadcast(
    request: Request,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
    text: Short = "",
) -> Response:
    values = {"open": "broadcast", "text": text}
    try:
        if not text.strip() or len(text.strip()) > 280:
            raise Invalid("Write a message of up to 280 characters.")
        message = room_service.send_broadcast(session=session, cafe=cafe, text=text, now=now)
    except DomainError as exc:
        return _refused(request, session, cafe, facilitator, exc, now, settings.base_url, values)
    reshape.broadcast(announce, message)
    return _done(
        request,
        session,
        cafe,
        facilitator,
        now,
        settings.base_url,
        done=MESSAGE_SENT,
        section="broadcast",
    )


@router.post("/cafes/{cafe_id}/room/people")
def add_person(
    request: Request,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
    display_name: Short = "",
    role: Short = "",
    cannot_move: Short = "",
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
        person = room_service.add_without_phone(session=session, cafe=cafe, data=data, now=now)
    except DomainError as exc:
        return _refused(request, session, cafe, facilitator, exc, now, settings.base_url, values)
    reshape.person_added(announce, settings, db, cafe, person.id)
    return _done(
        request,
        session,
        cafe,
        facilitator,
        now,
        settings.base_url,
        done=PERSON_ADDED,
        section="person",
    )


@router.post("/cafes/{cafe_id}/room/help/{help_id}/seen")
def help_seen(
    request: Request,
    help_id: RowId,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
) -> Response:
    try:
        asked = room_service.acknowledge_help(session=session, cafe=cafe, help_id=help_id, now=now)
    except DomainError as exc:
        return _refused(request, session, cafe, facilitator, exc, now, settings.base_url, {})
    reshape.help_seen(announce, asked)
    return _done(request, session, cafe, facilitator, now, settings.base_url)


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
        raise Invalid("Choose who it is for.")
    return number


@router.post("/cafes/{cafe_id}/room/write-for")
def write_for(
    request: Request,
    cafe: RunCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
    person_id: Short = "",
    text: Short = "",
    client_id: Short = "",
) -> Response:
    """The facilitator writes a card for someone without a phone, at that person's table."""
    values = {"open": "person", "person_id": person_id, "wf_text": text}
    try:
        posted = room_service.write_for(
            session=session,
            cafe=cafe,
            person_id=_person_id(person_id),
            text=text,
            kind="idea",
            client_id=client_id,
            now=now,
        )
    except DomainError as exc:
        return _refused(request, session, cafe, facilitator, exc, now, settings.base_url, values)
    if posted.created:
        announce_board(
            request, announce, posted.contribution, CafeEvent.CARD_ADDED, audience=posted.audience
        )
    return _done(
        request,
        session,
        cafe,
        facilitator,
        now,
        settings.base_url,
        done=WRITTEN_FOR,
        section="person",
    )


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
