"""Actions that carry over: what a local group agreed to do (often an item of its action plan,
report Appendix 2), with an owner (a member of the group, or the lead), a due date, a status
(open, doing, done, dropped) and a short history of who changed what and when.

The group's next meeting starts with its open actions: on the café console of a café run for
a meeting of the group, and on each member's page. A member sees their group's actions (names
of owners are the group's own members, whom they meet) and may mark their own as being done
or done; nothing else."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.i18n import N_, _
from app.models.accounts import Facilitator
from app.models.action_plan import ActionPlan, ActionPlanAnswer, PlanKind
from app.models.follow_up import (
    MAX_ACTION_TITLE,
    MEMBER_STATUSES,
    STATUS_LABELS,
    ActionChange,
    ActionChangePublic,
    ActionCreate,
    ActionPublic,
    ActionStatus,
    ActionUpdate,
    NetworkAction,
)
from app.models.network import LocalGroup, Meeting, Member, Network
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.network.meetings import local_time
from app.services.network.networks import get_network, paginate

LEAD = N_("the lead")  # stored in an action's history as written here (English)
SOMEONE = N_("a member")  # a member since erased
# What changed, as an action's history stores it, and how the lead's page names it.
CHANGE_WORDS = {
    "created": N_("created"),
    "title": N_("title"),
    "owner": N_("owner"),
    "due": N_("due"),
    "status": N_("status"),
}
NO_DUE_DATE = N_("none")
OPEN_STATUSES = (ActionStatus.OPEN, ActionStatus.DOING)
# Plan answers that list things to do, one a line, offered to the lead as actions.
PLAN_FIELDS = ("activities", "outputs")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(ActionStatus(status), status))


def owner_words(action: ActionPublic) -> str:
    """Who owns an action, in the current language ("the lead", or a member's own name)."""
    return action.owner_name if action.owner_member_id else _(LEAD)


def change_words(change: ActionChangePublic) -> tuple[str, str, str, str]:
    """One line of an action's history in the current language: who, what, from and to. The
    history keeps English words and machine values; names stay as written."""
    statuses = {s.value for s in ActionStatus}

    def value(text: str) -> str:
        if change.what == "status" and text in statuses:
            return status_label(text)
        if change.what == "owner" and text == LEAD:
            return _(LEAD)
        if change.what == "due" and text == NO_DUE_DATE:
            return _(NO_DUE_DATE)
        return text

    who = _(change.by) if change.by in {LEAD, SOMEONE} else change.by
    what = _(CHANGE_WORDS.get(change.what, change.what))
    return who, what, value(change.old), value(change.new)


def today(now: datetime) -> date:
    """The day it is where the groups meet (UK time), for due dates."""
    return local_time(now).date()


# --- reading --------------------------------------------------------------------------------


def get_action(*, session: Session, facilitator: Facilitator, action_id: int) -> NetworkAction:
    """An action of a network the facilitator leads; anyone else's is reported as missing."""
    action = session.get(NetworkAction, action_id)
    if action is None:
        raise NotFound(_("No such action."))
    try:
        get_network(session=session, facilitator=facilitator, network_id=action.network_id)
    except NotFound:
        raise NotFound(_("No such action.")) from None
    return action


def list_actions(
    *,
    session: Session,
    network: Network,
    group_id: int | None = None,
    status: ActionStatus | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> tuple[list[NetworkAction], int | None]:
    query = select(NetworkAction).where(NetworkAction.network_id == network.id)
    if group_id is not None:
        query = query.where(NetworkAction.group_id == group_id)
    if status is not None:
        query = query.where(NetworkAction.status == status)
    return paginate(
        session=session, query=query, id_column=col(NetworkAction.id), after=after, limit=limit
    )


def group_actions(
    *, session: Session, group_id: int, statuses: Sequence[str] | None = None
) -> list[NetworkAction]:
    query = select(NetworkAction).where(NetworkAction.group_id == group_id)
    if statuses is not None:
        query = query.where(col(NetworkAction.status).in_(list(statuses)))
    query = query.order_by(col(NetworkAction.due_on).is_(None), col(NetworkAction.due_on))
    return list(session.exec(query.order_by(col(NetworkAction.id))))


def actions_public(*, session: Session, actions: list[NetworkAction]) -> list[ActionPublic]:
    """Actions with their group's name, the owner's name and their history."""
    ids = [a.id for a in actions]
    groups = {
        g.id: g
        for g in session.exec(
            select(LocalGroup).where(col(LocalGroup.id).in_({a.group_id for a in actions}))
        )
    }
    changes: dict[int, list[ActionChange]] = {i: [] for i in ids}
    for change in session.exec(
        select(ActionChange)
        .where(col(ActionChange.action_id).in_(ids))
        .order_by(col(ActionChange.at), col(ActionChange.id))
    ):
        changes[change.action_id].append(change)
    people = {a.owner_member_id for a in actions} | {
        c.by_member_id for cs in changes.values() for c in cs
    }
    names = {
        m.id: m.display_name
        for m in session.exec(select(Member).where(col(Member.id).in_(people - {None})))
    }
    return [
        ActionPublic(
            id=a.id,
            network_id=a.network_id,
            group_id=a.group_id,
            group_name=groups[a.group_id].name,
            plan_id=a.plan_id,
            title=a.title,
            owner_member_id=a.owner_member_id,
            owner_name=names.get(a.owner_member_id, LEAD) if a.owner_member_id else LEAD,
            due_on=a.due_on,
            status=ActionStatus(a.status),
            created_at=a.created_at,
            updated_at=a.updated_at,
            history=[
                ActionChangePublic(
                    at=c.at,
                    by=LEAD if c.by_lead else names.get(c.by_member_id or 0, SOMEONE),
                    what=c.what,
                    old=c.old,
                    new=c.new,
                )
                for c in changes[a.id]
            ],
        )
        for a in actions
    ]


def plan_items(*, session: Session, plan: ActionPlan) -> list[str]:
    """The lines of a group plan's activities and outputs, each a possible action, leaving out
    those already tracked."""
    if plan.kind != PlanKind.NETWORK:
        return []
    answers = session.exec(
        select(ActionPlanAnswer).where(
            ActionPlanAnswer.plan_id == plan.id, col(ActionPlanAnswer.field).in_(PLAN_FIELDS)
        )
    )
    tracked = {
        a.title.casefold()
        for a in session.exec(select(NetworkAction).where(NetworkAction.plan_id == plan.id))
    }
    lines: list[str] = []
    for answer in sorted(answers, key=lambda a: PLAN_FIELDS.index(a.field)):
        for line in answer.body.splitlines():
            item = _BULLET.sub("", line).strip()[:MAX_ACTION_TITLE]
            if item and item.casefold() not in tracked and item not in lines:
                lines.append(item)
    return lines


def plan_statuses(*, session: Session, plan_id: int) -> list[NetworkAction]:
    """The actions tracked from one plan, for its export."""
    return list(
        session.exec(
            select(NetworkAction)
            .where(NetworkAction.plan_id == plan_id)
            .order_by(col(NetworkAction.id))
        )
    )


# --- writing --------------------------------------------------------------------------------


def _title(value: str) -> str:
    title = " ".join(value.split())
    if not title:
        raise Invalid(_("Say what the action is."))
    if len(title) > MAX_ACTION_TITLE:
        raise Invalid(_("Keep the action to %(most)s characters or fewer.", most=MAX_ACTION_TITLE))
    return title


def _due(value: date, now: datetime) -> date:
    if value < today(now):
        raise Invalid(_("The due date is in the past. Choose today or a later day."))
    return value


def _owner(session: Session, group: LocalGroup, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.group_id != group.id:
        raise Invalid(
            _(
                "The owner must be a member of %(group)s, or the lead. "
                "Choose someone from the list.",
                group=group.name,
            )
        )
    return member


def _record(
    session: Session,
    action: NetworkAction,
    *,
    what: str,
    old: str,
    new: str,
    by_member: Member | None,
    now: datetime,
) -> None:
    session.add(
        ActionChange(
            action_id=action.id,
            by_member_id=by_member.id if by_member else None,
            by_lead=by_member is None,
            what=what,
            old=old[:MAX_ACTION_TITLE],
            new=new[:MAX_ACTION_TITLE],
            at=now,
        )
    )


def create_action(
    *, session: Session, network: Network, data: ActionCreate, now: datetime
) -> NetworkAction:
    """Track a new action for one of the network's groups (the lead makes it)."""
    group = session.get(LocalGroup, data.group_id)
    if group is None or group.network_id != network.id:
        raise Invalid(_("That local group is not part of this network."))
    title = _title(data.title)
    owner = _owner(session, group, data.owner_member_id) if data.owner_member_id else None
    due = _due(data.due_on, now) if data.due_on else None
    if data.plan_id is not None:
        plan = session.get(ActionPlan, data.plan_id)
        if plan is None or plan.group_id != group.id:
            raise Invalid(_("That action plan is not this group's."))
    action = NetworkAction(
        network_id=network.id,
        group_id=group.id,
        plan_id=data.plan_id,
        title=title,
        owner_member_id=owner.id if owner else None,
        due_on=due,
        status=ActionStatus.OPEN,
        created_at=now,
        updated_at=now,
    )
    session.add(action)
    session.flush()
    _record(session, action, what="created", old="", new=title, by_member=None, now=now)
    session.commit()
    session.refresh(action)
    return action


def update_action(
    *, session: Session, action: NetworkAction, data: ActionUpdate, now: datetime
) -> NetworkAction:
    """The lead changes an action: what it is, its owner, due date or status. Each change is
    kept in the action's history."""
    group = session.get(LocalGroup, action.group_id)
    assert group is not None
    changed: list[tuple[str, str, str]] = []
    if data.title is not None:
        title = _title(data.title)
        if title != action.title:
            changed.append(("title", action.title, title))
            action.title = title
    if data.owner_is_lead or data.owner_member_id is not None:
        new_owner = (
            None if data.owner_is_lead else _owner(session, group, data.owner_member_id or 0)
        )
        new_id = new_owner.id if new_owner else None
        if new_id != action.owner_member_id:
            old_name = _owner_name(session, action.owner_member_id)
            changed.append(("owner", old_name, new_owner.display_name if new_owner else LEAD))
            action.owner_member_id = new_id
    if data.clear_due or data.due_on is not None:
        due = None if data.clear_due else _due(data.due_on or today(now), now)
        if due != action.due_on:
            changed.append(("due", _day(action.due_on), _day(due)))
            action.due_on = due
    if data.status is not None and data.status != action.status:
        changed.append(("status", action.status, data.status))
        action.status = data.status
    for what, old, new in changed:
        _record(session, action, what=what, old=old, new=new, by_member=None, now=now)
    if changed:
        action.updated_at = now
        session.add(action)
    session.commit()
    session.refresh(action)
    return action


def _owner_name(session: Session, member_id: int | None) -> str:
    member = session.get(Member, member_id) if member_id else None
    return member.display_name if member else LEAD


def _day(value: date | None) -> str:
    return value.isoformat() if value else NO_DUE_DATE


def member_action(*, session: Session, member: Member, action_id: int) -> NetworkAction:
    """An action of the member's own group; another group's is reported as missing."""
    action = session.get(NetworkAction, action_id)
    if action is None or action.group_id != member.group_id:
        raise NotFound(_("No such action in your group."))
    return action


def mark_by_member(
    *, session: Session, member: Member, action: NetworkAction, status: str, now: datetime
) -> NetworkAction:
    """A member marks their own action as being done or done: the one change they may make."""
    if action.owner_member_id != member.id:
        raise Forbidden(_("Only the person who owns this action can change it."))
    if status not in {s.value for s in MEMBER_STATUSES}:
        raise Invalid(_("Choose “I am doing it” or “Done”."))
    if status != action.status:
        _record(
            session, action, what="status", old=action.status, new=status, by_member=member, now=now
        )
        action.status = status
        action.updated_at = now
        session.add(action)
    session.commit()
    session.refresh(action)
    return action


# --- what the next meeting starts with ------------------------------------------------------


@dataclass
class OpenActions:
    """A group's open actions, for the start of its next meeting."""

    group: LocalGroup
    actions: list[ActionPublic]


def open_for_cafe(*, session: Session, cafe_id: int) -> OpenActions | None:
    """The open actions of the group whose meeting the café runs (None for a café of no
    meeting, or a group with nothing open)."""
    meeting = session.exec(select(Meeting).where(Meeting.cafe_id == cafe_id)).first()
    if meeting is None:
        return None
    group = session.get(LocalGroup, meeting.group_id)
    assert group is not None
    actions = group_actions(session=session, group_id=group.id, statuses=OPEN_STATUSES)
    if not actions:
        return None
    return OpenActions(group=group, actions=actions_public(session=session, actions=actions))


@dataclass
class MemberActions:
    """What a member's page shows of their group's actions."""

    open: list[ActionPublic]
    done: list[ActionPublic]
    member_id: int


def for_member(*, session: Session, member: Member) -> MemberActions:
    """The member's group's actions: open ones first, then the last few done."""
    actions = actions_public(
        session=session, actions=group_actions(session=session, group_id=member.group_id)
    )
    return MemberActions(
        open=[a for a in actions if a.status in OPEN_STATUSES],
        done=[a for a in actions if a.status == ActionStatus.DONE][-5:],
        member_id=member.id,
    )
