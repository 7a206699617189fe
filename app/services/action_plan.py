"""Action plans: the Network theory-of-change template for a local group (report Appendix 2)
and the full theory-of-change template for a network (Appendix 1), with answers citing
evidence items (exported as Markdown and DOCX by ``app.services.export.action_plans``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.i18n import N_, _
from app.models.accounts import Facilitator
from app.models.action_plan import (
    MAX_ANSWER,
    ActionPlan,
    ActionPlanAnswer,
    ActionPlanCitation,
    ActionPlanCreate,
    ActionPlanPublic,
    ActionPlanUpdate,
    CitedEvidence,
    PlanAction,
    PlanField,
    PlanKind,
)
from app.models.cafe import ROLE_LABELS
from app.models.evidence import EVIDENCE_LABELS, KIND_LABELS
from app.models.follow_up import NetworkAction
from app.models.material import EvidenceItem, SourceStatus
from app.models.network import LocalGroup, Network
from app.services.errors import Conflict, Invalid, NotFound
from app.services.material import sources as source_service
from app.services.network.networks import get_network, paginate


@dataclass(frozen=True)
class TemplateField:
    key: str
    section: str
    question: str
    hint: str = ""


# Appendix 2: one question per row; the section is the question itself.
NETWORK_TEMPLATE: tuple[TemplateField, ...] = (
    TemplateField(
        "challenge",
        N_("The challenge"),
        N_("What is the challenge?"),
        N_("The everyday problem the group wants to work on, in the group's own words."),
    ),
    TemplateField(
        "outcome",
        N_("The outcome"),
        N_("What outcome do you want to see?"),
        N_("What will be different for people when the change has happened."),
    ),
    TemplateField(
        "activities",
        N_("Activities"),
        N_("What activities will you need to carry out?"),
    ),
    TemplateField(
        "participants",
        N_("Who takes part"),
        N_("Who will take part in these activities?"),
        N_("People who draw on care and support, carers, staff, managers, partners."),
    ),
    TemplateField(
        "resources",
        N_("Resources"),
        N_("What resources do you need to make the change?"),
        N_("Time, money, skills, places, permissions."),
    ),
    TemplateField(
        "outputs",
        N_("Outputs"),
        N_("What are the outputs: the direct, tangible results of the activities?"),
    ),
    TemplateField(
        "short_term_outcomes",
        N_("Short-term outcomes"),
        N_("What are the short-term outcomes?"),
    ),
    TemplateField(
        "medium_term_outcomes",
        N_("Medium-term outcomes"),
        N_("What are the medium-term outcomes?"),
    ),
    TemplateField(
        "assumptions",
        N_("Assumptions"),
        N_("What assumptions are you making?"),
        N_("What has to hold true for the activities to lead to the outcomes."),
    ),
)

# Appendix 1: eight columns, each with several prompts.
_CONTEXT = N_("Local and national context")
_CHANGE = N_("What we are trying to change")
_LEADING = N_("Who will lead the change")
_ACTIVITIES = N_("Main activities")
_PARTICIPATION = N_("Who will take part")
_OUTPUTS = N_("Key outputs")
_MEDIUM = N_("Benefits in the medium term")
_LONGER = N_("Longer-term goals")
PROJECT_TEMPLATE: tuple[TemplateField, ...] = (
    TemplateField("local_issues", _CONTEXT, N_("Local issues and opportunities")),
    TemplateField("previous_initiatives", _CONTEXT, N_("Earlier attempts at change")),
    TemplateField("national_issues", _CONTEXT, N_("National policy and practice issues")),
    TemplateField("context_causes", _CONTEXT, N_("What has led to these local issues?")),
    TemplateField("context_assumptions", _CONTEXT, N_("Key assumptions about the context")),
    TemplateField(
        "current_situation",
        _CHANGE,
        N_("The situation now, and how change will be measured"),
    ),
    TemplateField(
        "starting_knowledge",
        _CHANGE,
        N_("What do we already know, locally and nationally, as a starting point?"),
    ),
    TemplateField("lead_partners", _LEADING, N_("Lead organisation and partners")),
    TemplateField("coproduction", _LEADING, N_("Co-production with people and communities")),
    TemplateField("governance", _LEADING, N_("Stakeholder group and governance")),
    TemplateField("why_these_leads", _LEADING, N_("Why are these the right people to lead?")),
    TemplateField(
        "core_activities", _ACTIVITIES, N_("The core activities that will lead to the change")
    ),
    TemplateField("activity_resources", _ACTIVITIES, N_("Who will resource these activities?")),
    TemplateField(
        "activity_mechanism",
        _ACTIVITIES,
        N_("What will make these activities bring about the change?"),
    ),
    TemplateField(
        "stakeholder_groups",
        _PARTICIPATION,
        N_("Which stakeholder groups should take part in the activities?"),
    ),
    TemplateField("engagement", _PARTICIPATION, N_("What will encourage them to take part?")),
    TemplateField(
        "participant_roles", _PARTICIPATION, N_("What is their role in achieving the change?")
    ),
    TemplateField(
        "participation_assumptions", _PARTICIPATION, N_("Key assumptions about taking part")
    ),
    TemplateField(
        "initial_outputs",
        _OUTPUTS,
        N_("Initial outputs of the activities"),
        N_("For example: how many people trained, a process redesigned, engagement events held."),
    ),
    TemplateField("outputs_achievable", _OUTPUTS, N_("What makes these outputs achievable?")),
    TemplateField("medium_outcomes", _MEDIUM, N_("Outcomes expected within three years")),
    TemplateField("medium_evaluation", _MEDIUM, N_("How will these outcomes be evaluated?")),
    TemplateField(
        "medium_mechanism",
        _MEDIUM,
        N_("How will the activities lead to these outcomes, and what else must be in place?"),
    ),
    TemplateField("longer_goals", _LONGER, N_("Wider benefits expected in five years and beyond")),
    TemplateField("longer_evaluation", _LONGER, N_("How will these benefits be evaluated?")),
    TemplateField(
        "longer_mechanism",
        _LONGER,
        N_("What would lead to these wider benefits, and who would need to be engaged?"),
    ),
)

TEMPLATES: dict[str, tuple[TemplateField, ...]] = {
    PlanKind.NETWORK: NETWORK_TEMPLATE,
    PlanKind.PROJECT: PROJECT_TEMPLATE,
}
KIND_NAMES = {
    PlanKind.NETWORK: N_("Network action plan"),
    PlanKind.PROJECT: N_("Theory of change"),
}


# --- reading --------------------------------------------------------------------------------


def get_plan(*, session: Session, facilitator: Facilitator, plan_id: int) -> ActionPlan:
    """A plan in a network the facilitator leads; anyone else's is reported as missing."""
    plan = session.get(ActionPlan, plan_id)
    if plan is None:
        raise NotFound(_("No such action plan."))
    try:
        get_network(session=session, facilitator=facilitator, network_id=plan.network_id)
    except NotFound:
        raise NotFound(_("No such action plan.")) from None
    return plan


