"""The lead's pages for what carries over between meetings: the network's actions (make one,
from the group's action plan or not; change its owner, due date or status) and the members'
feedback (the questions per meeting, results as charts with the figures beside them, the
free text, voice notes, and the exports)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Response
from sqlmodel import col, select

from app.deps.common import CsrfDep, ExportLang, NowDep, RowId
from app.deps.follow_up import OwnedAction
from app.deps.network import Lead, LeadDep, OwnedMeeting, OwnedNetwork
from app.i18n import _
from app.kit.downloads import attachment, downloaded
from app.kit.forms import build, refusal, see_other
from app.models.audit import AuditAction, SubjectKind
from app.models.base import utcnow
from app.models.follow_up import (
    FACES,
    QUESTION_WORDS,
    STATUS_LABELS,
    ActionCreate,
    ActionStatus,
    ActionUpdate,
    FeedbackQuestion,
)
from app.models.network import LocalGroup, Member, Network
from app.services import action_plan as plan_service
from app.services import audit
from app.services import media as media_service
from app.services.errors import DomainError, Invalid, NotFound
from app.services.evidence import charts
from app.services.export import evaluation
from app.services.network import actions as action_service
from app.services.network import feedback as feedback_service
from app.services.network import networks as network_service
from app.services.network.groups import list_groups

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])

FORMAT_NAMES = {f.name for f in evaluation.EVALUATION_FORMATS}


def _groups(lead: Lead, network: Network) -> list[LocalGroup]:
    groups, _rest = list_groups(session=lead.session, network=network, limit=1000)
    return groups


def _actions_page(
    lead: Lead, network: Network, *, status_code: int = 200, **shown: Any
) -> Response:
    session = lead.session
    groups = _groups(lead, network)
    members: dict[int, list[Member]] = {g.id: [] for g in groups}
    for m in session.exec(
        select(Member).where(col(Member.group_id).in_(list(members))).order_by(col(Member.id))
    ):
        members[m.group_id].append(m)
    actions, _rest = action_service.list_actions(session=session, network=network, limit=1000)
    suggestions = []
    for g in groups:
        plan = plan_service.plan_for_group(session=session, group=g)
        if plan is not None:
            for item in action_service.plan_items(session=session, plan=plan):
                suggestions.append((g, plan, item))
    context = {
        "network": network,
        "groups": groups,
        "members": members,
        "actions": action_service.actions_public(session=session, actions=actions),
        "suggestions": suggestions,
        "statuses": STATUS_LABELS,
        "owner_words": action_service.owner_words,
        "change_words": action_service.change_words,
        "today": action_service.today(utcnow()),
    }
    return lead.page("network/actions.html", context, status_code=status_code, **shown)


@router.get("/{network_id:int}/actions")
def actions_page(lead: LeadDep, network: OwnedNetwork) -> Response:
    """The network's actions by group, with forms to add and change them."""
    return _actions_page(lead, network)


def _owner_id(value: str) -> int | None:
    if value in {"", "lead"}:
        return None
    if not value.isdigit():
        raise Invalid(_("Choose the owner from the list."))
    return int(value)


