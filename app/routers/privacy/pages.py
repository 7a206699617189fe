"""The owner's pages to erase a café or one person in it: a confirmation that says in plain
words what will go, then the erasure (as the API's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
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
from app.i18n import N_, _, ngettext
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
        raise NotFound(_("No such person in this café."))
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
    ticked(confirm, refusal=N_("Tick the box to confirm that the café should be erased."))
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
    ticked(confirm, refusal=N_("Tick the box to confirm that the person should be erased."))
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


def _days(text: str, default_days: int) -> int | None:
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and retention.MIN_KEEP_DAYS <= int(text) <= retention.MAX_KEEP_DAYS:
        return int(text)
    raise Invalid(
        ngettext(
            "Type a number of days from %(low)s to %(high)s, or leave it empty for the default "
            "(%(num)s day).",
            "Type a number of days from %(low)s to %(high)s, or leave it empty for the default "
            "(%(num)s days).",
            default_days,
            low=retention.MIN_KEEP_DAYS,
            high=retention.MAX_KEEP_DAYS,
        )
    )


@dataclass(frozen=True, slots=True)
class KeepForPage:
    """The owner on a café's or network's keep-for page: what it is shown and saved with."""

    request: Request
    session: Session
    settings: Settings
    facilitator: Facilitator

    def show(
        self, row: Cafe | Network, *, value: str | None = None, error: str | None = None
    ) -> Response:
        default_days = self.settings.keep_days
        if isinstance(row, Cafe):
            erase_on = retention.cafe_erase_on(cafe=row, default_days=default_days)
            here, what = f"/cafes/{row.id}", "café"
            back, erase = f"{here}/settings", f"{here}/erase"
        else:
            erase_on = retention.network_erase_on(
                session=self.session, network=row, default_days=default_days
            )
            here, what = f"/networks/{row.id}", "network"
            back, erase = here, f"{here}#erase"
        context = {
            "facilitator": self.facilitator,
            "title": row.title,
            "what": what,
            "action": f"{here}/privacy",
            "back": back,
            "erase": erase,
            "erase_on": retention.day(erase_on),
            "value": value if value is not None else (row.keep_days or ""),
            "default_days": default_days,
            "error": error,
        }
        status_code = 422 if error else 200
        return render(self.request, "privacy/keep_for.html", context, status_code=status_code)

    def save(self, row: Cafe | Network, keep_days: str) -> Response:
        """Save the typed period (audited), or show the page again with what was typed."""
        try:
            days = _days(keep_days, self.settings.keep_days)
        except Invalid as exc:
            return self.show(row, value=keep_days, error=exc.detail)
        retention.set_keep_days(
            session=self.session, row=row, days=days, actor=audit.facilitator(self.facilitator)
        )
        return see_other(self.request.url.path)


def keep_for_page(
    request: Request, session: SessionDep, settings: SettingsDep, facilitator: FacilitatorDep
) -> KeepForPage:
    return KeepForPage(request, session, settings, facilitator)


KeepForDep = Annotated[KeepForPage, Depends(keep_for_page)]
KeepDays = Annotated[str, Form(max_length=20)]


@router.get("/cafes/{cafe_id}/privacy")
def cafe_privacy(cafe: OwnedCafe, page: KeepForDep) -> Response:
    """How long the café keeps personal data, editable; and the way to erase it now."""
    return page.show(cafe)


@router.post("/cafes/{cafe_id}/privacy")
def save_cafe_privacy(cafe: OwnedCafe, page: KeepForDep, keep_days: KeepDays = "") -> Response:
    """Save how long the café keeps personal data."""
    return page.save(cafe, keep_days)


@router.get("/networks/{network_id:int}/privacy")
def network_privacy(network: OwnedNetwork, page: KeepForDep) -> Response:
    """How long the network keeps personal data, editable."""
    return page.show(network)


@router.post("/networks/{network_id:int}/privacy")
def save_network_privacy(
    network: OwnedNetwork, page: KeepForDep, keep_days: KeepDays = ""
) -> Response:
    """Save how long the network keeps personal data."""
    return page.save(network, keep_days)


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
        "held_words": access.HELD_WORDS,
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
        "held_words": access.HELD_WORDS,
        "json_url": f"/api/v1/networks/members/{member.id}/data",
        "back": f"/networks/members/{member.id}",
    }
    return render(request, "privacy/data.html", context)
