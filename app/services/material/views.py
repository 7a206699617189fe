"""Read models of a version for the pages and the API: each section with its evidence items
and what has become of their sources, said at read time."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session

from app.i18n import _
from app.models.material import (
    EvidenceItem,
    Material,
    MaterialSection,
    MaterialVersion,
    SourceStatus,
    VersionStatus,
)
from app.services.material.reading import items_of, list_versions, sections_of, version_of
from app.services.material.sources import MARKERS_DRAFT, MARKERS_PUBLISHED, live_sources


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
        """Said at read time, so a published text is never rewritten to say it. Words
        withdrawn with consent need none: the withdrawal phrase stands in their place."""
        if not self.marked or self.item.withdrawn_at is not None:
            return None
        markers = MARKERS_PUBLISHED if self.published else MARKERS_DRAFT
        return _(markers[self.source_now])


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
    sections = sections_of(session=session, version=version)
    items = items_of(session=session, section_ids=[s.id for s in sections])
    live = live_sources(session=session, items=items)
    by_section: dict[int, list[EvidenceView]] = defaultdict(list)
    published = version.status == VersionStatus.PUBLISHED
    for item in items:
        by_section[item.section_id].append(
            EvidenceView(item=item, source_now=live[item.id], published=published)
        )
    return VersionView(
        material=material,
        version=version,
        sections=[SectionView(section=s, evidence=by_section.get(s.id, [])) for s in sections],
        versions=list_versions(session=session, material=material),
    )


def section_view(*, session: Session, section: MaterialSection) -> SectionView:
    version = version_of(session=session, section=section)
    items = items_of(session=session, section_ids=[section.id])
    live = live_sources(session=session, items=items)
    published = version.status == VersionStatus.PUBLISHED
    return SectionView(
        section=section,
        evidence=[EvidenceView(item=i, source_now=live[i.id], published=published) for i in items],
    )


def evidence_views(
    *, session: Session, section: MaterialSection, items: list[EvidenceItem]
) -> list[EvidenceView]:
    """Some of a section's evidence items as they are shown (their sources read once)."""
    version = version_of(session=session, section=section)
    live = live_sources(session=session, items=items)
    published = version.status == VersionStatus.PUBLISHED
    return [EvidenceView(item=i, source_now=live[i.id], published=published) for i in items]


def evidence_view(*, session: Session, item: EvidenceItem) -> EvidenceView:
    section = session.get(MaterialSection, item.section_id)
    assert section is not None
    version = version_of(session=session, section=section)
    return EvidenceView(
        item=item,
        source_now=live_sources(session=session, items=[item])[item.id],
        published=version.status == VersionStatus.PUBLISHED,
    )
