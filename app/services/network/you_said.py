""" "You said, we did": the lead's (or a group's coordinator's) updates telling members what
was done with what they said. An update is for one local group or the whole network and is
linked to the café themes and material evidence items it answers.

Who may do what: the network's lead writes, changes and deletes any update; a coordinator
only their own group's (never a network-wide one). Members see their group's updates and the
network-wide ones; never another group's. Quotes of people's words inside an update are
replaced when those words are erased or consent is withdrawn (`app.services.privacy.quotes`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from app.i18n import N_, _
from app.models.accounts import Facilitator
from app.models.cafe import Cafe
from app.models.evidence import Theme
from app.models.material import EvidenceItem, Material, MaterialSection, MaterialVersion
from app.models.network import LocalGroup, Meeting, Network
from app.models.you_said import (
    YouSaid,
    YouSaidChange,
    YouSaidCreate,
    YouSaidLink,
    YouSaidPublic,
)
from app.services import roles
from app.services.errors import Invalid, NotFound
from app.services.material.provenance import CafeLink, network_cafes

# How many themes and evidence items the lead's form offers to link (newest first).
CHOICES_MAX = 200


def _owner(session: Session, facilitator: Facilitator, network_id: int) -> bool:
    network = session.get(Network, network_id)
    return network is not None and network.facilitator_id == facilitator.id


def _may_write(session: Session, facilitator: Facilitator, update: YouSaid) -> bool:
    if _owner(session, facilitator, update.network_id):
        return True
    if update.group_id is None:
        return False
    group = session.get(LocalGroup, update.group_id)
    return group is not None and (
        roles.role_in_group(session=session, facilitator=facilitator, group=group) is not None
    )


def get_update(*, session: Session, facilitator: Facilitator, update_id: int) -> YouSaid:
    """An update the facilitator may change: any of their network's, or their group's as its
    coordinator."""
    update = session.get(YouSaid, update_id)
    if update is None or not _may_write(session, facilitator, update):
        raise NotFound(_("No such update."))
    return update


# The refusals for each text of an update: empty, and too long (`%(most)s` characters).
_REFUSALS = {
    "you_said": (
        N_("Write what people said."),
        N_("Keep what people said to %(most)s characters or fewer."),
    ),
    "we_did": (
        N_("Write what was done."),
        N_("Keep what was done to %(most)s characters or fewer."),
    ),
}


def _clean(text: str, field: str, limit: int) -> str:
    empty, too_long = _REFUSALS[field]
    cleaned = text.strip()
    if not cleaned:
        raise Invalid(_(empty))
    if len(cleaned) > limit:
        raise Invalid(_(too_long, most=limit))
    return cleaned


def _group_in(session: Session, network: Network, group_id: int | None) -> LocalGroup | None:
    if group_id is None:
        return None
    group = session.get(LocalGroup, group_id)
    if group is None or group.network_id != network.id:
        raise Invalid(_("That local group is not one of this network's."))
    return group


def _check_writer(
    session: Session, facilitator: Facilitator, network: Network, group: LocalGroup | None
) -> None:
    if network.facilitator_id == facilitator.id:
        return
    if (
        group is None
        or roles.role_in_group(session=session, facilitator=facilitator, group=group) is None
    ):
        raise Invalid(_("As a group's coordinator you write updates for your own group only."))


def _links(
    session: Session, network: Network, group: LocalGroup | None, facilitator: Facilitator
) -> dict[int, CafeLink]:
    """The cafés whose themes an update may answer: the group's (or the network's), and for
    a coordinator only those they help run (the others are the lead's to read)."""
    lead = network.facilitator_id == facilitator.id
    return {
        link.cafe.id: link
        for link in network_cafes(session=session, network=network)
        if (group is None or link.group.id == group.id)
        and (
            lead
            or roles.may_run_cafe(session=session, facilitator_id=facilitator.id, cafe=link.cafe)
        )
    }


def _network_items(session: Session, network: Network) -> Sequence[EvidenceItem]:
    return session.exec(
        select(EvidenceItem)
        .join(MaterialSection, col(MaterialSection.id) == EvidenceItem.section_id)
        .join(MaterialVersion, col(MaterialVersion.id) == MaterialSection.version_id)
        .join(Material, col(Material.id) == MaterialVersion.material_id)
        .where(Material.network_id == network.id)
        .order_by(col(EvidenceItem.id).desc())
    ).all()


def _check_links(
    session: Session,
    network: Network,
    group: LocalGroup | None,
    facilitator: Facilitator,
    theme_ids: Sequence[int],
    item_ids: Sequence[int],
) -> None:
    """Themes of the network's cafés and evidence items of its materials only, and, for a
    group's update, only what that group said. A coordinator links themes of cafés they help
    run, and no evidence items (the materials are the lead's)."""
    if item_ids and network.facilitator_id != facilitator.id:
        raise Invalid(_("Only the network's lead links evidence items from the materials."))
    if theme_ids:
        allowed = set(_links(session, network, group, facilitator))
        themes = {
            t.id: t for t in session.exec(select(Theme).where(col(Theme.id).in_(set(theme_ids))))
        }
        for theme_id in theme_ids:
            theme = themes.get(theme_id)
            if theme is None or theme.cafe_id not in allowed:
                raise Invalid(
                    _("Theme %(id)s is not one of this group's cafés' themes.", id=theme_id)
                    if group
                    else _("Theme %(id)s is not one of this network's cafés' themes.", id=theme_id)
                )
    if item_ids:
        items = {i.id: i for i in _network_items(session, network) if i.id in set(item_ids)}
        for item_id in item_ids:
            item = items.get(item_id)
            if item is None or (group is not None and item.group_id != group.id):
                raise Invalid(
                    _("Evidence item %(id)s is not one of this group's evidence items.", id=item_id)
                    if group
                    else _(
                        "Evidence item %(id)s is not one of this network's evidence items.",
                        id=item_id,
                    )
                )


def _set_links(
    session: Session, update: YouSaid, theme_ids: Sequence[int], item_ids: Sequence[int]
) -> None:
    session.execute(delete(YouSaidLink).where(col(YouSaidLink.update_id) == update.id))
    for theme_id in dict.fromkeys(theme_ids):
        session.add(YouSaidLink(update_id=update.id, theme_id=theme_id))
    for item_id in dict.fromkeys(item_ids):
        session.add(YouSaidLink(update_id=update.id, evidence_item_id=item_id))


def create_update(
    *,
    session: Session,
    network: Network,
    facilitator: Facilitator,
    data: YouSaidCreate,
    now: datetime,
) -> YouSaid:
    """Write an update for one group or (the lead only) the whole network."""
    group = _group_in(session, network, data.group_id)
    _check_writer(session, facilitator, network, group)
    you_said = _clean(data.you_said, "you_said", 1000)
    we_did = _clean(data.we_did, "we_did", 2000)
    _check_links(session, network, group, facilitator, data.theme_ids, data.evidence_item_ids)
    update = YouSaid(
        network_id=network.id,
        group_id=group.id if group else None,
        you_said=you_said,
        we_did=we_did,
        created_at=now,
        updated_at=now,
    )
    session.add(update)
    session.flush()
    _set_links(session, update, data.theme_ids, data.evidence_item_ids)
    session.commit()
    session.refresh(update)
    return update


def change_update(
    *,
    session: Session,
    update: YouSaid,
    facilitator: Facilitator,
    data: YouSaidChange,
    now: datetime,
) -> YouSaid:
    """Change an update's words, its group or what it answers (only the fields given)."""
    network = session.get(Network, update.network_id)
    assert network is not None
    given = data.model_dump(exclude_unset=True)
    group_id = given["group_id"] if "group_id" in given else update.group_id
    group = _group_in(session, network, group_id)
    _check_writer(session, facilitator, network, group)
    links = links_of(session=session, update_ids=[update.id]).get(update.id, ([], []))
    theme_ids = data.theme_ids if data.theme_ids is not None else links[0]
    item_ids = data.evidence_item_ids if data.evidence_item_ids is not None else links[1]
    kept: list[int] = []
    if data.theme_ids is not None and network.facilitator_id != facilitator.id:
        # A coordinator sees only themes of cafés they help run: the lead's other links stay.
        theirs = set(_links(session, network, group, facilitator))
        cafes = {
            t.id: t.cafe_id for t in session.exec(select(Theme).where(col(Theme.id).in_(links[0])))
        }
        kept = [t for t in links[0] if cafes.get(t) not in theirs and t not in theme_ids]
    # What was linked before is checked again only if the update moves to another group.
    moved = (group.id if group else None) != update.group_id
    _check_links(
        session,
        network,
        group,
        facilitator,
        theme_ids if moved or data.theme_ids is not None else [],
        item_ids if moved or data.evidence_item_ids is not None else [],
    )
    if data.you_said is not None:
        update.you_said = _clean(data.you_said, "you_said", 1000)
    if data.we_did is not None:
        update.we_did = _clean(data.we_did, "we_did", 2000)
    update.group_id = group.id if group else None
    update.updated_at = now
    session.add(update)
    _set_links(session, update, [*theme_ids, *kept], item_ids)
    session.commit()
    session.refresh(update)
    return update


def delete_update(*, session: Session, update: YouSaid) -> None:
    session.delete(update)
    session.commit()


def list_updates(
    *,
    session: Session,
    network: Network,
    group_id: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> tuple[list[YouSaid], int | None]:
    """A network's updates, oldest first, a page at a time (`group_id`: that group's only)."""
    query = select(YouSaid).where(YouSaid.network_id == network.id)
    if group_id is not None:
        query = query.where(YouSaid.group_id == group_id)
    if after is not None:
        query = query.where(col(YouSaid.id) > after)
    rows = list(session.exec(query.order_by(col(YouSaid.id)).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def links_of(
    *, session: Session, update_ids: Sequence[int]
) -> dict[int, tuple[list[int], list[int]]]:
    """Each update's linked theme ids and evidence item ids."""
    found: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    if not update_ids:
        return {}
    for link in session.exec(
        select(YouSaidLink)
        .where(col(YouSaidLink.update_id).in_(list(update_ids)))
        .order_by(col(YouSaidLink.id))
    ):
        themes, items = found[link.update_id]
        if link.theme_id is not None:
            themes.append(link.theme_id)
        if link.evidence_item_id is not None:
            items.append(link.evidence_item_id)
    return dict(found)


def public(*, session: Session, updates: Sequence[YouSaid]) -> list[YouSaidPublic]:
    links = links_of(session=session, update_ids=[u.id for u in updates])
    return [
        YouSaidPublic(
            **u.model_dump(),
            theme_ids=links.get(u.id, ([], []))[0],
            evidence_item_ids=links.get(u.id, ([], []))[1],
        )
        for u in updates
    ]


# --- who sees which -----------------------------------------------------------------------


def for_group(*, session: Session, group: LocalGroup) -> list[YouSaid]:
    """What the group's members see: the group's updates and the network-wide ones, newest
    first."""
    return list(
        session.exec(
            select(YouSaid)
            .where(
                YouSaid.network_id == group.network_id,
                or_(col(YouSaid.group_id).is_(None), col(YouSaid.group_id) == group.id),
            )
            .order_by(col(YouSaid.updated_at).desc(), col(YouSaid.id).desc())
        )
    )


def for_cafe(*, session: Session, cafe: Cafe) -> list[YouSaid]:
    """What a café run as a meeting of a local group opens with: that group's updates and the
    network-wide ones (none for a café that is no meeting of the lead's network)."""
    row = session.exec(
        select(LocalGroup)
        .join(Meeting, col(Meeting.group_id) == col(LocalGroup.id))
        .join(Network, col(Network.id) == col(LocalGroup.network_id))
        .where(Meeting.cafe_id == cafe.id, Network.facilitator_id == cafe.facilitator_id)
        .order_by(col(Meeting.id))
    ).first()
    return for_group(session=session, group=row) if row is not None else []


# --- what the lead's form offers ----------------------------------------------------------


@dataclass
class ThemeChoice:
    theme: Theme
    where: str


@dataclass
class Choices:
    themes: list[ThemeChoice]
    items: list[EvidenceItem]


def choices(
    *, session: Session, network: Network, group: LocalGroup | None, facilitator: Facilitator
) -> Choices:
    """The themes and evidence items an update for this group (or the network) may answer:
    the newest first, one per evidence item across a material's versions (the lead's only)."""
    links = _links(session, network, group, facilitator)
    themes = [
        ThemeChoice(
            theme=t,
            where=f"{links[t.cafe_id].group.name}, {links[t.cafe_id].meeting.title}",
        )
        for t in session.exec(
            select(Theme)
            .where(col(Theme.cafe_id).in_(list(links)))
            .order_by(col(Theme.id).desc())
            .limit(CHOICES_MAX)
        )
    ]
    seen: set[str] = set()
    items: list[EvidenceItem] = []
    if network.facilitator_id != facilitator.id:
        return Choices(themes=themes, items=items)
    for item in _network_items(session, network):
        if item.item_key in seen or (group is not None and item.group_id != group.id):
            continue
        seen.add(item.item_key)
        items.append(item)
        if len(items) >= CHOICES_MAX:
            break
    return Choices(themes=themes, items=items)


def theme_names(*, session: Session, updates: Sequence[YouSaid]) -> dict[int, list[str]]:
    """The names of the themes each update answers (shown to members with it)."""
    links = links_of(session=session, update_ids=[u.id for u in updates])
    ids = {t for themes, _items in links.values() for t in themes}
    names = (
        {t.id: t.name for t in session.exec(select(Theme).where(col(Theme.id).in_(list(ids))))}
        if ids
        else {}
    )
    return {
        uid: sorted({names[t] for t in themes if t in names}, key=str.casefold)
        for uid, (themes, _items) in links.items()
    }
