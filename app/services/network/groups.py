"""A network's local groups, and how many members and meetings each has."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.network import (
    GroupCreate,
    GroupUpdate,
    LocalGroup,
    Meeting,
    Member,
    Network,
    ScheduleRequest,
)
from app.services import roles
from app.services.network.meetings import add_schedule
from app.services.network.networks import paginate, required_text


def list_groups(
    *,
    session: Session,
    network: Network,
    after: int | None = None,
    limit: int | None = None,
) -> tuple[list[LocalGroup], int | None]:
    query = select(LocalGroup).where(LocalGroup.network_id == network.id)
    return paginate(
        session=session, query=query, id_column=col(LocalGroup.id), after=after, limit=limit
    )


def create_group(*, session: Session, network: Network, data: GroupCreate) -> LocalGroup:
    """Add a local group; with a first meeting time, the default schedule is planned too."""
    group = LocalGroup(
        network_id=network.id,
        name=required_text(data.name, refusal=_("Give the local group a name.")),
        area=data.area.strip(),
    )
    session.add(group)
    session.flush()
    if data.first_meeting_at is not None:
        add_schedule(
            session=session,
            group=group,
            plan=ScheduleRequest(start=data.first_meeting_at, location=data.location),
        )
    session.commit()
    session.refresh(group)
    return group


def update_group(*, session: Session, group: LocalGroup, data: GroupUpdate) -> LocalGroup:
    if data.name is not None:
        group.name = required_text(data.name, refusal=_("Give the local group a name."))
    if data.area is not None:
        group.area = data.area.strip()
    session.add(group)
    session.commit()
    session.refresh(group)
    return group


def delete_group(*, session: Session, group: LocalGroup) -> None:
    """Delete the group with its members, meetings, coordinators and their invites."""
    roles.forget_roles(session=session, group_ids=[group.id])
    session.delete(group)
    session.commit()


def member_and_meeting_counts(
    *, session: Session, group_ids: Sequence[int]
) -> tuple[dict[int, int], dict[int, int]]:
    if not group_ids:
        return {}, {}
    members = session.exec(
        select(Member.group_id, func.count())
        .where(col(Member.group_id).in_(group_ids))
        .group_by(col(Member.group_id))
    )
    meetings = session.exec(
        select(Meeting.group_id, func.count())
        .where(col(Meeting.group_id).in_(group_ids))
        .group_by(col(Meeting.group_id))
    )
    return {g: int(n) for g, n in members}, {g: int(n) for g, n in meetings}
