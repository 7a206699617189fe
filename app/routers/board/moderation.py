"""Moderation from the facilitator's console."""

from __future__ import annotations

from typing import Annotated

from fastapi import (
    APIRouter,
    Form,
    Request,
    Response,
)
from fastapi.responses import RedirectResponse

from app.db import Database
from app.deps.cafe import RunCafe
from app.deps.common import CsrfDep, FacilitatorDep, NowDep, RowId, SessionDep
from app.kit.rendering import render
from app.live.announce import AnnounceDep
from app.live.board import announce_board, moderate
from app.live.writer import attempt
from app.models.cafe import Cafe
from app.security import request_is_htmx
from app.services import audit
from app.services.board import moderation
from app.services.errors import DomainError

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


@router.post("/cafes/{cafe_id}/moderate/{contribution_id}/{action}")
def moderate_from_console(
    request: Request,
    cafe: RunCafe,
    facilitator: FacilitatorDep,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    contribution_id: RowId,
    action: str,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Hide, restore, approve or flag a contribution, or mark a safeguarding alert dealt with."""
    cafe_id = cafe.id
    result = attempt(
        request,
        session,
        lambda: moderate(
            action,
            session=session,
            cafe=cafe,
            contribution_id=contribution_id,
            note=note,
            now=now,
            actor=audit.facilitator(facilitator),
        ),
    )
    error = None
    status_code = 200
    if isinstance(result, DomainError):
        if not request_is_htmx(request):
            raise result
        error, status_code = result.detail, result.status_code
    else:
        contribution, events = result
        announce_board(request, announce, contribution, *events)
    if not request_is_htmx(request):
        return RedirectResponse(f"/cafes/{cafe_id}/console#moderation", status_code=303)
    db: Database = request.app.state.db
    with db.read_session() as read:  # the write lock is not needed to draw the answer
        fresh = read.get(Cafe, cafe_id)
        assert fresh is not None
        return render(
            request,
            "cafe/console.html",
            {
                "cafe": fresh,
                "m": moderation.moderation_view(session=read, cafe=fresh),
                "moderation_error": error,
            },
            block="moderation",
            status_code=status_code,
        )
