"""Facilitator pages: create a café, the live console, the projector view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from app import i18n
from app.deps.cafe import OwnedCafe, RoomDep, RunCafe
from app.deps.cafe_form import CafeFormDep, SettingsFormDep, parse_cafe_form, parse_settings_form
from app.deps.common import CsrfDep, FacilitatorDep, NowDep, RowId, SessionDep, SettingsDep
from app.i18n import _
from app.kit.forms import refusal, see_other
from app.kit.qr import qr_svg
from app.kit.rendering import render
from app.live import plans
from app.live.announce import AnnounceDep
from app.live.hub import CafeEvent
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe, CafeStatus, Participant
from app.services import roles
from app.services.board.moderation import moderation_view
from app.services.cafe import cafes as cafe_service
from app.services.cafe import kit as kit_service
from app.services.cafe import people as people_service
from app.services.cafe import room as room_service
from app.services.cafe import state as state_service
from app.services.errors import DomainError, NotFound
from app.services.evidence.projector import harvest_if_shown
from app.services.network import actions as action_service
from app.services.network import you_said as you_said_service

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


def _new_cafe_page(
    request: Request,
    facilitator: Facilitator,
    values: dict[str, Any],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "cafe/new.html",
        {"facilitator": facilitator, "values": values, "error": error},
        status_code=status_code,
    )


@router.get("/cafes/new")
def new_cafe(request: Request, facilitator: FacilitatorDep) -> Response:
    return _new_cafe_page(request, facilitator, {})


@router.post("/cafes/new")
def create_cafe(
    request: Request, session: SessionDep, facilitator: FacilitatorDep, form: CafeFormDep
) -> Response:
    try:
        data = parse_cafe_form(form)
        cafe = cafe_service.create_cafe(session=session, facilitator=facilitator, data=data)
    except DomainError as exc:
        # The form answers every refusal as a mistake in it, whatever the service called it.
        refused = refusal(session, exc, status_code=422)
        return _new_cafe_page(request, facilitator, form.model_dump(), **refused)
    return see_other(f"/cafes/{cafe.id}/console")


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
            "error": error,
            "join_url": cafe_service.join_url(base_url=settings.base_url, cafe=cafe),
            "base_url": settings.base_url.rstrip("/"),
            "open_actions": action_service.open_for_cafe(session=session, cafe_id=cafe.id),
        },
        block="console",
        status_code=status_code,
    )


@router.get("/cafes/{cafe_id}/console")
def console(
    request: Request,
    cafe: RunCafe,
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
    joined = bool(people_service.participants_of(session=session, cafe=cafe, active_only=False))
    return render(
        request,
        "cafe/settings.html",
        {
            "facilitator": facilitator,
            "cafe": cafe,
            "values": values,
            "error": error,
            "names_locked": joined and not cafe.names_visible,
            "helpers": roles.helpers(session=session, cafe=cafe),
            "invites": roles.pending_invites(session=session, cafe=cafe, now=utcnow()),
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
        "privacy_notice": cafe.privacy_notice,
        "names_visible": cafe.names_visible,
        "premoderation": cafe.premoderation,
        "reaction_budget": str(cafe.reaction_budget),
        "language": cafe.language,
        "bilingual": cafe.bilingual,
    }
    return _settings_page(request, session, cafe, facilitator, values)


@router.post("/cafes/{cafe_id}/settings")
def save_settings(
    request: Request,
    cafe: OwnedCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    announce: AnnounceDep,
    form: SettingsFormDep,
) -> Response:
    """The settings form: the same rules as `PATCH /api/v1/cafes/{id}`."""
    try:
        cafe_service.update_cafe(session=session, cafe=cafe, data=parse_settings_form(form))
    except DomainError as exc:
        refused = refusal(session, exc, cafe)
        return _settings_page(request, session, cafe, facilitator, form.model_dump(), **refused)
    announce.cafe(cafe.id, CafeEvent.ROUND_CHANGED)
    return see_other(f"/cafes/{cafe.id}/console")


@router.get("/cafes/{cafe_id}/console/move/{participant_id}")
def move_page(
    request: Request,
    cafe: RunCafe,
    participant_id: RowId,
    session: SessionDep,
    now: NowDep,
    facilitator: FacilitatorDep,
) -> Response:
    """Where to move one person: in a big café the console links here instead of repeating
    every table in a list for every person."""
    person = session.get(Participant, participant_id)
    if person is None or person.cafe_id != cafe.id:
        raise NotFound(_("There is no such person in this café."))
    state = state_service.cafe_state(session=session, cafe=cafe, now=now)
    view = state.table_view(state.table_of.get(participant_id))
    return render(
        request,
        "cafe/console_move.html",
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
    cafe: RunCafe,
    room: RoomDep,
    facilitator: FacilitatorDep,
    from_round: Annotated[int | None, Form()] = None,
    minutes: Annotated[int, Form(ge=1, le=60)] = 5,
    participant_id: Annotated[int | None, Form()] = None,
    table_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Every console button posts here; the same service calls back the JSON API."""
    session, now, settings = room.session, room.now, room.settings
    table = int(table_id) if table_id.isascii() and table_id.isdigit() else None
    try:
        room.run(
            action,
            cafe,
            from_round=from_round,
            minutes=minutes,
            participant_id=participant_id,
            table_id=table,
        )
    except DomainError as exc:
        refused = refusal(session, exc, cafe)
        return _console(request, session, cafe, now, settings, facilitator, **refused)
    if request.headers.get("hx-request") != "true":
        return see_other(f"/cafes/{cafe.id}/console")
    return _console(request, session, cafe, now, settings, facilitator)


