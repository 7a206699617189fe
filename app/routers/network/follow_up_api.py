"""JSON API for what carries over between a group's meetings: its actions (owner, due date,
status, history) and members' feedback after each meeting (results, without names)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.deps.common import ApiReader, DatabaseDep, NowDep, SessionDep
from app.deps.follow_up import ReadAction, WriteAction
from app.deps.network import ERRORS, Cursor, Limit, ReadNetwork, WriteNetwork, page_of
from app.models.audit import AuditAction, SubjectKind
from app.models.base import ID_MAX
from app.models.follow_up import (
    ActionCreate,
    ActionPublic,
    ActionStatus,
    ActionUpdate,
    FeedbackReport,
)
from app.models.network import ChangePage
from app.services import audit
from app.services.network import actions as action_service
from app.services.network import feedback as feedback_service
from app.services.network import sync

router = APIRouter(prefix="/api/v1/networks", tags=["networks"])


@router.get("/{network_id:int}/actions", responses=ERRORS)
def list_actions(
    network: ReadNetwork,
    session: SessionDep,
    after: Cursor = None,
    limit: Limit = 50,
    group_id: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Only this local group's.")
    ] = None,
    status: Annotated[ActionStatus | None, Query(description="Only actions in this state.")] = None,
    owner: Annotated[
        str | None,
        Query(
            pattern=r"^(lead|[1-9][0-9]{0,9})$",
            description="Only actions owned by this member (their id), or by `lead`.",
        ),
    ] = None,
    due_from: Annotated[date | None, Query(description="Only actions due on or after.")] = None,
    due_before: Annotated[date | None, Query(description="Only actions due before.")] = None,
) -> ChangePage[ActionPublic]:
    """List the network's actions, with owner, due date, status and history, in the order
    they changed (a change of status, owner or due date, a new step in the history)."""
    found = sync.actions(
        session=session,
        network=network,
        group_id=group_id,
        status=status.value if status else None,
        owner=owner,
        due_from=due_from,
        due_before=due_before,
        after=after,
        limit=limit,
    )
    return page_of(found, lambda rows: action_service.actions_public(session=session, actions=rows))


@router.post("/{network_id:int}/actions", status_code=201, responses=ERRORS)
def create_action(
    body: ActionCreate, network: WriteNetwork, session: SessionDep, now: NowDep
) -> ActionPublic:
    """Track an action for one of the network's groups (owner: a member of it, or the lead)."""
    action = action_service.create_action(session=session, network=network, data=body, now=now)
    return action_service.actions_public(session=session, actions=[action])[0]


@router.get("/actions/{action_id:int}", responses=ERRORS)
def read_action(action: ReadAction, session: SessionDep) -> ActionPublic:
    """One action, with its owner, due date, status and history, as the list gives it."""
    return action_service.actions_public(session=session, actions=[action])[0]


@router.patch("/actions/{action_id:int}", responses=ERRORS)
def update_action(
    body: ActionUpdate, action: WriteAction, session: SessionDep, now: NowDep
) -> ActionPublic:
    """Change an action's wording, owner, due date or status; each change goes in its history."""
    action_service.update_action(session=session, action=action, data=body, now=now)
    return action_service.actions_public(session=session, actions=[action])[0]


@router.get("/{network_id:int}/feedback", responses=ERRORS)
def read_feedback(
    network: ReadNetwork,
    who: ApiReader,
    session: SessionDep,
    db: DatabaseDep,
    group_id: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Only this local group's.")
    ] = None,
) -> FeedbackReport:
    """Members' feedback per meeting and per group: answers per face, averages, free text
    (no names)."""
    report, _rest = feedback_service.report(session=session, network=network, group_id=group_id)
    audit.record_read(
        db=db,
        actor=audit.facilitator(who),
        action=AuditAction.EXPORTED_FEEDBACK,
        subject=audit.Subject(SubjectKind.NETWORK, network.id),
        owner_id=network.facilitator_id,
        detail="feedback through the API",
    )
    return report
