"""Discussion materials: versions written by the lead, evidence merged in from the network's
cafés with its provenance frozen, publishing, comparing versions, and the cross-group view."""

from __future__ import annotations

import difflib
import io
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import get_history
from sqlmodel import Session, col, func, select

from app.models.cafe import Cafe, CafeTable, Round, TableQuestion
from app.models.evidence import Contribution, ContributionStatus, ContributionTheme, Theme
from app.models.material import (
    MAX_BODY,
    MAX_EASY_READ,
    MAX_HEADING,
    MAX_PARAPHRASE,
    MAX_TITLE,
    EvidenceItem,
    Material,
    MaterialCreate,
    MaterialSection,
    MaterialVersion,
    SectionCreate,
    SourceStatus,
    VersionStatus,
)
from app.models.network import LocalGroup, Meeting, Network
from app.services.errors import Conflict, Invalid, NotFound

MAX_SECTIONS = 200
MAX_MERGE = 500

SOURCE_LABELS: dict[str, str] = {
    SourceStatus.CURRENT: "still visible",
    SourceStatus.HIDDEN: "hidden by the facilitator",
    SourceStatus.WITHDRAWN: "withdrawn by its author",
    SourceStatus.REMOVED: "removed with its café",
}


def source_for(status: str | None) -> str:
    """The evidence item's view of a contribution's moderation status."""
    if status is None:
        return SourceStatus.REMOVED
    if status == ContributionStatus.WITHDRAWN:
        return SourceStatus.WITHDRAWN
    if status in {ContributionStatus.HIDDEN, ContributionStatus.PENDING}:
        return SourceStatus.HIDDEN
    return SourceStatus.CURRENT


# --- reading, inside a network the caller leads (see network.get_network) ----------------


def get_material(*, session: Session, network: Network, material_id: int) -> Material:
    material = session.get(Material, material_id)
    if material is None or material.network_id != network.id:
        raise NotFound("No such material in this network.")
    return material


def get_version(*, session: Session, material: Material, number: int) -> MaterialVersion:
    version = session.exec(
        select(MaterialVersion).where(
            MaterialVersion.material_id == material.id, MaterialVersion.number == number
        )
    ).first()
    if version is None:
        raise NotFound(f"This material has no version {number}.")
    return version


def get_section(*, session: Session, version: MaterialVersion, section_id: int) -> MaterialSection:
    section = session.get(MaterialSection, section_id)
    if section is None or section.version_id != version.id:
        raise NotFound("No such section in this version.")
    return section


def get_evidence_item(*, session: Session, section: MaterialSection, item_id: int) -> EvidenceItem:
    item = session.get(EvidenceItem, item_id)
    if item is None or item.section_id != section.id:
        raise NotFound("No such evidence item in this section.")
    return item


def list_materials(
    *, session: Session, network: Network, after: int | None = None, limit: int = 100
) -> list[Material]:
    query = select(Material).where(Material.network_id == network.id)
    if after is not None:
        query = query.where(col(Material.id) > after)
    return list(session.exec(query.order_by(col(Material.id)).limit(limit)))


def list_versions(
    *, session: Session, material: Material, after: int | None = None, limit: int = 100
) -> list[MaterialVersion]:
    query = select(MaterialVersion).where(MaterialVersion.material_id == material.id)
    if after is not None:
        query = query.where(col(MaterialVersion.number) > after)
    return list(session.exec(query.order_by(col(MaterialVersion.number)).limit(limit)))


def sections_of(session: Session, version: MaterialVersion) -> list[MaterialSection]:
    return list(
        session.exec(
            select(MaterialSection)
            .where(MaterialSection.version_id == version.id)
            .order_by(col(MaterialSection.position), col(MaterialSection.id))
        )
    )


def items_of(session: Session, section_ids: Sequence[int]) -> list[EvidenceItem]:
    if not section_ids:
        return []
    return list(
        session.exec(
            select(EvidenceItem)
            .where(col(EvidenceItem.section_id).in_(section_ids))
            .order_by(col(EvidenceItem.id))
        )
    )


@dataclass
class MaterialSummary:
    material: Material
    latest: MaterialVersion | None
    published: MaterialVersion | None  # the newest published version
    draft: MaterialVersion | None


def material_summaries(*, session: Session, network: Network) -> list[MaterialSummary]:
    materials = list_materials(session=session, network=network, limit=10_000)
    versions: dict[int, list[MaterialVersion]] = defaultdict(list)
    if materials:
        for v in session.exec(
            select(MaterialVersion)
            .where(col(MaterialVersion.material_id).in_([m.id for m in materials]))
            .order_by(col(MaterialVersion.number))
        ):
            versions[v.material_id].append(v)
    out = []
    for m in materials:
        vs = versions[m.id or 0]
        published = [v for v in vs if v.status == VersionStatus.PUBLISHED]
        drafts = [v for v in vs if v.status == VersionStatus.DRAFT]
        out.append(
            MaterialSummary(
                material=m,
                latest=vs[-1] if vs else None,
                published=published[-1] if published else None,
                draft=drafts[-1] if drafts else None,
            )
        )
    return out


# --- writing: every write locks the material row first -------------------------------


