"""The lead's pages for action plans: create a group's or the project's plan, fill it in citing
evidence, export it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response

from app.deps.common import CsrfDep, ExportLang, NowDep, SessionDep
from app.deps.network import (
    Lead,
    LeadDep,
    OwnedGroup,
    OwnedNetwork,
    OwnedPlan,
    plan_file,
)
from app.i18n import _
from app.kit.forms import FormDep, build, refusal, see_other
from app.models.action_plan import ActionPlan, ActionPlanCreate, ActionPlanUpdate, PlanKind
from app.models.evidence import EVIDENCE_LABELS, KIND_LABELS
from app.models.network import Network
from app.services import action_plan as plan_service
from app.services.errors import DomainError, Invalid
from app.services.network import networks as network_service

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])


@router.post("/{network_id:int}/plan")
def create_project_plan(session: SessionDep, network: OwnedNetwork, now: NowDep) -> Response:
    """Start the network's full theory of change."""
    plan = plan_service.create_plan(
        session=session, network=network, data=ActionPlanCreate(kind=PlanKind.PROJECT), now=now
    )
    return see_other(f"/networks/plans/{plan.id}")


@router.post("/groups/{group_id:int}/plan")
def create_group_plan(session: SessionDep, group: OwnedGroup, now: NowDep) -> Response:
    """Start the group's action plan (the Network theory-of-change template)."""
    network = network_service.network_of(session=session, group=group)
    plan = plan_service.create_plan(
        session=session,
        network=network,
        data=ActionPlanCreate(kind=PlanKind.NETWORK, group_id=group.id),
        now=now,
    )
    return see_other(f"/networks/plans/{plan.id}")


def _plan_page(lead: Lead, plan: ActionPlan, *, saved: bool = False, **shown: Any) -> Response:
    session = lead.session
    view = plan_service.plan_view(session=session, plan=plan)
    network = session.get_one(Network, plan.network_id)
    evidence = plan_service.evidence_choices(session=session, network=network)
    context = {
        "network": network,
        "plan": plan,
        "view": view,
        "sections": plan_service.sections(view),
        "kind_name": plan_service.KIND_NAMES[PlanKind(plan.kind)],
        "evidence": plan_service.cited_all(session=session, items=evidence),
        "provenance": plan_service.provenance,
        "evidence_labels": EVIDENCE_LABELS,
        "kind_labels": KIND_LABELS,
        "saved": saved,
    }
    return lead.page("action_plan/plan.html", context, **shown)


@router.get("/plans/{plan_id:int}")
def plan_page(lead: LeadDep, plan: OwnedPlan, saved: bool = False) -> Response:
    """Fill in an action plan or theory of change, citing the network's evidence."""
    return _plan_page(lead, plan, saved=saved)


@router.post("/plans/{plan_id:int}")
def save_plan(lead: LeadDep, plan: OwnedPlan, now: NowDep, form: FormDep) -> Response:
    """Save every answer and the evidence each one cites."""
    answers: dict[str, dict[str, Any]] = {}
    for f in plan_service.TEMPLATES[plan.kind]:
        cites: list[int] = []
        for raw in form.getlist(f"cite_{f.key}"):
            if isinstance(raw, str) and raw.isdigit():
                cites.append(int(raw))
        answers[f.key] = {
            "body": str(form.get(f"answer_{f.key}", "")),
            "evidence_item_ids": cites,
        }
    title = str(form.get("title", plan.title))
    try:
        data = build(ActionPlanUpdate, title=title.strip(), answers=answers)
        plan_service.update_plan(session=lead.session, plan=plan, data=data, now=now)
    except DomainError as exc:
        values = {f"answer_{k}": str(v["body"]) for k, v in answers.items()}
        values["title"] = title
        # The plan's form answers every refusal as a form error.
        shown = refusal(lead.session, exc, plan, status_code=422)
        return _plan_page(lead, plan, values=values, **shown)
    return see_other(f"/networks/plans/{plan.id}?saved=true")


@router.post("/plans/{plan_id:int}/delete")
def delete_plan(
    session: SessionDep, plan: OwnedPlan, confirm: Annotated[bool, Form()] = False
) -> Response:
    """Delete a plan after the lead ticks the confirmation."""
    if not confirm:
        raise Invalid(_("Tick the box to confirm that the plan should be deleted."))
    back = f"/networks/groups/{plan.group_id}" if plan.group_id else f"/networks/{plan.network_id}"
    plan_service.delete_plan(session=session, plan=plan)
    return see_other(back)


@router.get("/plans/{plan_id:int}/export.md")
def plan_markdown(session: SessionDep, plan: OwnedPlan, lang: ExportLang) -> Response:
    """The plan as Markdown."""
    return plan_file(session=session, plan=plan, fmt="md", lang=lang)


@router.get("/plans/{plan_id:int}/export.docx")
def plan_docx(session: SessionDep, plan: OwnedPlan, lang: ExportLang) -> Response:
    """The plan as a Word document."""
    return plan_file(session=session, plan=plan, fmt="docx", lang=lang)
