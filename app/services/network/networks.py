"""Networks themselves, the lookups that check the facilitator leads what they ask for,
and the id-cursor pagination every list uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.i18n import _
from app.models.accounts import Facilitator
from app.models.network import (
    LocalGroup,
    Meeting,
    Member,
    Network,
    NetworkCreate,
    NetworkUpdate,
)
from app.services.errors import Invalid, NotFound
from app.services.privacy.notices import clean_notice

T = TypeVar("T")


def required_text(value: str, *, refusal: str) -> str:
    """The value without surrounding spaces; blank is refused with `refusal` ("Give the
    network a topic.")."""
    cleaned = value.strip()
    if not cleaned:
        raise Invalid(refusal)
    return cleaned


# --- reading with ownership -------------------------------------------------------------------


def _owned_network(session: Session, facilitator: Facilitator, network_id: int) -> Network:
    network = session.get(Network, network_id)
    if network is None or network.facilitator_id != facilitator.id:
        raise NotFound(_("No such network."))
    return network


def get_network(*, session: Session, facilitator: Facilitator, network_id: int) -> Network:
    """A network the facilitator leads; anyone else's network is reported as missing."""
    return _owned_network(session, facilitator, network_id)


def get_group(*, session: Session, facilitator: Facilitator, group_id: int) -> LocalGroup:
    group = session.get(LocalGroup, group_id)
    if group is None or _lead_of_network(session, group.network_id) != facilitator.id:
        raise NotFound(_("No such local group."))
    return group


def get_member(*, session: Session, facilitator: Facilitator, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or _lead_of_group(session, member.group_id) != facilitator.id:
        raise NotFound(_("No such member."))
    return member


def get_meeting(*, session: Session, facilitator: Facilitator, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or _lead_of_group(session, meeting.group_id) != facilitator.id:
        raise NotFound(_("No such meeting."))
    return meeting


def _lead_of_network(session: Session, network_id: int) -> int | None:
    network = session.get(Network, network_id)
    return network.facilitator_id if network else None


def _lead_of_group(session: Session, group_id: int) -> int | None:
    group = session.get(LocalGroup, group_id)
    return _lead_of_network(session, group.network_id) if group else None


def network_of(*, session: Session, group: LocalGroup) -> Network:
    network = session.get(Network, group.network_id)
    assert network is not None
    return network


def group_of(*, session: Session, item: Member | Meeting) -> LocalGroup:
    group = session.get(LocalGroup, item.group_id)
    assert group is not None
    return group


def paginate(
    *,
    session: Session,
    query: SelectOfScalar[T],
    id_column: Any,
    after: int | None,
    limit: int | None,
) -> tuple[list[T], int | None]:
    """Rows in id order after a cursor; the cursor for the next page if there is one."""
    if after is not None:
        query = query.where(id_column > after)
    query = query.order_by(id_column)
    if limit is None:
        return list(session.exec(query)), None
    rows = list(session.exec(query.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, int(last.id)  # type: ignore[attr-defined]


# --- networks -----------------------------------------------------------------------------


def list_networks(
    *,
    session: Session,
    facilitator: Facilitator,
    after: int | None = None,
    limit: int | None = None,
) -> tuple[list[Network], int | None]:
    query = select(Network).where(Network.facilitator_id == facilitator.id)
    return paginate(
        session=session, query=query, id_column=col(Network.id), after=after, limit=limit
    )


def create_network(*, session: Session, facilitator: Facilitator, data: NetworkCreate) -> Network:
    """Start a network on a topic; the facilitator is its lead."""
    network = Network(
        facilitator_id=facilitator.id,
        title=required_text(data.title, refusal=_("Give the network a topic.")),
        description=data.description.strip(),
        privacy_notice=clean_notice(data.privacy_notice),
        language=data.language,
    )
    session.add(network)
    session.commit()
    session.refresh(network)
    return network


def update_network(*, session: Session, network: Network, data: NetworkUpdate) -> Network:
    if data.title is not None:
        network.title = required_text(data.title, refusal=_("Give the network a topic."))
    if data.description is not None:
        network.description = data.description.strip()
    if data.privacy_notice is not None:
        network.privacy_notice = clean_notice(data.privacy_notice)
    if data.language is not None:
        network.language = data.language
    session.add(network)
    session.commit()
    session.refresh(network)
    return network


def group_counts(*, session: Session, network_ids: Sequence[int]) -> dict[int, int]:
    if not network_ids:
        return {}
    rows = session.exec(
        select(LocalGroup.network_id, func.count())
        .where(col(LocalGroup.network_id).in_(network_ids))
        .group_by(col(LocalGroup.network_id))
    )
    return {network_id: int(n) for network_id, n in rows}
