"""What became of each evidence item's source contribution: read live, and kept up to date in
drafts whenever a contribution's status changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import get_history
from sqlmodel import Session, col, select

from app.i18n import N_
from app.models.evidence import Contribution, ContributionStatus
from app.models.material import (
    EvidenceItem,
    MaterialSection,
    MaterialVersion,
    SourceStatus,
    VersionStatus,
)
from app.services.material.reading import items_of, sections_of
from app.services.network import changes

# The note beside an evidence item whose contribution changed: whole sentences, so each
# language can order its words (translated where shown).
MARKERS_PUBLISHED: dict[str, str] = {
    SourceStatus.CURRENT: N_("Source since still visible. The published text is unchanged."),
    SourceStatus.HIDDEN: N_(
        "Source since hidden by the facilitator. The published text is unchanged."
    ),
    SourceStatus.WITHDRAWN: N_(
        "Source since withdrawn by its author. The published text is unchanged."
    ),
    SourceStatus.REMOVED: N_(
        "Source since removed with its café. The published text is unchanged."
    ),
    SourceStatus.ERASED: N_(
        "Source since erased: the words are no longer held. The published text is unchanged."
    ),
}
MARKERS_DRAFT: dict[str, str] = {
    SourceStatus.CURRENT: N_("Source still visible after it was merged."),
    SourceStatus.HIDDEN: N_("Source hidden by the facilitator after it was merged."),
    SourceStatus.WITHDRAWN: N_("Source withdrawn by its author after it was merged."),
    SourceStatus.REMOVED: N_("Source removed with its café after it was merged."),
    SourceStatus.ERASED: N_("Source erased: the words are no longer held after it was merged."),
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


def live_sources(*, session: Session, items: Iterable[EvidenceItem]) -> dict[int, str]:
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
        # An erased item stays erased: its words were replaced and cannot come back.
        i.id: SourceStatus.ERASED
        if i.source_status == SourceStatus.ERASED
        else source_for(status.get(i.contribution_id) if i.contribution_id else None)
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
    sections = sections_of(session=session, version=version)
    items = items_of(session=session, section_ids=[s.id for s in sections])
    live = live_sources(session=session, items=items)
    changed = 0
    for item in items:
        now_status = live[item.id]
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
        if isinstance(obj, Contribution):
            if get_history(obj, "status").has_changes():
                changed[obj.id] = source_for(obj.status)
    for contribution_id, status in changed.items():
        where = (
            col(EvidenceItem.contribution_id) == contribution_id,
            col(EvidenceItem.section_id).in_(_draft_section_ids()),
        )
        marked = session.execute(select(EvidenceItem.id).where(*where)).scalars()
        changes.touch_evidence(session=session, ids=marked)
        session.execute(
            update(EvidenceItem)
            .where(*where)
            .values(source_status=status)
            .execution_options(synchronize_session=False)
        )
