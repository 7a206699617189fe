"""JSON API for action plans: a group's plan on the Network template or the project's plan, answers
citing evidence, exports."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.deps.common import ExportLang, NowDep, SessionDep
from app.deps.network import (
    ERRORS,
    After,
    Limit,
    ReadNetwork,
    ReadPlan,
    WriteNetwork,
    WritePlan,
    page_of,
    plan_file,
)
from app.kit.downloads import DOCX_MEDIA
from app.models.action_plan import (
    ActionPlan,
    ActionPlanCreate,
    ActionPlanPublic,
    ActionPlanSummary,
    ActionPlanUpdate,
)
from app.models.network import Page
from app.services import action_plan as plan_service

router = APIRouter(prefix="/api/v1/networks", tags=["networks"])


def _summaries(plans: list[ActionPlan]) -> list[ActionPlanSummary]:
    return [ActionPlanSummary.model_validate(p, from_attributes=True) for p in plans]


@router.get("/{network_id:int}/action-plans", responses=ERRORS)
def list_plans(
    network: ReadNetwork, session: SessionDep, after: After = None, limit: Limit = 50
) -> Page[ActionPlanSummary]:
    """List a network's action plans and its theory of change."""
    found = plan_service.list_plans(session=session, network=network, after=after, limit=limit)
    return page_of(found, _summaries)


@router.post("/{network_id:int}/action-plans", status_code=201, responses=ERRORS)
def create_plan(
    body: ActionPlanCreate, network: WriteNetwork, session: SessionDep, now: NowDep
) -> ActionPlanPublic:
    """Start a local group's action plan (kind `network`) or the theory of change (`project`)."""
    plan = plan_service.create_plan(session=session, network=network, data=body, now=now)
    return plan_service.plan_view(session=session, plan=plan)


@router.get("/action-plans/{plan_id:int}", responses=ERRORS)
def read_plan(plan: ReadPlan, session: SessionDep) -> ActionPlanPublic:
    """Read a plan: every question of its template, the answers and the evidence cited."""
    return plan_service.plan_view(session=session, plan=plan)


@router.patch("/action-plans/{plan_id:int}", responses=ERRORS)
def update_plan(
    body: ActionPlanUpdate, plan: WritePlan, session: SessionDep, now: NowDep
) -> ActionPlanPublic:
    """Save answers by field key, each optionally with the evidence item ids it cites."""
    plan_service.update_plan(session=session, plan=plan, data=body, now=now)
    return plan_service.plan_view(session=session, plan=plan)


@router.delete("/action-plans/{plan_id:int}", status_code=204, responses=ERRORS)
def delete_plan(plan: WritePlan, session: SessionDep) -> Response:
    """Delete a plan."""
    plan_service.delete_plan(session=session, plan=plan)
    return Response(status_code=204)


@router.get(
    "/action-plans/{plan_id:int}/export",
    responses={
        **ERRORS,
        200: {"content": {"application/json": {}, "text/markdown": {}, DOCX_MEDIA: {}}},
    },
)
def export_plan(
    plan: ReadPlan,
    session: SessionDep,
    lang: ExportLang,
    format: Annotated[Literal["json", "md", "docx"], Query()] = "json",
) -> Response:
    """Export a plan as JSON, Markdown or DOCX."""
    if format == "json":
        view = plan_service.plan_view(session=session, plan=plan)
        return Response(view.model_dump_json(), media_type="application/json")
    return plan_file(session=session, plan=plan, fmt=format, lang=lang)
