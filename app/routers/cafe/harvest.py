"""The projector's harvest mode, turned on and off from the console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response

from app.deps.cafe import RunCafe
from app.deps.common import CsrfDep, SessionDep
from app.kit.forms import see_other
from app.live.announce import AnnounceDep
from app.live.hub import CafeEvent
from app.services.evidence.projector import set_projector_harvest

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


@router.post("/cafes/{cafe_id}/projector/harvest")
def projector_harvest_mode(
    cafe: RunCafe,
    session: SessionDep,
    announce: AnnounceDep,
    on: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Show the harvest on the projector (on=true) or the round again (on=false)."""
    set_projector_harvest(session=session, cafe=cafe, on=on == "true")
    announce.staff(cafe.id, CafeEvent.HARVEST_CHANGED)
    return see_other(f"/cafes/{cafe.id}/console#projector-mode")
