"""The owner's pages to erase a café or one person in it: a confirmation that says in plain
words what will go, then the erasure (as the API's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from app.deps.cafe import OwnedCafe
from app.deps.common import CsrfDep, FacilitatorDep, NowDep, SessionDep, SettingsDep
from app.kit.forms import see_other, ticked
from app.kit.rendering import render
from app.live.announce import AnnounceDep
from app.live.hub import CafeEvent
from app.models.cafe import Cafe, Participant
from app.services.errors import NotFound
from app.services.privacy import erasure

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
        by=erasure.by_facilitator(cafe.facilitator_id),
        now=now,
    )
    announce.cafe(cafe_id, CafeEvent.CAFE_CLOSED)
    return see_other("/dashboard")


@router.get("/cafes/{cafe_id}/people/{participant_id}/erase")
def erase_person_page(
    request: Request,
    participant_id: int,
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
    participant_id: int,
    cafe: OwnedCafe,
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
        by=erasure.by_facilitator(cafe.facilitator_id),
        now=now,
    )
    announce.cafe(cafe.id, CafeEvent.SEATING_CHANGED)
    announce.cafe(cafe.id, CafeEvent.BOARD_CHANGED)
    return see_other(f"/cafes/{cafe.id}/console")