def _lock_material(session: Session, material_id: int) -> Material:
    # FOR UPDATE serialises writers of one material on PostgreSQL (two "publish" or "next
    # version" clicks); SQLite's BEGIN IMMEDIATE already serialises every writer.
    material = session.exec(
        select(Material)
        .where(Material.id == material_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if material is None:
        raise NotFound("No such material.")
    return material


def _lock_draft(session: Session, version: MaterialVersion) -> MaterialVersion:
    _lock_material(session, version.material_id)
    session.refresh(version)
    if version.status != VersionStatus.DRAFT:
        raise Conflict(
            f"Version {version.number} is published and can no longer change. "
            "Start the next version to make changes."
        )
    return version


def _clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise Invalid("Give the material a title.")
    if len(cleaned) > MAX_TITLE:
        raise Invalid(f"Keep the title to {MAX_TITLE} characters or fewer.")
    return cleaned


def _clean_section(heading: str, body: str, easy_read: str) -> tuple[str, str, str]:
    head = " ".join(heading.split())
    if not head:
        raise Invalid("Every section needs a heading.")
    if len(head) > MAX_HEADING:
        raise Invalid(f"Keep section headings to {MAX_HEADING} characters or fewer.")
    body = body.replace("\r\n", "\n").strip()
    easy_read = easy_read.replace("\r\n", "\n").strip()
    if len(body) > MAX_BODY:
        raise Invalid(f"The section “{head[:60]}” is longer than {MAX_BODY:,} characters.")
    if len(easy_read) > MAX_EASY_READ:
        raise Invalid(
            f"The easy-read text of “{head[:60]}” is longer than {MAX_EASY_READ:,} characters."
        )
    return head, body, easy_read


def create_material(
    *, session: Session, network: Network, data: MaterialCreate, now: datetime
) -> Material:
    """A new material with version 1 as a draft holding the given (or imported) sections."""
    sections = data.sections
    title = data.title
    if data.markdown is not None:
        if sections:
            raise Invalid("Give either sections or Markdown to import, not both.")
        imported = import_markdown(data.markdown)
        sections, title = imported.sections, title.strip() or imported.title
    title = _clean_title(title)
    if len(sections) > MAX_SECTIONS:
        raise Invalid(f"A material can have at most {MAX_SECTIONS} sections.")
    cleaned = [_clean_section(s.heading, s.body_markdown, s.easy_read_text) for s in sections]
    assert network.id is not None
    material = Material(network_id=network.id, title=title, created_at=now, updated_at=now)
    session.add(material)
    session.flush()
    assert material.id is not None
    version = MaterialVersion(material_id=material.id, number=1, created_at=now)
    session.add(version)
    session.flush()
    assert version.id is not None
    for position, (heading, body, easy_read) in enumerate(cleaned, start=1):
        session.add(
            MaterialSection(
                version_id=version.id,
                position=position,
                heading=heading,
                body_markdown=body,
                easy_read_text=easy_read,
            )
        )
    session.commit()
    return material


def rename_material(*, session: Session, material: Material, title: str, now: datetime) -> Material:
    material = _lock_material(session, material.id or 0)
    material.title = _clean_title(title)
    material.updated_at = now
    session.add(material)
    session.commit()
    return material


def delete_material(*, session: Session, material: Material) -> None:
    """Delete a material that was never published; published evidence is kept for good."""
    material = _lock_material(session, material.id or 0)
    published = session.exec(
        select(func.count())
        .select_from(MaterialVersion)
        .where(
            MaterialVersion.material_id == material.id,
            MaterialVersion.status == VersionStatus.PUBLISHED,
        )
    ).one()
    if published:
        raise Conflict("This material has published versions, so it cannot be deleted.")
    session.delete(material)
    session.commit()


def _renumber(session: Session, version: MaterialVersion) -> list[MaterialSection]:
    sections = sections_of(session, version)
    for position, section in enumerate(sections, start=1):
        if section.position != position:
            section.position = position
            session.add(section)
    return sections


def add_section(
    *,
    session: Session,
    version: MaterialVersion,
    heading: str,
    body_markdown: str = "",
    easy_read_text: str = "",
    now: datetime,
) -> MaterialSection:
    """Append a section to a draft version."""
    _lock_draft(session, version)
    head, body, easy = _clean_section(heading, body_markdown, easy_read_text)
    count = len(sections_of(session, version))
    if count >= MAX_SECTIONS:
        raise Invalid(f"A material can have at most {MAX_SECTIONS} sections.")
    assert version.id is not None
    section = MaterialSection(
        version_id=version.id,
        position=count + 1,
        heading=head,
        body_markdown=body,
        easy_read_text=easy,
    )
    session.add(section)
    _touch(session, version, now)
    session.commit()
    return section


def update_section(
    *,
    session: Session,
    section: MaterialSection,
    heading: str,
    body_markdown: str,
    easy_read_text: str,
    now: datetime,
) -> MaterialSection:
    """Change a section's heading, text and easy-read text in a draft."""
    version = _version_of(session, section)
    _lock_draft(session, version)
    session.refresh(section)
    section.heading, section.body_markdown, section.easy_read_text = _clean_section(
        heading, body_markdown, easy_read_text
    )
    session.add(section)
    _touch(session, version, now)
    session.commit()
    return section


def move_section(
    *, session: Session, section: MaterialSection, position: int, now: datetime
) -> MaterialSection:
    """Move a section to another place (1 = first) in a draft."""
    version = _version_of(session, section)
    _lock_draft(session, version)
    sections = _renumber(session, version)
    moving = next(s for s in sections if s.id == section.id)
    sections.remove(moving)
    sections.insert(max(0, min(position - 1, len(sections))), moving)
    for number, s in enumerate(sections, start=1):
        s.position = number
        session.add(s)
    _touch(session, version, now)
    session.commit()
    session.refresh(section)
    return section


def delete_section(*, session: Session, section: MaterialSection, now: datetime) -> None:
    """Remove a section (and the evidence merged into it) from a draft."""
    version = _version_of(session, section)
    _lock_draft(session, version)
    session.delete(section)
    session.flush()
    _renumber(session, version)
    _touch(session, version, now)
    session.commit()


def _version_of(session: Session, section: MaterialSection) -> MaterialVersion:
    version = session.get(MaterialVersion, section.version_id)
    assert version is not None
    return version


def _touch(session: Session, version: MaterialVersion, now: datetime) -> None:
    material = session.get(Material, version.material_id)
    if material is not None:
        material.updated_at = now
        session.add(material)


# --- the network's cafés and their contributions ----------------------------------------


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
        assert cafe.id is not None
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


def _provenance(
    session: Session, contributions: Sequence[Contribution], links: dict[int, CafeLink]
) -> dict[int, Provenance]:
    """Where each contribution was said, loaded in a few queries for the whole batch."""
    if not contributions:
        return {}
    ids = [c.id for c in contributions if c.id is not None]
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
        assert c.id is not None
        link = links.get(c.cafe_id)
        table = tables.get(c.table_id) if c.table_id is not None else None
        rnd = rounds.get(c.round_id) if c.round_id is not None else None
        question = ""
        if rnd is not None:
            question = overrides.get((rnd.id or 0, c.table_id or 0), rnd.question)
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
                item_id=item.id or 0,
                material_id=material.id or 0,
                material_title=material.title,
                version_number=version.number,
                version_status=version.status,
                section_id=section.id or 0,
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


def evidence_items_of_network(
    *,
    session: Session,
    network: Network,
    contribution_id: int | None = None,
    material_id: int | None = None,
    after: int | None = None,
    limit: int = 100,
) -> list[EvidenceItem]:
    query = (
        select(EvidenceItem)
        .join(MaterialSection, col(MaterialSection.id) == col(EvidenceItem.section_id))
        .join(MaterialVersion, col(MaterialVersion.id) == col(MaterialSection.version_id))
        .join(Material, col(Material.id) == col(MaterialVersion.material_id))
        .where(Material.network_id == network.id)
    )
    if contribution_id is not None:
        query = query.where(EvidenceItem.contribution_id == contribution_id)
    if material_id is not None:
        query = query.where(Material.id == material_id)
    if after is not None:
        query = query.where(col(EvidenceItem.id) > after)
    return list(session.exec(query.order_by(col(EvidenceItem.id)).limit(limit)))


@dataclass
class CandidateFilter:
    cafe_id: int | None = None
    group_id: int | None = None
    theme: str | None = None  # a theme name, matched as theme_key()
    kind: str | None = None
    evidence_type: str | None = None
    role: str | None = None


@dataclass
class Candidate:
    contribution: Contribution
    provenance: Provenance
    uses: list[UseRef]


@dataclass
class CandidatePage:
    items: list[Candidate]
    next_cursor: int | None


def _filtered_cafe_ids(links: Sequence[CafeLink], filters: CandidateFilter) -> list[int]:
    return [
        link.cafe.id
        for link in links
        if link.cafe.id is not None
        and (filters.cafe_id is None or link.cafe.id == filters.cafe_id)
        and (filters.group_id is None or link.group.id == filters.group_id)
    ]


def merge_candidates(
    *,
    session: Session,
    network: Network,
    filters: CandidateFilter,
    after: int | None = None,
    limit: int = 100,
) -> CandidatePage:
    """Visible contributions from the network's cafés that can be merged, oldest first."""
    links = network_cafes(session=session, network=network)
    cafe_ids = _filtered_cafe_ids(links, filters)
    if not cafe_ids:
        return CandidatePage(items=[], next_cursor=None)
    query = select(Contribution).where(
        col(Contribution.cafe_id).in_(cafe_ids),
        Contribution.status == ContributionStatus.VISIBLE,
    )
    if filters.theme:
        key = theme_key(filters.theme)
        theme_ids = [
            t.id
            for t in session.exec(select(Theme).where(col(Theme.cafe_id).in_(cafe_ids)))
            if theme_key(t.name) == key
        ]
        query = query.where(
            col(Contribution.id).in_(
                select(ContributionTheme.contribution_id).where(
                    col(ContributionTheme.theme_id).in_(theme_ids or [-1])
                )
            )
        )
    if filters.kind:
        query = query.where(Contribution.kind == filters.kind)
    if filters.evidence_type:
        query = query.where(Contribution.evidence_type == filters.evidence_type)
    if filters.role:
        query = query.where(Contribution.author_role == filters.role)
    if after is not None:
        query = query.where(col(Contribution.id) > after)
    rows = list(session.exec(query.order_by(col(Contribution.id)).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    by_cafe = {link.cafe.id or 0: link for link in links}
    prov = _provenance(session, rows, by_cafe)
    uses = uses_by_contribution(
        session=session, network=network, contribution_ids=[c.id or 0 for c in rows]
    )
    return CandidatePage(
        items=[
            Candidate(contribution=c, provenance=prov[c.id or 0], uses=uses.get(c.id or 0, []))
            for c in rows
        ],
        next_cursor=(rows[-1].id if more and rows else None),
    )


@dataclass
class ThemeChoice:
    theme: Theme
    link: CafeLink
    visible_count: int


def network_themes(*, session: Session, network: Network) -> list[ThemeChoice]:
    """Every theme harvested in the network's cafés, with its visible contributions."""
    links = {link.cafe.id or 0: link for link in network_cafes(session=session, network=network)}
    if not links:
        return []
    counts = dict(
        session.exec(
            select(ContributionTheme.theme_id, func.count())
            .join(Contribution, col(Contribution.id) == col(ContributionTheme.contribution_id))
            .where(
                col(Contribution.cafe_id).in_(list(links)),
                Contribution.status == ContributionStatus.VISIBLE,
            )
            .group_by(col(ContributionTheme.theme_id))
        ).all()
    )
    themes = session.exec(
        select(Theme).where(col(Theme.cafe_id).in_(list(links))).order_by(col(Theme.name))
    )
    return [
        ThemeChoice(theme=t, link=links[t.cafe_id], visible_count=counts.get(t.id or 0, 0))
        for t in themes
    ]


# --- merging evidence -----------------------------------------------------------------


@dataclass
class MergeResult:
    added: list[EvidenceItem]
    skipped: int  # already in the section


def merge_evidence(
    *,
    session: Session,
    network: Network,
    section: MaterialSection,
    contribution_ids: Sequence[int] = (),
    theme_ids: Sequence[int] = (),
    paraphrase: str = "",
    now: datetime,
) -> MergeResult:
    """Copy contributions (picked one by one or as whole themes) into a draft section as
    evidence items with their provenance. The contributions themselves are not touched."""
    version = _version_of(session, section)
    _lock_draft(session, version)
    if not contribution_ids and not theme_ids:
        raise Invalid("Choose at least one contribution or theme to merge.")
    paraphrase = paraphrase.strip()
    if len(paraphrase) > MAX_PARAPHRASE:
        raise Invalid(f"Keep a paraphrase to {MAX_PARAPHRASE} characters or fewer.")
    if paraphrase and (len(contribution_ids) != 1 or theme_ids):
        raise Invalid("A paraphrase can be given when merging one contribution at a time.")
    links = {link.cafe.id or 0: link for link in network_cafes(session=session, network=network)}
    wanted: list[int] = []
    for theme_id in dict.fromkeys(theme_ids):
        theme = session.get(Theme, theme_id)
        if theme is None or theme.cafe_id not in links:
            raise NotFound(f"Theme {theme_id} is not from one of this network's cafés.")
        wanted.extend(
            session.exec(
                select(Contribution.id)
                .join(ContributionTheme, col(ContributionTheme.contribution_id) == Contribution.id)
                .where(
                    ContributionTheme.theme_id == theme_id,
                    Contribution.status == ContributionStatus.VISIBLE,
                )
                .order_by(col(Contribution.id))
            ).all()  # type: ignore[arg-type]
        )
    picked = list(dict.fromkeys(contribution_ids))
    if picked:
        found = {
            c.id: c
            for c in session.exec(select(Contribution).where(col(Contribution.id).in_(picked)))
        }
        for cid in picked:
            c = found.get(cid)
            if c is None or c.cafe_id not in links:
                raise NotFound(f"Contribution {cid} is not from one of this network's cafés.")
            if c.status != ContributionStatus.VISIBLE:
                raise Invalid(
                    f"Contribution {cid} is {c.status}, so it cannot be merged as evidence."
                )
    ordered = list(dict.fromkeys([*picked, *wanted]))
    if len(ordered) > MAX_MERGE:
        raise Invalid(f"Merge at most {MAX_MERGE} contributions at a time.")
    present = set(
        session.exec(
            select(EvidenceItem.contribution_id).where(EvidenceItem.section_id == section.id)
        ).all()
    )
    new_ids = [cid for cid in ordered if cid not in present]
    contributions = {
        c.id: c
        for c in (
            session.exec(select(Contribution).where(col(Contribution.id).in_(new_ids)))
            if new_ids
            else []
        )
    }
    rows = [contributions[cid] for cid in new_ids if cid in contributions]
    prov = _provenance(session, rows, links)
    added = []
    assert network.id is not None and section.id is not None
    for c in rows:
        p = prov[c.id or 0]
        item = EvidenceItem(
            section_id=section.id,
            contribution_id=c.id,
            paraphrase=paraphrase,
            network_id=network.id,
            group_id=p.group_id,
            group_name=p.group_name[:120],
            meeting_id=p.meeting_id,
            meeting_number=p.meeting_number,
            meeting_starts_at=p.meeting_starts_at,
            cafe_id=c.cafe_id,
            cafe_title=p.cafe_title[:120],
            table_name=p.table_name[:60],
            round_number=p.round_number,
            question=p.question[:500],
            author_role=c.author_role,
            evidence_type=c.evidence_type,
            kind=c.kind,
            theme_names=", ".join(p.theme_names)[:1000],
            original_text=c.text,
            contributed_at=c.created_at,
            source_status=SourceStatus.CURRENT,
            created_at=now,
        )
        session.add(item)
        added.append(item)
    _touch(session, version, now)
    session.commit()
    return MergeResult(added=added, skipped=len(ordered) - len(added))


def update_evidence_item(
    *, session: Session, item: EvidenceItem, paraphrase: str, now: datetime
) -> EvidenceItem:
    """Change the paraphrase of an evidence item in a draft (the original text stays)."""
    section = session.get(MaterialSection, item.section_id)
    assert section is not None
    version = _version_of(session, section)
    _lock_draft(session, version)
    paraphrase = paraphrase.strip()
    if len(paraphrase) > MAX_PARAPHRASE:
        raise Invalid(f"Keep a paraphrase to {MAX_PARAPHRASE} characters or fewer.")
    session.refresh(item)
    item.paraphrase = paraphrase
    session.add(item)
    _touch(session, version, now)
    session.commit()
    return item


def remove_evidence_item(*, session: Session, item: EvidenceItem, now: datetime) -> None:
    """Take an evidence item out of a draft section."""
    section = session.get(MaterialSection, item.section_id)
    assert section is not None
    version = _version_of(session, section)
    _lock_draft(session, version)
    session.delete(item)
    _touch(session, version, now)
    session.commit()


# --- following the sources -------------------------------------------------------------


def live_sources(session: Session, items: Iterable[EvidenceItem]) -> dict[int, str]:
    """What has become of each item's contribution now, keyed by evidence item id."""
    items = list(items)
    ids = {i.contribution_id for i in items if i.contribution_id is not None}
    status = (
        dict(
            session.exec(
                select(Contribution.id, Contribution.status).where(col(Contribution.id).in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return {
        i.id or 0: source_for(status.get(i.contribution_id) if i.contribution_id else None)
        for i in items
    }


def _draft_section_ids() -> Any:
    return (
        select(MaterialSection.id)
        .join(MaterialVersion, col(MaterialVersion.id) == col(MaterialSection.version_id))
        .where(MaterialVersion.status == VersionStatus.DRAFT)
    )


def sync_draft_marks(*, session: Session, version: MaterialVersion) -> int:
    """Bring the source marks of a draft's evidence items up to date; returns how many
    changed. Published versions are never touched."""
    if version.status != VersionStatus.DRAFT:
        return 0
    items = items_of(session, [s.id or 0 for s in sections_of(session, version)])
    live = live_sources(session, items)
    changed = 0
    for item in items:
        now_status = live[item.id or 0]
        if item.source_status != now_status:
            item.source_status = now_status
            session.add(item)
            changed += 1
    return changed


@event.listens_for(OrmSession, "before_flush")
def _mark_drafts_when_sources_change(
    session: OrmSession, _context: object, _instances: object
) -> None:
    # Moderation and withdrawal live in other modules; following every flush that changes a
    # contribution's status keeps the marks in drafts right whichever path changed it.
    changed: dict[int, str] = {}
    for obj in session.dirty:
        if isinstance(obj, Contribution) and obj.id is not None:
            if get_history(obj, "status").has_changes():
                changed[obj.id] = source_for(obj.status)
    for contribution_id, status in changed.items():
        session.execute(
            update(EvidenceItem)
            .where(
                col(EvidenceItem.contribution_id) == contribution_id,
                col(EvidenceItem.section_id).in_(_draft_section_ids()),
            )
            .values(source_status=status)
            .execution_options(synchronize_session=False)
        )


# --- reading a version --------------------------------------------------------------------


@dataclass
class EvidenceView:
    item: EvidenceItem
    source_now: str
    published: bool

    @property
    def marked(self) -> bool:
        return self.source_now != SourceStatus.CURRENT

    @property
    def marker(self) -> str | None:
        """Said at read time, so a published text is never rewritten to say it."""
        if not self.marked:
            return None
        label = SOURCE_LABELS[self.source_now]
        if self.published:
            return f"Source since {label}. The published text is unchanged."
        return f"Source {label} after it was merged."


@dataclass
class SectionView:
    section: MaterialSection
    evidence: list[EvidenceView]


@dataclass
class VersionView:
    material: Material
    version: MaterialVersion
    sections: list[SectionView]
    versions: list[MaterialVersion] = field(default_factory=list)

    @property
    def is_draft(self) -> bool:
        return self.version.status == VersionStatus.DRAFT

    @property
    def marked_count(self) -> int:
        return sum(1 for s in self.sections for e in s.evidence if e.marked)


def version_view(*, session: Session, material: Material, version: MaterialVersion) -> VersionView:
    sections = sections_of(session, version)
    items = items_of(session, [s.id or 0 for s in sections])
    live = live_sources(session, items)
    by_section: dict[int, list[EvidenceView]] = defaultdict(list)
    published = version.status == VersionStatus.PUBLISHED
    for item in items:
        by_section[item.section_id].append(
            EvidenceView(item=item, source_now=live[item.id or 0], published=published)
        )
    return VersionView(
        material=material,
        version=version,
        sections=[SectionView(section=s, evidence=by_section.get(s.id or 0, [])) for s in sections],
        versions=list_versions(session=session, material=material),
    )


def section_view(*, session: Session, section: MaterialSection) -> SectionView:
    version = _version_of(session, section)
    items = items_of(session, [section.id or 0])
    live = live_sources(session, items)
    published = version.status == VersionStatus.PUBLISHED
    return SectionView(
        section=section,
        evidence=[
            EvidenceView(item=i, source_now=live[i.id or 0], published=published) for i in items
        ],
    )


def evidence_view(*, session: Session, item: EvidenceItem) -> EvidenceView:
    section = session.get(MaterialSection, item.section_id)
    assert section is not None
    version = _version_of(session, section)
    return EvidenceView(
        item=item,
        source_now=live_sources(session, [item])[item.id or 0],
        published=version.status == VersionStatus.PUBLISHED,
    )


# --- publishing and the next version -------------------------------------------------------


def publish_version(
    *, session: Session, version: MaterialVersion, note: str = "", now: datetime
) -> MaterialVersion:
    """Freeze a draft: from now on it reads the same for everyone, for good."""
    _lock_draft(session, version)
    if not sections_of(session, version):
        raise Invalid("Add at least one section before publishing.")
    note = note.strip()
    if len(note) > 1000:
        raise Invalid("Keep the note about this version to 1000 characters or fewer.")
    sync_draft_marks(session=session, version=version)
    version.status = VersionStatus.PUBLISHED
    version.published_at = now
    version.note = note
    session.add(version)
    _touch(session, version, now)
    session.commit()
    return version


def draft_of(session: Session, material: Material) -> MaterialVersion | None:
    return session.exec(
        select(MaterialVersion).where(
            MaterialVersion.material_id == material.id,
            MaterialVersion.status == VersionStatus.DRAFT,
        )
    ).first()


def start_next_version(*, session: Session, material: Material, now: datetime) -> MaterialVersion:
    """A new draft that starts as a copy of the newest published version."""
    material = _lock_material(session, material.id or 0)
    versions = list_versions(session=session, material=material, limit=100_000)
    draft = next((v for v in versions if v.status == VersionStatus.DRAFT), None)
    if draft is not None:
        raise Conflict(f"Version {draft.number} is still a draft: publish it first.")
    base = next((v for v in reversed(versions) if v.status == VersionStatus.PUBLISHED), None)
    if base is None:
        raise Conflict("Publish the first version before starting the next one.")
    assert material.id is not None and base.id is not None
    nxt = MaterialVersion(
        material_id=material.id,
        number=max(v.number for v in versions) + 1,
        based_on_version_id=base.id,
        created_at=now,
    )
    session.add(nxt)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("Another version was started at the same moment; reload.") from exc
    assert nxt.id is not None
    old_sections = sections_of(session, base)
    items = items_of(session, [s.id or 0 for s in old_sections])
    live = live_sources(session, items)
    by_section: dict[int, list[EvidenceItem]] = defaultdict(list)
    for item in items:
        by_section[item.section_id].append(item)
    for old in old_sections:
        copy = MaterialSection(
            version_id=nxt.id,
            position=old.position,
            heading=old.heading,
            body_markdown=old.body_markdown,
            easy_read_text=old.easy_read_text,
            section_key=old.section_key,
        )
        session.add(copy)
        session.flush()
        assert copy.id is not None
        for item in by_section.get(old.id or 0, []):
            data = item.model_dump(exclude={"id", "section_id", "source_status", "created_at"})
            session.add(
                EvidenceItem(
                    **data,
                    section_id=copy.id,
                    source_status=live[item.id or 0],
                    created_at=item.created_at,
                )
            )
    _touch(session, nxt, now)
    session.commit()
    return nxt


# --- comparing versions ---------------------------------------------------------------------


@dataclass
class DiffLine:
    kind: str  # equal | insert | delete | change
    segments: list[tuple[str, str]]  # (equal | insert | delete, text)


@dataclass
class TextDiff:
    lines: list[DiffLine]
    unified: list[str]

    @property
    def changed(self) -> bool:
        return any(line.kind != "equal" for line in self.lines)


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _word_diff(old: str, new: str) -> list[tuple[str, str]]:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("equal", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("delete", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(("insert", "".join(b[j1:j2])))
    return out


def text_diff(old: str, new: str) -> TextDiff:
    """Line by line, with changed lines shown word by word."""
    a, b = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines.extend(DiffLine("equal", [("equal", line)]) for line in a[i1:i2])
        elif tag == "delete":
            lines.extend(DiffLine("delete", [("delete", line)]) for line in a[i1:i2])
        elif tag == "insert":
            lines.extend(DiffLine("insert", [("insert", line)]) for line in b[j1:j2])
        else:
            olds, news = a[i1:i2], b[j1:j2]
            for k in range(max(len(olds), len(news))):
                if k < len(olds) and k < len(news):
                    lines.append(DiffLine("change", _word_diff(olds[k], news[k])))
                elif k < len(olds):
                    lines.append(DiffLine("delete", [("delete", olds[k])]))
                else:
                    lines.append(DiffLine("insert", [("insert", news[k])]))
    unified = list(difflib.unified_diff(a, b, lineterm="", n=1))[2:]
    return TextDiff(lines=lines, unified=unified)


@dataclass
class SectionDiff:
    key: str
    status: str  # added | removed | changed | unchanged
    old: MaterialSection | None
    new: MaterialSection | None
    heading: TextDiff
    body: TextDiff
    easy_read: TextDiff
    moved: bool
    evidence_added: list[EvidenceItem]
    evidence_removed: list[EvidenceItem]
    paraphrase_changed: list[tuple[EvidenceItem, EvidenceItem]]

    @property
    def title(self) -> str:
        section = self.new or self.old
        assert section is not None
        return section.heading


@dataclass
class VersionDiff:
    material: Material
    old: MaterialVersion
    new: MaterialVersion
    sections: list[SectionDiff]

    def count(self, status: str) -> int:
        return sum(1 for s in self.sections if s.status == status)

    @property
    def evidence_added(self) -> list[EvidenceItem]:
        return [i for s in self.sections for i in s.evidence_added]

    @property
    def evidence_removed(self) -> list[EvidenceItem]:
        return [i for s in self.sections for i in s.evidence_removed]

    @property
    def added_by_group(self) -> list[tuple[str, int]]:
        """What came from where: new evidence counted by local group."""
        counts = Counter(i.group_name or "No local group" for i in self.evidence_added)
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def diff_versions(
    *, session: Session, material: Material, old_number: int, new_number: int
) -> VersionDiff:
    """What changed between two versions: sections, their text, and the evidence in them."""
    old = get_version(session=session, material=material, number=old_number)
    new = get_version(session=session, material=material, number=new_number)
    old_sections, new_sections = sections_of(session, old), sections_of(session, new)
    items = items_of(session, [s.id or 0 for s in [*old_sections, *new_sections]])
    by_section: dict[int, list[EvidenceItem]] = defaultdict(list)
    for item in items:
        by_section[item.section_id].append(item)
    old_by_key = {s.section_key: s for s in old_sections}
    new_by_key = {s.section_key: s for s in new_sections}
    # A section counts as moved when it falls outside the longest run of shared sections
    # that kept their order: inserting or removing others does not move it.
    old_shared = [s.section_key for s in old_sections if s.section_key in new_by_key]
    new_shared = [s.section_key for s in new_sections if s.section_key in old_by_key]
    stayed: set[str] = set()
    matcher = difflib.SequenceMatcher(None, old_shared, new_shared, autojunk=False)
    for block in matcher.get_matching_blocks():
        stayed.update(new_shared[block.b : block.b + block.size])

    def compare(key: str) -> SectionDiff:
        a, b = old_by_key.get(key), new_by_key.get(key)
        a_items = {i.item_key: i for i in by_section.get(a.id or 0, [])} if a else {}
        b_items = {i.item_key: i for i in by_section.get(b.id or 0, [])} if b else {}
        heading = text_diff(a.heading if a else "", b.heading if b else "")
        body = text_diff(a.body_markdown if a else "", b.body_markdown if b else "")
        easy = text_diff(a.easy_read_text if a else "", b.easy_read_text if b else "")
        added = [i for k, i in b_items.items() if k not in a_items]
        removed = [i for k, i in a_items.items() if k not in b_items]
        rephrased = [
            (a_items[k], i)
            for k, i in b_items.items()
            if k in a_items and a_items[k].paraphrase != i.paraphrase
        ]
        moved = a is not None and b is not None and key not in stayed
        if a is None:
            status = "added"
        elif b is None:
            status = "removed"
        elif (
            heading.changed
            or body.changed
            or easy.changed
            or added
            or removed
            or rephrased
            or moved
        ):
            status = "changed"
        else:
            status = "unchanged"
        return SectionDiff(
            key=key,
            status=status,
            old=a,
            new=b,
            heading=heading,
            body=body,
            easy_read=easy,
            moved=moved,
            evidence_added=added,
            evidence_removed=removed,
            paraphrase_changed=rephrased,
        )

    # The new version's order, with each removed section placed after its old neighbour.
    order = [s.section_key for s in new_sections]
    previous: str | None = None
    for s in old_sections:
        if s.section_key in new_by_key:
            previous = s.section_key
            continue
        at = order.index(previous) + 1 if previous is not None else 0
        while at < len(order) and order[at] not in new_by_key:
            at += 1
        order.insert(at, s.section_key)
        previous = s.section_key
    return VersionDiff(
        material=material, old=old, new=new, sections=[compare(key) for key in order]
    )


# --- the cross-group view ("network of networks") ---------------------------------------


@dataclass
class GroupCount:
    group_id: int
    group_name: str
    count: int


@dataclass
class SharedTheme:
    key: str
    name: str
    theme_ids: list[int]
    groups: list[GroupCount]
    total: int
    by_role: dict[str, int]
    by_evidence_type: dict[str, int]
    by_kind: dict[str, int]
    used: int  # of these contributions, how many are evidence in this network's materials

    @property
    def group_count(self) -> int:
        return len(self.groups)


def cross_group_themes(*, session: Session, network: Network) -> list[SharedTheme]:
    """Themes (matched by name across cafés) with the local groups that raised them and
    who said what kind of thing; those raised by the most groups come first."""
    links = {link.cafe.id or 0: link for link in network_cafes(session=session, network=network)}
    if not links:
        return []
    rows = session.exec(
        select(Theme, Contribution)
        .join(ContributionTheme, col(ContributionTheme.theme_id) == col(Theme.id))
        .join(Contribution, col(Contribution.id) == col(ContributionTheme.contribution_id))
        .where(
            col(Theme.cafe_id).in_(list(links)),
            Contribution.status == ContributionStatus.VISIBLE,
        )
        .order_by(col(Theme.id), col(Contribution.id))
    ).all()
    used_ids = set(
        session.exec(
            select(EvidenceItem.contribution_id)
            .join(MaterialSection, col(MaterialSection.id) == col(EvidenceItem.section_id))
            .join(MaterialVersion, col(MaterialVersion.id) == col(MaterialSection.version_id))
            .join(Material, col(Material.id) == col(MaterialVersion.material_id))
            .where(Material.network_id == network.id)
        ).all()
    )
    names: dict[str, Counter[str]] = defaultdict(Counter)
    theme_ids: dict[str, set[int]] = defaultdict(set)
    contributions: dict[str, dict[int, Contribution]] = defaultdict(dict)
    for theme, contribution in rows:
        key = theme_key(theme.name)
        names[key][" ".join(theme.name.split())] += 1
        theme_ids[key].add(theme.id or 0)
        contributions[key][contribution.id or 0] = contribution
    out = []
    for key, by_id in contributions.items():
        groups: dict[int, GroupCount] = {}
        for c in by_id.values():
            group = links[c.cafe_id].group
            entry = groups.setdefault(
                group.id or 0, GroupCount(group_id=group.id or 0, group_name=group.name, count=0)
            )
            entry.count += 1
        out.append(
            SharedTheme(
                key=key,
                name=names[key].most_common(1)[0][0],
                theme_ids=sorted(theme_ids[key]),
                groups=sorted(groups.values(), key=lambda g: (-g.count, g.group_name)),
                total=len(by_id),
                by_role=dict(Counter(c.author_role or "unknown" for c in by_id.values())),
                by_evidence_type=dict(Counter(c.evidence_type for c in by_id.values())),
                by_kind=dict(Counter(c.kind for c in by_id.values())),
                used=sum(1 for cid in by_id if cid in used_ids),
            )
        )
    out.sort(key=lambda t: (-t.group_count, -t.total, t.key))
    return out


# --- importing a first version ----------------------------------------------------------


@dataclass
class ImportedDocument:
    title: str
    sections: list[SectionCreate]


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_EASY_READ_HEADING = re.compile(r"^easy[\s-]*read\b", re.IGNORECASE)
# Our own Markdown export puts this line under the title; a re-import leaves it out.
_EXPORT_VERSION_LINE = re.compile(r"^\*Version \d+[^*]*\*$")


class _Builder:
    """Collects sections as a document is read top to bottom."""

    def __init__(self) -> None:
        self.sections: list[tuple[str, list[str], list[str]]] = []
        self.easy = False

    def start(self, heading: str) -> None:
        self.sections.append((heading, [], []))
        self.easy = False

    def line(self, text: str) -> None:
        if not self.sections:
            if not text.strip():
                return
            self.start("Introduction")
        _, body, easy = self.sections[-1]
        (easy if self.easy else body).append(text)

    def result(self, title: str) -> ImportedDocument:
        sections = []
        for heading, body, easy in self.sections:
            sections.append(
                SectionCreate(
                    heading=heading[:MAX_HEADING],
                    body_markdown="\n".join(body).strip(),
                    easy_read_text="\n".join(easy).strip(),
                )
            )
        if not sections:
            raise Invalid("The file has no text to import.")
        return ImportedDocument(title=title, sections=sections)


def import_markdown(text: str) -> ImportedDocument:
    """Split a Markdown document into sections at its `#` and `##` headings. A single `#`
    heading above `##` sections is the document's title; a `### Easy read` heading inside a
    section starts that section's easy-read text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fenced = False
    headings: list[tuple[int, int]] = []  # (line index, level)
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := _MD_HEADING.match(line)):
            headings.append((index, len(m.group(1))))
    top = [h for h in headings if h[1] == 1]
    title_line = (
        top[0][0]
        if len(top) == 1 and any(level == 2 for _, level in headings) and top[0] == headings[0]
        else None
    )
    title = ""
    builder = _Builder()
    fenced = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            builder.line(line)
            continue
        m = None if fenced else _MD_HEADING.match(line)
        if m and index == title_line:
            title = m.group(2).strip()
            continue
        if m and len(m.group(1)) <= 2:
            builder.start(m.group(2).strip() or "Untitled section")
            continue
        if m and len(m.group(1)) == 3 and _EASY_READ_HEADING.match(m.group(2)) and builder.sections:
            builder.easy = True
            continue
        if not builder.sections and _EXPORT_VERSION_LINE.match(line.strip()):
            continue
        builder.line(line)
    doc = builder.result(title)
    if not doc.title:
        doc.title = doc.sections[0].heading
    return doc


def _docx_inline(paragraph: Any) -> str:
    parts = []
    for run in paragraph.runs:
        text = run.text
        if not text:
            continue
        if run.bold and text.strip():
            text = f"**{text}**"
        elif run.italic and text.strip():
            text = f"*{text}*"
        parts.append(text)
    return "".join(parts).strip()


def import_docx(data: bytes) -> ImportedDocument:
    """Read a Word document: Heading 1 and 2 start sections, Title names the material, lists
    and emphasis become Markdown, tables become one line per row."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise Invalid("This file could not be read as a Word document (.docx).") from exc
    builder = _Builder()
    title = ""
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "tbl":
            for row in Table(child, document).rows:
                cells = [" ".join(c.text.split()) for c in row.cells]
                cells = list(dict.fromkeys(c for c in cells if c))  # merged cells repeat
                if cells:
                    builder.line("- " + " · ".join(cells))
            builder.line("")
            continue
        if tag != "p":
            continue
        paragraph = Paragraph(child, document)
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        plain = " ".join(paragraph.text.split())
        if style == "Title":
            if plain and not title:
                title = plain
            continue
        if style.startswith("Heading"):
            level = int(style.rsplit(" ", 1)[-1]) if style[-1:].isdigit() else 1
            if not plain:
                continue
            if level <= 2:
                builder.start(plain)
            elif _EASY_READ_HEADING.match(plain) and builder.sections:
                builder.easy = True
            else:
                builder.line("#" * min(level, 6) + " " + plain)
                builder.line("")
            continue
        text = _docx_inline(paragraph)
        if not text:
            continue
        if style.startswith("List Bullet"):
            builder.line("- " + text)
        elif style.startswith("List Number"):
            builder.line("1. " + text)
        else:
            builder.line(text)
            builder.line("")
    doc = builder.result(title)
    for section in doc.sections:
        # Consecutive list lines were separated from paragraphs by blank lines above; squeeze
        # the runs of blank lines that leaves behind.
        section.body_markdown = re.sub(r"\n{3,}", "\n\n", section.body_markdown)
        section.easy_read_text = re.sub(r"\n{3,}", "\n\n", section.easy_read_text)
    if not doc.title:
        doc.title = doc.sections[0].heading
    return doc