def _due(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(_("Give the due date as a day, for example 2027-03-31.")) from None


@router.post("/{network_id:int}/actions")
def create_action(
    lead: LeadDep,
    network: OwnedNetwork,
    now: NowDep,
    group_id: Annotated[int, Form(ge=1)],
    title: Annotated[str, Form(max_length=1000)] = "",
    owner: Annotated[str, Form(max_length=20)] = "",
    due_on: Annotated[str, Form(max_length=20)] = "",
    plan_id: Annotated[int | None, Form(ge=1)] = None,
) -> Response:
    """Track a new action for one of the network's groups."""
    values = {"group_id": group_id, "title": title, "owner": owner, "due_on": due_on}
    try:
        data = build(
            ActionCreate,
            group_id=group_id,
            title=title.strip() or " ",
            owner_member_id=_owner_id(owner),
            due_on=_due(due_on),
            plan_id=plan_id,
        )
        action_service.create_action(session=lead.session, network=network, data=data, now=now)
    except DomainError as exc:
        shown = refusal(lead.session, exc, network)
        return _actions_page(lead, network, form="new-action", values=values, **shown)
    return see_other(f"/networks/{network.id}/actions#group-{group_id}")


@router.post("/actions/{action_id:int}")
def change_action(
    lead: LeadDep,
    action: OwnedAction,
    now: NowDep,
    title: Annotated[str, Form(max_length=1000)] = "",
    owner: Annotated[str, Form(max_length=20)] = "",
    due_on: Annotated[str, Form(max_length=20)] = "",
    status: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Change an action's wording, owner, due date or status (each change is kept)."""
    session = lead.session
    network = session.get_one(Network, action.network_id)
    values = {"title": title, "owner": owner, "due_on": due_on, "status": status}
    try:
        if status and status not in {s.value for s in ActionStatus}:
            raise Invalid(_("Choose a status from the list."))
        due = _due(due_on)
        owner_id = _owner_id(owner)
        data = build(
            ActionUpdate,
            title=title.strip() or None,
            owner_member_id=owner_id,
            owner_is_lead=owner in {"", "lead"},
            due_on=due if due != action.due_on else None,
            clear_due=due is None,
            status=status or None,
        )
        action_service.update_action(session=session, action=action, data=data, now=now)
    except DomainError as exc:
        shown = refusal(session, exc, network, action)
        return _actions_page(lead, network, form=f"action-{action.id}", values=values, **shown)
    return see_other(f"/networks/{network.id}/actions#action-{action.id}")


# --- feedback --------------------------------------------------------------------------------


def _chart(chart_id: str, title: str, counts: list[int]) -> charts.Chart:
    rows = [(f"{face} {_(words)}", n) for (_key, face, words), n in zip(FACES, counts, strict=True)]
    return charts.bar_chart(chart_id=chart_id, title=title, rows=rows, unit=_("answers"))


def _feedback_page(
    lead: Lead, network: Network, *, status_code: int = 200, **shown: Any
) -> Response:
    session = lead.session
    report, voices = feedback_service.report(session=session, network=network)
    meeting_charts = {
        m.meeting_id: [
            _chart(
                f"m{m.meeting_id}-{r.question}",
                _("%(question)s (%(meeting)s)", question=_(r.words), meeting=m.meeting_title),
                r.counts,
            )
            for r in m.results
            if r.answers
        ]
        for m in report.meetings
    }
    group_charts = {
        g.group_id: [
            _chart(
                f"g{g.group_id}-{r.question}",
                _(
                    "%(question)s (%(group)s, all meetings)",
                    question=_(r.words),
                    group=g.group_name,
                ),
                r.counts,
            )
            for r in g.results
            if r.answers
        ]
        for g in report.groups
    }
    context = {
        "network": network,
        "report": report,
        "voices": voices,
        "meeting_charts": meeting_charts,
        "group_charts": group_charts,
        "question_words": QUESTION_WORDS,
        "all_questions": list(FeedbackQuestion),
        "formats": evaluation.EVALUATION_FORMATS,
    }
    return lead.page("network/feedback.html", context, status_code=status_code, **shown)


@router.get("/{network_id:int}/feedback")
def feedback_page(lead: LeadDep, network: OwnedNetwork) -> Response:
    """Members' feedback on each meeting and each group, as charts with the figures."""
    return _feedback_page(lead, network)


@router.post("/meetings/{meeting_id:int}/feedback-questions")
def choose_questions(
    lead: LeadDep,
    meeting: OwnedMeeting,
    questions: Annotated[list[str], Form(max_length=10)] = [],  # noqa: B006
) -> Response:
    """Choose the three to five questions a meeting's feedback asks."""
    session = lead.session
    group = network_service.group_of(session=session, item=meeting)
    network = network_service.network_of(session=session, group=group)
    try:
        feedback_service.choose_questions(session=session, meeting=meeting, questions=questions)
    except DomainError as exc:
        shown = refusal(session, exc, network)
        return _feedback_page(lead, network, form=f"questions-{meeting.id}", **shown)
    return see_other(f"/networks/{network.id}/feedback#meeting-{meeting.id}")


def _audit_read(lead: Lead, network: Network, detail: str) -> None:
    audit.record_read(
        db=lead.db,
        actor=audit.facilitator(lead.who),
        action=AuditAction.EXPORTED_FEEDBACK,
        subject=audit.Subject(SubjectKind.NETWORK, network.id),
        owner_id=network.facilitator_id,
        detail=detail,
    )


@router.get("/{network_id:int}/feedback/export")
def export_feedback(
    lead: LeadDep,
    network: OwnedNetwork,
    lang: ExportLang,
    format: Annotated[str, Query(max_length=10)] = "docx",  # noqa: A002
) -> Response:
    """Members' feedback as CSV or JSON, or the evaluation summary as DOCX."""
    if format not in FORMAT_NAMES:
        raise Invalid(_("Choose CSV, JSON or DOCX."))
    file = evaluation.export_evaluation(
        session=lead.session, network=network, fmt=format, lang=lang
    )
    _audit_read(lead, network, f"feedback as {format}")  # stored as written
    return downloaded(file)


@router.get("/{network_id:int}/feedback/voice/{response_id:int}")
def feedback_voice(lead: LeadDep, network: OwnedNetwork, response_id: RowId) -> Response:
    """A member's voice note on a meeting, for the lead to play (in the audit log)."""
    response = feedback_service.get_response_voice(
        session=lead.session, network=network, response_id=response_id
    )
    relative = response.voice_path or ""
    path = media_service.safe_path(media_dir=lead.settings.media_dir, relative=relative)
    if path is None or not path.is_file():
        raise NotFound(_("This voice note is no longer here."))
    _audit_read(lead, network, f"feedback voice note {response.id}")  # stored as written
    return attachment(
        path.read_bytes(),
        media_type=response.voice_type or "application/octet-stream",
        filename=f"feedback-{response.id}{path.suffix}",
    )
