"""The owner's pages to erase a café or one person in it: a confirmation that says in plain
words what will go, then the erasure (as the API's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from sqlmodel import Session

from app.config import Settings
from app.deps.cafe import OwnedCafe
from app.deps.common import (
    CsrfDep,
    DatabaseDep,
    FacilitatorDep,
    NowDep,
    RowId,
    SessionDep,
    SettingsDep,
)
from app.deps.network import OwnedMember, OwnedNetwork
from app.kit.forms import see_other, ticked
from app.kit.rendering import render
from app.live.announce import AnnounceDep
from app.live.hub import CafeEvent
from app.models.accounts import Facilitator
from app.models.audit import ACTION_WORDS
from app.models.cafe import Cafe, Participant
from app.models.network import Network
from app.services import audit
from app.services.errors import Invalid, NotFound
from app.services.privacy import access, erasure, retention

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


def _person(session: SessionDep, cafe: Cafe, participant_id: int) -> Participant:
    person = session.get(Participant, participant_id)
    if person is None or person.cafe_id != cafe.id:
        raise NotFound("No such person in this café.")
    return person


@router.get("/cafes/{cafe_id}/erase")
def erase_cafe_page(
    request: Request, cafe: OwnedCafe, session: SessionDep, facilitator: FacilitatorDep
) -> Response:
    """What erasing the café removes, and the button to do it."""
    found = erasure.preview_cafe(session=session, cafe=cafe)
    return render(
        request,
        "privacy/erase_cafe.html",
        {"cafe": cafe, "erases": found, "facilitator": facilitator},
    )


@router.post("/cafes/{cafe_id}/erase")
def erase_cafe(
    cafe: OwnedCafe,
    facilitator: FacilitatorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    ticked(confirm, what="the café should be erased")
    cafe_id = cafe.id
    erasure.erase_cafe(
        session=session,
        media_dir=settings.media_dir,
        cafe=cafe,
        actor=audit.facilitator(facilitator),
        now=now,
    )
    announce.cafe(cafe_id, CafeEvent.CAFE_CLOSED)
    return see_other("/dashboard")


@router.get("/cafes/{cafe_id}/people/{participant_id}/erase")
def erase_person_page(
    request: Request,
    participant_id: RowId,
    cafe: OwnedCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
) -> Response:
    """What erasing one person removes, and the button to do it."""
    person = _person(session, cafe, participant_id)
    found = erasure.preview_participant(session=session, person=person)
    return render(
        request,
        "privacy/erase_person.html",
        {"cafe": cafe, "person": person, "erases": found, "facilitator": facilitator},
    )


@router.post("/cafes/{cafe_id}/people/{participant_id}/erase")
def erase_person(
    participant_id: RowId,
    cafe: OwnedCafe,
    facilitator: FacilitatorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    ticked(confirm, what="the person should be erased")
    person = _person(session, cafe, participant_id)
    erasure.erase_participant(
        session=session,
        media_dir=settings.media_dir,
        cafe=cafe,
        person=person,
        actor=audit.facilitator(facilitator),
        now=now,
    )
    announce.cafe(cafe.id, CafeEvent.SEATING_CHANGED)
    announce.cafe(cafe.id, CafeEvent.BOARD_CHANGED)
    return see_other(f"/cafes/{cafe.id}/console")


# --- keep-for periods ----------------------------------------------------------------------


def _keep_for_page(
    request: Request,
    *,
    row: Cafe | Network,
    session: Session,
    settings: Settings,
    facilitator: Facilitator,
    value: str | None = None,
    error: str | None = None,
) -> Response:
    is_cafe = isinstance(row, Cafe)
    if isinstance(row, Cafe):
        erase_on = retention.cafe_erase_on(cafe=row, default_days=settings.keep_days)
    else:
        erase_on = retention.network_erase_on(
            session=session, network=row, default_days=settings.keep_days
        )
    here = f"/cafes/{row.id}" if is_cafe else f"/networks/{row.id}"
    context = {
        "facilitator": facilitator,
        "title": row.title,
        "what": "café" if is_cafe else "network",
        "counted_from": (
            "after the café closes (or was created, if it has not closed)"
            if is_cafe
            else "after the network's last meeting (or its creation, if it has none)"
        ),
        "action": f"{here}/privacy",
        "back": f"{here}/settings" if is_cafe else here,
        "erase": f"{here}/erase" if is_cafe else f"{here}#erase",
        "erase_on": retention.day(erase_on),
        "value": value if value is not None else (row.keep_days or ""),
        "default_days": settings.keep_days,
        "error": error,
    }
    return render(request, "privacy/keep_for.html", context, status_code=422 if error else 200)


def _days(text: str, default_days: int) -> int | None:
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and retention.MIN_KEEP_DAYS <= int(text) <= retention.MAX_KEEP_DAYS:
        return int(text)
    raise Invalid(
        f"Type a number of days from {retention.MIN_KEEP_DAYS} to {retention.MAX_KEEP_DAYS}, "
        f"or leave it empty for the default ({default_days} days)."
    )


def _save_keep_for(
    request: Request,
    *,
    row: Cafe | Network,
    session: Session,
    settings: Settings,
    facilitator: Facilitator,
    keep_days: str,
) -> Response:
    """Save the typed period, or show the page again with what was typed and why not."""
    try:
        days = _days(keep_days, settings.keep_days)
    except Invalid as exc:
        return _keep_for_page(
            request,
            row=row,
            session=session,
            settings=settings,
            facilitator=facilitator,
            value=keep_days,
            error=exc.detail,
        )
    retention.set_keep_days(
        session=session, row=row, days=days, actor=audit.facilitator(facilitator)
    )
    here = f"/cafes/{row.id}" if isinstance(row, Cafe) else f"/networks/{row.id}"
    return see_other(f"{here}/privacy")


KeepDays = Annotated[str, Form(max_length=20)]


@router.get("/cafes/{cafe_id}/privacy")
def cafe_privacy(
    request: Request,
    cafe: OwnedCafe,
    session: SessionDep,
    settings: SettingsDep,
    facilitator: FacilitatorDep,
) -> Response:
    """How long the café keeps personal data, editable; and the way to erase it now."""
    return _keep_for_page(
        request, row=cafe, session=session, settings=settings, facilitator=facilitator
    )


@router.post("/cafes/{cafe_id}/privacy")
def save_cafe_privacy(
    request: Request,
    cafe: OwnedCafe,
    session: SessionDep,
    settings: SettingsDep,
    facilitator: FacilitatorDep,
    keep_days: KeepDays = "",
) -> Response:
    return _save_keep_for(
        request,
        row=cafe,
        session=session,
        settings=settings,
        facilitator=facilitator,
        keep_days=keep_days,
    )


@router.get("/networks/{network_id:int}/privacy")
def network_privacy(
    request: Request,
    network: OwnedNetwork,
    session: SessionDep,
    settings: SettingsDep,
    facilitator: FacilitatorDep,
) -> Response:
    """How long the network keeps personal data, editable."""
    return _keep_for_page(
        request, row=network, session=session, settings=settings, facilitator=facilitator
    )


@router.post("/networks/{network_id:int}/privacy")
def save_network_privacy(
    request: Request,
    network: OwnedNetwork,
    session: SessionDep,
    settings: SettingsDep,
    facilitator: FacilitatorDep,
    keep_days: KeepDays = "",
) -> Response:
    return _save_keep_for(
        request,
        row=network,
        session=session,
        settings=settings,
        facilitator=facilitator,
        keep_days=keep_days,
    )


# --- subject access --------------------------------------------------------------------------


@router.get("/cafes/{cafe_id}/people/{participant_id}/data")
def person_data_page(
    request: Request,
    participant_id: RowId,
    cafe: OwnedCafe,
    db: DatabaseDep,
    session: SessionDep,
    settings: SettingsDep,
    facilitator: FacilitatorDep,
) -> Response:
    """Everything held about one person of the café, to read or print for them."""
    person = _person(session, cafe, participant_id)
    access.audit_participant_read(
        db=db, actor=audit.facilitator(facilitator), cafe=cafe, person=person
    )
    data = access.participant_data(
        session=session, cafe=cafe, person=person, default_days=settings.keep_days
    )
    context = {
        "facilitator": facilitator,
        "people": [data],
        "member": None,
        "day": retention.day,
        "json_url": f"/api/v1/cafes/{cafe.id}/participants/{person.id}/data",
        "back": f"/cafes/{cafe.id}/console",
    }
    return render(request, "privacy/data.html", context)


@router.get("/networks/members/{member_id:int}/data")
def member_data_page(
    request: Request,
    member: OwnedMember,
    db: DatabaseDep,
    session: SessionDep,
    settings: SettingsDep,
    facilitator: FacilitatorDep,
) -> Response:
    """Everything held about one member, to read or print for them."""
    access.audit_member_read(
        db=db, session=session, actor=audit.facilitator(facilitator), member=member
    )
    data = access.member_data(session=session, member=member, default_days=settings.keep_days)
    context = {
        "facilitator": facilitator,
        "people": data.cafes,
        "member": data,
        "action_words": ACTION_WORDS,
        "day": retention.day,
        "json_url": f"/api/v1/networks/members/{member.id}/data",
        "back": f"/networks/members/{member.id}",
    }
    return render(request, "privacy/data.html", context)
