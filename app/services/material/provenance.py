"""The network's cafés, where each of their contributions was said, and where each was used
as evidence in the network's materials."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.models.cafe import Cafe, CafeTable, Round, TableQuestion
from app.models.evidence import Contribution, ContributionTheme, Theme
from app.models.material import EvidenceItem, Material, MaterialSection, MaterialVersion
from app.models.network import LocalGroup, Meeting, Network


@dataclass(frozen=True)
class CafeLink:
    """A café run as a meeting of one of the network's local groups."""

    cafe: Cafe
    group: LocalGroup
    meeting: Meeting


def network_cafes(*, session: Session, network: Network) -> list[CafeLink]:
    """Every café run as a meeting of the network's groups (one link per café)."""
    rows = session.exec(
        select(Meeting, LocalGroup, Cafe)
        .join(LocalGroup, col(Meeting.group_id) == col(LocalGroup.id))
        .join(Cafe, col(Meeting.cafe_id) == col(Cafe.id))
        .where(
            LocalGroup.network_id == network.id,
            # Only the lead's own cafés: a meeting pointed at someone else's café must not
            # open that café's contributions to this lead.
            Cafe.facilitator_id == network.facilitator_id,
        )
        .order_by(col(LocalGroup.name), col(LocalGroup.id), col(Meeting.number), col(Meeting.id))
    ).all()
    links: dict[int, CafeLink] = {}
    for meeting, group, cafe in rows:
        links.setdefault(cafe.id, CafeLink(cafe=cafe, group=group, meeting=meeting))
    return list(links.values())


def theme_key(name: str) -> str:
    """Themes match across cafés by name, ignoring case and spacing."""
    return " ".join(name.split()).casefold()


@dataclass
class Provenance:
    group_id: int | None
    group_name: str
    meeting_id: int | None
    meeting_number: int | None
    meeting_starts_at: datetime | None
    cafe_id: int
    cafe_title: str
    table_name: str
    round_number: int | None
    question: str
    theme_names: list[str]


def provenance_of(
    *, session: Session, contributions: Sequence[Contribution], links: dict[int, CafeLink]
) -> dict[int, Provenance]:
    """Where each contribution was said, loaded in a few queries for the whole batch."""
    if not contributions:
        return {}
    ids = [c.id for c in contributions]
    table_ids = {c.table_id for c in contributions if c.table_id is not None}
    round_ids = {c.round_id for c in contributions if c.round_id is not None}
    tables = (
        {t.id: t for t in session.exec(select(CafeTable).where(col(CafeTable.id).in_(table_ids)))}
        if table_ids
        else {}
    )
    rounds = (
        {r.id: r for r in session.exec(select(Round).where(col(Round.id).in_(round_ids)))}
        if round_ids
        else {}
    )
    overrides: dict[tuple[int, int], str] = {}
    if round_ids:
        for tq in session.exec(
            select(TableQuestion).where(col(TableQuestion.round_id).in_(round_ids))
        ):
            overrides[(tq.round_id, tq.table_id)] = tq.question
    themes: dict[int, list[str]] = defaultdict(list)
    for contribution_id, name in session.exec(
        select(ContributionTheme.contribution_id, Theme.name)
        .join(Theme, col(Theme.id) == col(ContributionTheme.theme_id))
        .where(col(ContributionTheme.contribution_id).in_(ids))
        .order_by(col(Theme.name))
    ):
        themes[contribution_id].append(name)
    out: dict[int, Provenance] = {}
    for c in contributions:
        link = links.get(c.cafe_id)
        table = tables.get(c.table_id) if c.table_id is not None else None
        rnd = rounds.get(c.round_id) if c.round_id is not None else None
        question = ""
        if rnd is not None:
            question = overrides.get((rnd.id, c.table_id or 0), rnd.question)
        out[c.id] = Provenance(
            group_id=link.group.id if link else None,
            group_name=link.group.name if link else "",
            meeting_id=link.meeting.id if link else None,
            meeting_number=link.meeting.number if link else None,
            meeting_starts_at=link.meeting.starts_at if link else None,
            cafe_id=c.cafe_id,
            cafe_title=link.cafe.title if link else "",
            table_name=table.name if table else "",
            round_number=rnd.number if rnd else None,
            question=question,
            theme_names=themes.get(c.id, []),
        )
    return out


@dataclass
class UseRef:
    """One place a contribution was used: an evidence item in a version of a material."""

    item_id: int
    material_id: int
    material_title: str
    version_number: int
    version_status: str
    section_id: int
    section_heading: str


def uses_by_contribution(
    *, session: Session, network: Network, contribution_ids: Iterable[int]
) -> dict[int, list[UseRef]]:
    """Where each contribution was used in this network's materials."""
    ids = list(set(contribution_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(EvidenceItem, MaterialSection, MaterialVersion, Material)
        .join(MaterialSection, col(MaterialSection.id) == col(EvidenceItem.section_id))
        .join(MaterialVersion, col(MaterialVersion.id) == col(MaterialSection.version_id))
        .join(Material, col(Material.id) == col(MaterialVersion.material_id))
        .where(col(EvidenceItem.contribution_id).in_(ids), Material.network_id == network.id)
        .order_by(col(Material.id), col(MaterialVersion.number), col(MaterialSection.position))
    ).all()
    out: dict[int, list[UseRef]] = defaultdict(list)
    for item, section, version, material in rows:
        assert item.contribution_id is not None
        out[item.contribution_id].append(
            UseRef(
                item_id=item.id,
                material_id=material.id,
                material_title=material.title,
                version_number=version.number,
                version_status=version.status,
                section_id=section.id,
                section_heading=section.heading,
            )
        )
    return dict(out)


def uses_of_contribution(
    *, session: Session, network: Network, contribution_id: int
) -> list[UseRef]:
    """Where was this contribution used? (The contribution itself is never changed.)"""
    return uses_by_contribution(
        session=session, network=network, contribution_ids=[contribution_id]
    ).get(contribution_id, [])