def list_plans(
    *,
    session: Session,
    network: Network,
    after: int | None = None,
    limit: int | None = None,
) -> tuple[list[ActionPlan], int | None]:
    query = select(ActionPlan).where(ActionPlan.network_id == network.id)
    return paginate(
        session=session, query=query, id_column=col(ActionPlan.id), after=after, limit=limit
    )


def plan_for_group(*, session: Session, group: LocalGroup) -> ActionPlan | None:
    return session.exec(
        select(ActionPlan).where(
            ActionPlan.group_id == group.id, ActionPlan.kind == PlanKind.NETWORK
        )
    ).first()


def project_plan(*, session: Session, network: Network) -> ActionPlan | None:
    return session.exec(
        select(ActionPlan).where(
            ActionPlan.network_id == network.id, ActionPlan.kind == PlanKind.PROJECT
        )
    ).first()


# --- writing --------------------------------------------------------------------------------


def create_plan(
    *, session: Session, network: Network, data: ActionPlanCreate, now: datetime
) -> ActionPlan:
    """Start a local group's action plan, or the network's theory of change (one of each)."""
    group: LocalGroup | None = None
    if data.kind == PlanKind.NETWORK:
        if data.group_id is None:
            raise Invalid(_("Choose the local group this action plan is for."))
        group = session.get(LocalGroup, data.group_id)
        if group is None or group.network_id != network.id:
            raise Invalid(_("That local group is not part of this network."))
        if plan_for_group(session=session, group=group) is not None:
            raise Conflict(
                _("%(group)s already has an action plan; open it to edit.", group=group.name)
            )
        default_title = _("Action plan: %(group)s", group=group.name)
    else:
        if data.group_id is not None:
            raise Invalid(_("The theory of change is for the whole network: leave out group_id."))
        if project_plan(session=session, network=network) is not None:
            raise Conflict(_("This network already has a theory of change; open it to edit."))
        default_title = _("Theory of change: %(network)s", network=network.title)
    plan = ActionPlan(
        network_id=network.id,
        group_id=group.id if group else None,
        kind=data.kind,
        title=(data.title.strip() or default_title)[:200],
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    session.commit()
    session.refresh(plan)
    return plan


def update_plan(
    *, session: Session, plan: ActionPlan, data: ActionPlanUpdate, now: datetime
) -> ActionPlan:
    """Save answers and the evidence each one cites; fields not given are left as they are."""
    keys = {f.key for f in TEMPLATES[plan.kind]}
    unknown = sorted(set(data.answers) - keys)
    if unknown:
        raise Invalid(
            _(
                "This template has no question called %(names)s. Its questions are: %(keys)s.",
                names=", ".join(unknown),
                keys=", ".join(f.key for f in TEMPLATES[plan.kind]),
            )
        )
    if data.title is not None:
        title = data.title.strip()
        if not title:
            raise Invalid(_("Give the plan a title."))
        plan.title = title
    answers = {
        a.field: a
        for a in session.exec(select(ActionPlanAnswer).where(ActionPlanAnswer.plan_id == plan.id))
    }
    for key, update in data.answers.items():
        if update.body is not None:
            body = update.body.strip()
            if len(body) > MAX_ANSWER:
                raise Invalid(
                    _("Keep each answer to %(most)s characters or fewer.", most=MAX_ANSWER)
                )
            answer = answers.get(key) or ActionPlanAnswer(plan_id=plan.id, field=key)
            answer.body = body
            session.add(answer)
        if update.evidence_item_ids is not None:
            _set_citations(session, plan, key, update.evidence_item_ids)
    plan.updated_at = now
    session.add(plan)
    session.commit()
    session.refresh(plan)
    return plan


def _set_citations(session: Session, plan: ActionPlan, key: str, item_ids: list[int]) -> None:
    wanted = list(dict.fromkeys(item_ids))
    if wanted:
        found = {
            item.id: item
            for item in session.exec(select(EvidenceItem).where(col(EvidenceItem.id).in_(wanted)))
        }
        for item_id in wanted:
            item = found.get(item_id)
            if item is None or item.network_id != plan.network_id:
                raise Invalid(
                    _(
                        "Evidence item %(id)s is not part of this network's materials.",
                        id=item_id,
                    )
                )
    current = list(
        session.exec(
            select(ActionPlanCitation).where(
                ActionPlanCitation.plan_id == plan.id, ActionPlanCitation.field == key
            )
        )
    )
    keep = set(wanted)
    for citation in current:
        if citation.evidence_item_id not in keep:
            session.delete(citation)
    have = {c.evidence_item_id for c in current}
    for item_id in wanted:
        if item_id not in have:
            session.add(ActionPlanCitation(plan_id=plan.id, field=key, evidence_item_id=item_id))
    session.flush()


def delete_plan(*, session: Session, plan: ActionPlan) -> None:
    session.delete(plan)
    session.commit()


# --- evidence to cite -----------------------------------------------------------------------


_NOT_REPEATED = {SourceStatus.WITHDRAWN, SourceStatus.HIDDEN}
_NO_ROLE = N_("role not given")
_SINCE = {
    SourceStatus.WITHDRAWN: N_("contribution since withdrawn"),
    SourceStatus.HIDDEN: N_("contribution since hidden"),
}


def source_now(*, item: EvidenceItem, live: str) -> str:
    """A plan is a living document, so it follows the contribution as it is now (a
    published material keeps its frozen mark). A café deleted since leaves the mark as it
    was when the item was last in step."""
    return item.source_status if live == SourceStatus.REMOVED else live


def cited_text(*, item: EvidenceItem, status: str) -> str:
    """What a plan shows for an item: the paraphrase, else the person's words while they
    still stand (words taken back, with their consent or by a moderator, are not repeated)."""
    if item.withdrawn_at is not None:
        return ""
    if item.paraphrase:
        return item.paraphrase
    return "" if status in _NOT_REPEATED else item.original_text


def cited_all(*, session: Session, items: list[EvidenceItem]) -> list[CitedEvidence]:
    live = source_service.live_sources(session=session, items=items)
    return [cited(item=item, status=source_now(item=item, live=live[item.id])) for item in items]


def cited(*, item: EvidenceItem, status: str) -> CitedEvidence:
    return CitedEvidence(
        evidence_item_id=item.id,
        text=cited_text(item=item, status=status),
        original_text=item.original_text,
        group_name=item.group_name,
        meeting_number=item.meeting_number,
        cafe_title=item.cafe_title,
        author_role=item.author_role,
        evidence_type=item.evidence_type,
        kind=item.kind,
        source_status=status,
    )


def evidence_choices(*, session: Session, network: Network) -> list[EvidenceItem]:
    """The network's evidence items, one per merged piece (the newest copy of each)."""
    items = session.exec(
        select(EvidenceItem)
        .where(EvidenceItem.network_id == network.id)
        .order_by(col(EvidenceItem.id).desc())
    )
    newest: dict[str, EvidenceItem] = {}
    for item in items:
        newest.setdefault(item.item_key, item)
    return sorted(newest.values(), key=lambda i: i.id)


def provenance(item: CitedEvidence) -> str:
    """One line naming where a cited piece came from."""
    meeting = _("meeting %(number)s", number=item.meeting_number) if item.meeting_number else ""
    parts = [item.group_name or "", meeting]
    parts.append(_(ROLE_LABELS.get(item.author_role or "", _NO_ROLE)))
    parts.append(_(EVIDENCE_LABELS.get(item.evidence_type, item.evidence_type)))
    parts.append(_(KIND_LABELS.get(item.kind, item.kind)))
    if item.source_status in _NOT_REPEATED:
        parts.append(_(_SINCE[SourceStatus(item.source_status)]))
    return ", ".join(p for p in parts if p)


# --- the plan as a whole ------------------------------------------------------------------


def plan_view(*, session: Session, plan: ActionPlan) -> ActionPlanPublic:
    """The plan with every question of its template, its answers and cited evidence."""
    network = session.get(Network, plan.network_id)
    assert network is not None
    group = session.get(LocalGroup, plan.group_id) if plan.group_id else None
    answers = {
        a.field: a.body
        for a in session.exec(select(ActionPlanAnswer).where(ActionPlanAnswer.plan_id == plan.id))
    }
    citations: dict[str, list[CitedEvidence]] = defaultdict(list)
    rows = list(
        session.exec(
            select(ActionPlanCitation.field, EvidenceItem)
            .join(EvidenceItem, col(EvidenceItem.id) == ActionPlanCitation.evidence_item_id)
            .where(ActionPlanCitation.plan_id == plan.id)
            .order_by(col(ActionPlanCitation.id))
        )
    )
    cited_items = cited_all(session=session, items=[item for _row, item in rows])
    for (key, _item), one in zip(rows, cited_items, strict=True):
        citations[key].append(one)
    tracked = session.exec(
        select(NetworkAction)
        .where(NetworkAction.plan_id == plan.id)
        .order_by(col(NetworkAction.id))
    )
    return ActionPlanPublic(
        actions=[
            PlanAction(action_id=a.id, title=a.title, status=a.status, due_on=a.due_on)
            for a in tracked
        ],
        id=plan.id,
        network_id=plan.network_id,
        group_id=plan.group_id,
        kind=plan.kind,
        title=plan.title,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        group_name=group.name if group else None,
        network_title=network.title,
        fields=[
            PlanField(
                key=f.key,
                # The template's words in the reader's language (answers stay as written).
                section=_(f.section),
                question=_(f.question),
                hint=_(f.hint) if f.hint else "",
                answer=answers.get(f.key, ""),
                citations=citations.get(f.key, []),
            )
            for f in TEMPLATES[plan.kind]
        ],
    )


def sections(view: ActionPlanPublic) -> list[tuple[str, list[PlanField]]]:
    """Fields grouped under their template section, in template order."""
    grouped: list[tuple[str, list[PlanField]]] = []
    for f in view.fields:
        if grouped and grouped[-1][0] == f.section:
            grouped[-1][1].append(f)
        else:
            grouped.append((f.section, [f]))
    return grouped


def subtitle(view: ActionPlanPublic) -> str:
    parts = [_(KIND_NAMES[PlanKind(view.kind)]), view.network_title]
    if view.group_name:
        parts.append(_("local group %(group)s", group=view.group_name))
    return " · ".join(parts)