@router.get("/cafes/{cafe_id}/projector")
def projector(
    request: Request, cafe: RunCafe, session: SessionDep, now: NowDep, settings: SettingsDep
) -> Response:
    state = state_service.cafe_state(session=session, cafe=cafe, now=now)
    url = cafe_service.join_url(base_url=settings.base_url, cafe=cafe)
    before = state.round is None and cafe.status != CafeStatus.CLOSED
    # The room's screen: in the café's language (or both), not the facilitator's.
    with i18n.speaking(cafe.language) as lang:
        response = render(
            request,
            "cafe/projector.html",
            {
                "cafe": cafe,
                "s": state,
                "join_url": url,
                "qr_svg": qr_svg(url, title=_("QR code to join")),
                "harvest": harvest_if_shown(session=session, cafe_id=cafe.id),
                "you_said": you_said_service.for_cafe(session=session, cafe=cafe) if before else [],
            },
            block="board",
        )
    response.headers["Content-Language"] = lang
    return response


@router.get("/cafes/{cafe_id}/qr.svg")
def qr(cafe: RunCafe, settings: SettingsDep) -> Response:
    return Response(
        qr_svg(cafe_service.join_url(base_url=settings.base_url, cafe=cafe)),
        media_type="image/svg+xml",
    )


@router.get("/cafes/{cafe_id}/kit")
def room_kit(
    request: Request, cafe: RunCafe, session: SessionDep, settings: SettingsDep
) -> Response:
    """The printable room kit: a tent card for each table (its name, its questions and a QR
    code for its host) and who sits where in every round, as played or as planned."""
    kit = kit_service.room_kit(session=session, cafe=cafe, plans=plans.PLANS)
    url = cafe_service.join_url(base_url=settings.base_url, cafe=cafe)
    # Printed for the room: in the café's language (or both), not the facilitator's.
    with i18n.speaking(cafe.language) as lang:
        hosts = {
            tent.table.id: qr_svg(
                f"{url}?host={tent.table.host_token}",
                title=_("QR code to host %(table)s", table=tent.table.name),
            )
            for tent in kit.tents
        }
        response = render(
            request,
            "cafe/kit.html",
            {
                "cafe": cafe,
                "kit": kit,
                "join_url": url,
                "join_qr": qr_svg(url, title=_("QR code to join")),
                "host_qr": hosts,
            },
        )
    response.headers["Content-Language"] = lang
    return response
