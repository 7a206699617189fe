"""Facilitator pages: create a café, the live console, the projector view."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError

from app.deps.cafe import OwnedCafe
from app.deps.common import CsrfDep, FacilitatorDep, NowDep, SessionDep, SettingsDep
from app.kit.qr import qr_svg
from app.kit.rendering import render
from app.live.announce import AnnounceDep
from app.live.forecasts import announce_rotation
from app.live.hub import CafeEvent
from app.models.accounts import Facilitator
from app.models.cafe import (
    Cafe,
    CafeCreate,
    CafeUpdate,
    Participant,
    RoundSpec,
    SeatingMode,
    TableQuestionSpec,
    TableSpec,
)
from app.services import cafe as cafe_service
from app.services.board.moderation import moderation_view
from app.services.errors import DomainError, Invalid, NotFound

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


Spec = TypeVar("Spec", bound=BaseModel)
_TQ_LINE = re.compile(r"^\s*(\d+)\s*[,/ ]\s*(\d+)\s*[:|]\s*(.+)$")
_ROUND_LINE = re.compile(r"^(.*?)(?:\|\s*(\d+)\s*(?:min(?:utes?)?)?)?\s*$")


def parse_cafe_form(
    *,
    title: str,
    purpose: str,
    table_count: str,
    table_capacity: str,
    table_names: str,
    rounds: str,
    minutes: str,
    table_questions: str,
    seating_mode: str,
    names_visible: bool,
    reaction_budget: str,
    premoderation: bool,
) -> CafeCreate:
    """Turn the plain-text form into the same schema the API takes; errors read as sentences."""
    problems: list[str] = []

    def number(raw: str, label: str, default: int, model: type[BaseModel], name: str) -> int:
        if not raw.strip():
            return default
        if not (raw.strip().isascii() and raw.strip().isdigit()):
            problems.append(f"{label} must be a whole number.")
            return default
        low, high = _bounds(model, name)
        if not low <= int(raw) <= high:
            problems.append(f"{label} must be between {low} and {high}.")
            return default
        return int(raw)

    def spec(model: type[Spec], where: str, **values: Any) -> Spec | None:
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            problems.extend(f"{where}: {_sentence(e)}" for e in exc.errors())
            return None

    capacity = number(table_capacity, "People per table", 6, CafeCreate, "table_capacity")
    default_minutes = number(minutes, "Minutes per round", 20, RoundSpec, "minutes")
    names = [n.strip() for n in table_names.splitlines() if n.strip()]
    count = (
        number(table_count, "Number of tables", 0, CafeCreate, "table_count")
        if not names
        else len(names)
    )
    round_specs: list[RoundSpec] = []
    for line in (ln for ln in rounds.splitlines() if ln.strip()):
        match = _ROUND_LINE.match(line)
        question = (match.group(1) if match else line).strip()
        mins = int(match.group(2)) if match and match.group(2) else default_minutes
        one = spec(
            RoundSpec,
            f"Round {len(round_specs) + 1}",
            question=question[:500] or line.strip()[:500],
            minutes=mins,
        )
        round_specs.append(one or RoundSpec(question="?"))  # keeps the rounds' numbering
    for line in (ln for ln in table_questions.splitlines() if ln.strip()):
        tq = _TQ_LINE.match(line)
        if not tq:
            problems.append(
                f"Could not read the table question “{line.strip()[:60]}”. "
                "Write it as: round, table: question."
            )
            continue
        rnd, table = int(tq.group(1)), int(tq.group(2))
        if not 1 <= rnd <= len(round_specs):
            problems.append(f"Table question for round {rnd}: there is no such round.")
            continue
        asked = spec(
            TableQuestionSpec,
            f"The question for table {table} in round {rnd}",
            table=max(table, 1),
            question=tq.group(3).strip()[:500],
        )
        if asked is not None:
            round_specs[rnd - 1].table_questions.append(asked)
    if not round_specs:
        problems.append("Add at least one round question.")
    if problems:
        raise DomainError(" ".join(problems))
    try:
        return CafeCreate(
            title=title.strip(),
            purpose=purpose.strip(),
            tables=[TableSpec(name=n[:60], capacity=capacity) for n in names] or None,
            table_count=count or None,
            table_capacity=capacity,
            rounds=round_specs,
            seating_mode=SeatingMode(seating_mode)
            if seating_mode in {"planned", "free"}
            else SeatingMode.PLANNED,
            names_visible=names_visible,
            reaction_budget=number(
                reaction_budget, "Votes per person", 3, CafeCreate, "reaction_budget"
            ),
            premoderation=premoderation,
        )
    except ValidationError as exc:
        raise DomainError(" ".join(_sentence(e) for e in exc.errors())) from exc


def _bounds(model: type[BaseModel], name: str) -> tuple[int, int]:
    """The lowest and highest whole number the API's schema takes for a field."""
    low, high = 0, 10**9
    for rule in model.model_fields[name].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high


