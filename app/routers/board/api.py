"""JSON API for moderation: hide, restore, approve a contribution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import (
    APIRouter,
    Body,
    Depends,
    Request,
)
from sqlmodel import Session

from app.deps.cafe import ERRORS, WriteRunCafe
from app.deps.common import ApiWriter, NowDep, RowId, SessionDep
from app.live.announce import AnnounceDep, Announcer
from app.live.board import announce_board, moderate
from app.models.cafe import Cafe
from app.models.evidence import (
    ModerationPublic,
    ModerationRequest,
)
from app.services import audit
from app.services.audit import Actor

router = APIRouter(prefix="/api/v1/cafes", tags=["contributions"])


@dataclass(frozen=True, slots=True)
class Moderator:
    """What a moderation call holds besides the café: the request, its session, the clock
    and the announcer."""

    request: Request
    session: Session
    now: datetime
    announce: Announcer
    actor: Actor

    def act(
        self, action: str, cafe: Cafe, contribution_id: RowId, body: ModerationRequest | None
    ) -> ModerationPublic:
        """Do it, tell the table and the console, and show the card as it now is."""
        contribution, events = moderate(
            action,
            session=self.session,
            cafe=cafe,
            contribution_id=contribution_id,
            note=body.note if body else "",
            now=self.now,
            actor=self.actor,
        )
        announce_board(self.request, self.announce, contribution, *events)
        return ModerationPublic.model_validate(contribution, from_attributes=True)


def _moderator(
    request: Request, session: SessionDep, now: NowDep, announce: AnnounceDep, who: ApiWriter
) -> Moderator:
    return Moderator(
        request=request, session=session, now=now, announce=announce, actor=audit.facilitator(who)
    )


ModeratorDep = Annotated[Moderator, Depends(_moderator)]
ModerationBody = Annotated[ModerationRequest | None, Body()]


@router.post("/{cafe_id}/contributions/{contribution_id}/hide", responses=ERRORS)
def api_hide(
    cafe: WriteRunCafe, contribution_id: RowId, moderator: ModeratorDep, body: ModerationBody = None
) -> ModerationPublic:
    """Hide a contribution: it leaves every phone at once and stays on record."""
    return moderator.act("hide", cafe, contribution_id, body)


@router.post("/{cafe_id}/contributions/{contribution_id}/restore", responses=ERRORS)
def api_restore(
    cafe: WriteRunCafe, contribution_id: RowId, moderator: ModeratorDep, body: ModerationBody = None
) -> ModerationPublic:
    """Put a hidden contribution back on its board (a safeguarding flag counts as dealt with)."""
    return moderator.act("restore", cafe, contribution_id, body)


@router.post("/{cafe_id}/contributions/{contribution_id}/approve", responses=ERRORS)
def api_approve(
    cafe: WriteRunCafe, contribution_id: RowId, moderator: ModeratorDep
) -> ModerationPublic:
    """Approve a contribution that waits for pre-moderation, so it shows on its board."""
    return moderator.act("approve", cafe, contribution_id, None)
