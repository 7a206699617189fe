"""JSON API for moderation: hide, restore, approve a contribution."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import (
    APIRouter,
    Body,
    Request,
)
from sqlmodel import Session

from app.deps.cafe import ERRORS, WriteCafe
from app.deps.common import NowDep, SessionDep
from app.live.announce import AnnounceDep, Announcer
from app.live.board import announce_board, moderate
from app.models.cafe import Cafe
from app.models.evidence import (
    ModerationPublic,
    ModerationRequest,
)

router = APIRouter(prefix="/api/v1/cafes", tags=["contributions"])


def _api_moderate(
    request: Request,
    action: str,
    cafe: Cafe,
    contribution_id: int,
    body: ModerationRequest | None,
    session: Session,
    now: datetime,
    announce: Announcer,
) -> ModerationPublic:
    contribution, events = moderate(
        action,
        session=session,
        cafe=cafe,
        contribution_id=contribution_id,
        note=body.note if body else "",
        now=now,
    )
    announce_board(request, announce, contribution, *events)
    return ModerationPublic.model_validate(contribution, from_attributes=True)


ModerationBody = Annotated[ModerationRequest | None, Body()]


@router.post("/{cafe_id}/contributions/{contribution_id}/hide", responses=ERRORS)
def api_hide(
    request: Request,
    cafe: WriteCafe,
    contribution_id: int,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    body: ModerationBody = None,
) -> ModerationPublic:
    """Hide a contribution: it leaves every phone at once and stays on record."""
    return _api_moderate(request, "hide", cafe, contribution_id, body, session, now, announce)


@router.post("/{cafe_id}/contributions/{contribution_id}/restore", responses=ERRORS)
def api_restore(
    request: Request,
    cafe: WriteCafe,
    contribution_id: int,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    body: ModerationBody = None,
) -> ModerationPublic:
    """Put a hidden contribution back on its board (a safeguarding flag counts as dealt with)."""
    return _api_moderate(request, "restore", cafe, contribution_id, body, session, now, announce)


@router.post("/{cafe_id}/contributions/{contribution_id}/approve", responses=ERRORS)
def api_approve(
    request: Request,
    cafe: WriteCafe,
    contribution_id: int,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
) -> ModerationPublic:
    """Approve a contribution that waits for pre-moderation, so it shows on its board."""
    return _api_moderate(request, "approve", cafe, contribution_id, None, session, now, announce)