def _sentence(error: object) -> str:
    labels = {
        "title": "Title",
        "purpose": "Purpose",
        "table_count": "Number of tables",
        "table_capacity": "People per table",
        "capacity": "People per table",
        "minutes": "Minutes per round",
        "question": "A round question",
        "reaction_budget": "Votes per person",
        "rounds": "Rounds",
        "name": "A table name",
    }
    assert isinstance(error, dict)
    loc = [str(p) for p in error.get("loc", ()) if not str(p).isdigit()]
    field = labels.get(loc[-1], loc[-1]) if loc else "The form"
    msg = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{field}: {msg}."


@router.get("/cafes/new")
def new_cafe(request: Request, facilitator: FacilitatorDep) -> Response:
    return render(request, "cafe_new.html", {"facilitator": facilitator, "values": {}})


@router.post("/cafes/new")
def create_cafe(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    title: Annotated[str, Form(max_length=500)] = "",
    purpose: Annotated[str, Form(max_length=5000)] = "",
    table_count: Annotated[str, Form(max_length=10)] = "",
    table_capacity: Annotated[str, Form(max_length=10)] = "",
    table_names: Annotated[str, Form(max_length=10000)] = "",
    rounds: Annotated[str, Form(max_length=20000)] = "",
    minutes: Annotated[str, Form(max_length=10)] = "",
    table_questions: Annotated[str, Form(max_length=20000)] = "",
    seating_mode: Annotated[str, Form(max_length=10)] = "planned",
    names_visible: Annotated[bool, Form()] = False,
    reaction_budget: Annotated[str, Form(max_length=10)] = "",
    premoderation: Annotated[bool, Form()] = False,
) -> Response:
    values = {
        "title": title,
        "purpose": purpose,
        "table_count": table_count,
        "table_capacity": table_capacity,
        "table_names": table_names,
        "rounds": rounds,
        "minutes": minutes,
        "table_questions": table_questions,
        "seating_mode": seating_mode,
        "names_visible": names_visible,
        "reaction_budget": reaction_budget,
        "premoderation": premoderation,
    }
    try:
        data = parse_cafe_form(**values)  # type: ignore[arg-type]
        cafe = cafe_service.create_cafe(session=session, facilitator=facilitator, data=data)
    except DomainError as exc:
        session.rollback()
        return render(
            request,
            "cafe_new.html",
            {"facilitator": facilitator, "values": values, "error": exc.detail},
            status_code=422,
        )
    return RedirectResponse(f"/cafes/{cafe.id}/console", status_code=303)


