"""Discussion materials as the API shows them: converters from the service's read models to
the public models, and the dates and file names they carry."""

from __future__ import annotations

import re
from datetime import datetime

from app.i18n import format_day_pattern
from app.models.material import (
    CandidatePublic,
    EvidenceItem,
    EvidenceItemPublic,
    GroupCountPublic,
    MaterialPublic,
    ParaphraseChange,
    SectionDiffPublic,
    SectionPublic,
    SharedThemePublic,
    TextDiffPublic,
    UsePublic,
    VersionDetail,
    VersionDiffPublic,
    VersionPublic,
)
from app.services.material.cross_group import SharedTheme
from app.services.material.diff import SectionDiff, TextDiff, VersionDiff
from app.services.material.merge import Candidate
from app.services.material.provenance import UseRef
from app.services.material.reading import MaterialSummary
from app.services.material.views import EvidenceView, SectionView, VersionView


def day(value: datetime) -> str:
    """A date as people write it in their language: 4 March 2027, 4 Mawrth 2027."""
    return format_day_pattern(value, "d MMMM y")


def evidence_public(
    item: EvidenceItem, *, source_now: str | None = None, marker: str | None = None
) -> EvidenceItemPublic:
    data = item.model_dump()
    data["theme_names"] = [n.strip() for n in item.theme_names.split(",") if n.strip()]
    return EvidenceItemPublic(
        **data,
        source_now=source_now if source_now is not None else item.source_status,
        marker=marker,
    )


def evidence_view_public(ev: EvidenceView) -> EvidenceItemPublic:
    return evidence_public(ev.item, source_now=ev.source_now, marker=ev.marker)


def section_public(sv: SectionView) -> SectionPublic:
    s = sv.section
    return SectionPublic(
        id=s.id,
        section_key=s.section_key,
        position=s.position,
        heading=s.heading,
        body_markdown=s.body_markdown,
        easy_read_text=s.easy_read_text,
        heading_cy=s.heading_cy,
        body_markdown_cy=s.body_markdown_cy,
        easy_read_text_cy=s.easy_read_text_cy,
        evidence=[evidence_view_public(ev) for ev in sv.evidence],
    )


def version_public(version: object) -> VersionPublic:
    return VersionPublic.model_validate(version, from_attributes=True)


def version_detail(view: VersionView) -> VersionDetail:
    """The whole version with every evidence item's provenance: the JSON export."""
    return VersionDetail(
        **version_public(view.version).model_dump(),
        material_title=view.material.title,
        network_id=view.material.network_id,
        sections=[section_public(sv) for sv in view.sections],
    )


def material_public(summary: MaterialSummary) -> MaterialPublic:
    m = summary.material
    return MaterialPublic(
        id=m.id,
        network_id=m.network_id,
        title=m.title,
        created_at=m.created_at,
        updated_at=m.updated_at,
        latest_version=summary.latest.number if summary.latest else None,
        published_version=summary.published.number if summary.published else None,
        draft_version=summary.draft.number if summary.draft else None,
    )


def use_public(use: UseRef) -> UsePublic:
    return UsePublic(**use.__dict__)


def candidate_public(candidate: Candidate) -> CandidatePublic:
    c, p = candidate.contribution, candidate.provenance
    return CandidatePublic(
        contribution_id=c.id,
        text=c.text,
        kind=c.kind,
        evidence_type=c.evidence_type,
        author_role=c.author_role,
        created_at=c.created_at,
        group_id=p.group_id,
        group_name=p.group_name,
        meeting_id=p.meeting_id,
        meeting_number=p.meeting_number,
        cafe_id=p.cafe_id,
        cafe_title=p.cafe_title,
        table_name=p.table_name,
        round_number=p.round_number,
        question=p.question,
        theme_names=p.theme_names,
        used_in=[use_public(u) for u in candidate.uses],
    )


def _text_diff_public(diff: TextDiff) -> TextDiffPublic:
    return TextDiffPublic(changed=diff.changed, unified=diff.unified)


def _section_diff_public(sd: SectionDiff) -> SectionDiffPublic:
    return SectionDiffPublic(
        section_key=sd.key,
        status=sd.status,
        heading_old=sd.old.heading if sd.old else None,
        heading_new=sd.new.heading if sd.new else None,
        moved=sd.moved,
        heading=_text_diff_public(sd.heading),
        body=_text_diff_public(sd.body),
        easy_read=_text_diff_public(sd.easy_read),
        heading_cy=_text_diff_public(sd.heading_cy),
        body_cy=_text_diff_public(sd.body_cy),
        easy_read_cy=_text_diff_public(sd.easy_read_cy),
        evidence_added=[evidence_public(i) for i in sd.evidence_added],
        evidence_removed=[evidence_public(i) for i in sd.evidence_removed],
        paraphrase_changed=[
            ParaphraseChange(item_key=new.item_key, old=old.paraphrase, new=new.paraphrase)
            for old, new in sd.paraphrase_changed
        ],
    )


def diff_public(diff: VersionDiff) -> VersionDiffPublic:
    return VersionDiffPublic(
        material_id=diff.material.id,
        from_version=diff.old.number,
        to_version=diff.new.number,
        sections_added=diff.count("added"),
        sections_removed=diff.count("removed"),
        sections_changed=diff.count("changed"),
        evidence_added_by_group=dict(diff.added_by_group),
        sections=[_section_diff_public(sd) for sd in diff.sections],
    )


def shared_theme_public(theme: SharedTheme) -> SharedThemePublic:
    return SharedThemePublic(
        name=theme.name,
        key=theme.key,
        theme_ids=theme.theme_ids,
        group_count=theme.group_count,
        groups=[GroupCountPublic(**g.__dict__) for g in theme.groups],
        total=theme.total,
        by_role=theme.by_role,
        by_evidence_type=theme.by_evidence_type,
        by_kind=theme.by_kind,
        used=theme.used,
    )


def export_filename(*, view: VersionView, suffix: str, extension: str) -> str:
    """The download's name: the title as a slug, the version, the edition, the extension."""
    slug = re.sub(r"[^a-z0-9]+", "-", view.material.title.lower()).strip("-")[:60] or "material"
    return f"{slug}-v{view.version.number}{suffix}.{extension}"


def when(value: datetime | None) -> str:
    """A date for a page, or nothing."""
    return day(value) if value else ""