def _console(
    request: Request,
    session: SessionDep,
    cafe: Cafe,
    now: NowDep,
    settings: SettingsDep,
    facilitator: FacilitatorDep,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    state = cafe_service.cafe_state(session=session, cafe=cafe, now=now)
    return render(
        request,
        "console.html",
        {
            "facilitator": facilitator,
            "cafe": cafe,
            "s": state,
            "m": moderation_view(session=session, cafe=cafe),
            "error": error,
            "join_url": cafe_service.join_url(settings.base_url, cafe),
            "base_url": settings.base_url.rstrip("/"),
        },
        block="console",
        status_code=status_code,
    )


@router.get("/cafes/{cafe_id}/console")
def console(
    request: Request,
    cafe: OwnedCafe,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    facilitator: FacilitatorDep,
) -> Response:
    return _console(request, session, cafe, now, settings, facilitator)


def _settings_page(
    request: Request,
    session: SessionDep,
    cafe: Cafe,
    facilitator: Facilitator,
    values: dict[str, Any],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    joined = bool(cafe_service.participants_of(session, cafe, active_only=False))
    return render(
        request,
        "cafe_settings.html",
        {
            "facilitator": facilitator,
            "cafe": cafe,
            "values": values,
            "error": error,
            "names_locked": joined and not cafe.names_visible,
        },
        status_code=status_code,
    )


@router.get("/cafes/{cafe_id}/settings")
def settings_page(
    request: Request, cafe: OwnedCafe, session: SessionDep, facilitator: FacilitatorDep
) -> Response:
    values = {
        "title": cafe.title,
        "purpose": cafe.purpose,
        "names_visible": cafe.names_visible,
        "premoderation": cafe.premoderation,
        "reaction_budget": str(cafe.reaction_budget),
    }
    return _settings_page(request, session, cafe, facilitator, values)


@router.post("/cafes/{cafe_id}/settings")
def save_settings(
    request: Request,
    cafe: OwnedCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    announce: AnnounceDep,
    title: Annotated[str, Form(max_length=500)] = "",
    purpose: Annotated[str, Form(max_length=5000)] = "",
    names_visible: Annotated[bool, Form()] = False,
    premoderation: Annotated[bool, Form()] = False,
    reaction_budget: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The settings form: the same rules as `PATCH /api/v1/cafes/{id}`."""
    values = {
        "title": title,
        "purpose": purpose,
        "names_visible": names_visible,
        "premoderation": premoderation,
        "reaction_budget": reaction_budget,
    }
    try:
        budget = reaction_budget.strip()
        if not (budget.isascii() and budget.isdigit()):
            raise Invalid("Votes per person must be a whole number.")
        try:
            data = CafeUpdate(
                title=title,
                purpose=purpose,
                names_visible=names_visible,
                premoderation=premoderation,
                reaction_budget=int(budget),
            )
        except ValidationError as exc:
            raise Invalid(" ".join(_sentence(e) for e in exc.errors())) from exc
        cafe_service.update_cafe(session=session, cafe=cafe, data=data)
    except DomainError as exc:
        session.rollback()
        session.refresh(cafe)
        return _settings_page(
            request,
            session,
            cafe,
            facilitator,
            values,
            error=exc.detail,
            status_code=exc.status_code,
        )
    announce.cafe(cafe.id or 0, CafeEvent.ROUND_CHANGED)
    return RedirectResponse(f"/cafes/{cafe.id}/console", status_code=303)


@router.get("/cafes/{cafe_id}/console/move/{participant_id}")
def move_page(
    request: Request,
    cafe: OwnedCafe,
    participant_id: int,
    session: SessionDep,
    now: NowDep,
    facilitator: FacilitatorDep,
) -> Response:
    """Where to move one person: in a big café the console links here instead of repeating
    every table in a list for every person."""
    person = session.get(Participant, participant_id)
    if person is None or person.cafe_id != cafe.id:
        raise NotFound("There is no such person in this café.")
    state = cafe_service.cafe_state(session=session, cafe=cafe, now=now)
    view = state.table_view(state.table_of.get(participant_id))
    return render(
        request,
        "console_move.html",
        {
            "facilitator": facilitator,
            "cafe": cafe,
            "s": state,
            "person": person,
            "here": view.table if view else None,
        },
    )


@router.post("/cafes/{cafe_id}/console/{action}")
def console_action(
    action: str,
    request: Request,
    cafe: OwnedCafe,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    facilitator: FacilitatorDep,
    announce: AnnounceDep,
    from_round: Annotated[int | None, Form()] = None,
    minutes: Annotated[int, Form(ge=1, le=60)] = 5,
    participant_id: Annotated[int | None, Form()] = None,
    table_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Every console button posts here; the same service calls back the JSON API."""
    assert cafe.id is not None
    try:
        event, started, about = _apply(
            action,
            session=session,
            cafe=cafe,
            now=now,
            from_round=from_round,
            minutes=minutes,
            participant_id=participant_id,
            table_id=table_id,
        )
    except DomainError as exc:
        session.rollback()
        session.refresh(cafe)
        return _console(
            request,
            session,
            cafe,
            now,
            settings,
            facilitator,
            error=exc.detail,
            status_code=exc.status_code,
        )
    if started is not None:
        announce_rotation(announce, settings, request.app.state.db, cafe, started)
    else:
        announce.cafe(cafe.id, event, **about)
    if request.headers.get("hx-request") != "true":
        return RedirectResponse(f"/cafes/{cafe.id}/console", status_code=303)
    return _console(request, session, cafe, now, settings, facilitator)


def _apply(
    action: str,
    *,
    session: SessionDep,
    cafe: Cafe,
    now: NowDep,
    from_round: int | None,
    minutes: int,
    participant_id: int | None,
    table_id: str,
) -> tuple[CafeEvent, cafe_service.Rotation | None, dict[str, Any]]:
    """Do what a console button asks; the event to announce, the rotation when it started a
    round, and what else the event says (who moved where: their phone redraws)."""
    if action == "next":
        started = cafe_service.rotate(session=session, cafe=cafe, now=now, from_round=from_round)
        return CafeEvent.ROUND_STARTED, started, {}
    if action == "extend":
        cafe_service.extend_round(session=session, cafe=cafe, minutes=minutes, now=now)
    elif action == "pause":
        cafe_service.pause_round(session=session, cafe=cafe, now=now)
    elif action == "resume":
        cafe_service.resume_round(session=session, cafe=cafe, now=now)
    elif action == "end":
        cafe_service.end_round(session=session, cafe=cafe, now=now)
    elif action == "close":
        cafe_service.close_cafe(session=session, cafe=cafe, now=now)
        return CafeEvent.CAFE_CLOSED, None, {}
    elif action in {"move", "host"}:
        if participant_id is None:
            raise DomainError("Choose a person first.")
        table = int(table_id) if table_id.isascii() and table_id.isdigit() else None
        if action == "move":
            if table is None:
                raise DomainError("Choose a table to move them to.")
            cafe_service.move_person(
                session=session, cafe=cafe, participant_id=participant_id, table_id=table
            )
        else:
            cafe_service.set_host(
                session=session, cafe=cafe, participant_id=participant_id, table_id=table
            )
        return (
            CafeEvent.SEATING_CHANGED,
            None,
            {"participant_id": participant_id, "table_id": table},
        )
    else:
        raise DomainError("Unknown action.")
    return CafeEvent.ROUND_CHANGED, None, {}


@router.get("/cafes/{cafe_id}/projector")
def projector(
    request: Request, cafe: OwnedCafe, session: SessionDep, now: NowDep, settings: SettingsDep
) -> Response:
    state = cafe_service.cafe_state(session=session, cafe=cafe, now=now)
    url = cafe_service.join_url(settings.base_url, cafe)
    return render(
        request,
        "projector.html",
        {
            "cafe": cafe,
            "s": state,
            "join_url": url,
            "qr_svg": qr_svg(url),
        },
        block="board",
    )


@router.get("/cafes/{cafe_id}/qr.svg")
def qr(cafe: OwnedCafe, settings: SettingsDep) -> Response:
    return Response(
        qr_svg(cafe_service.join_url(settings.base_url, cafe)), media_type="image/svg+xml"
    )
