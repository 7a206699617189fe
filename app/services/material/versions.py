"""Writing materials: create, rename and delete them, edit a draft's sections, publish a draft
and start the next version. Every write locks the material row first."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from app.i18n import N_, _, format_number
from app.models.material import (
    MAX_BODY,
    MAX_EASY_READ,
    MAX_HEADING,
    MAX_TITLE,
    EvidenceItem,
    Material,
    MaterialCreate,
    MaterialSection,
    MaterialVersion,
    VersionStatus,
)
from app.models.network import Network
from app.services.errors import Conflict, Invalid, NotFound
from app.services.material import editions
from app.services.material.consent import redact_unconsented
from app.services.material.importing import import_markdown
from app.services.material.reading import items_of, list_versions, sections_of, version_of
from app.services.material.sources import live_sources, sync_draft_marks

MAX_SECTIONS = 200
BODY_TOO_LONG = N_("The section “%(heading)s” is longer than %(max)s characters.")
EASY_TOO_LONG = N_("The easy-read text of “%(heading)s” is longer than %(max)s characters.")
WELSH_TOO_LONG = N_("The Welsh text of “%(heading)s” is longer than %(max)s characters.")
WELSH_EASY_TOO_LONG = N_(
    "The Welsh easy-read text of “%(heading)s” is longer than %(max)s characters."
)


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
        raise NotFound(_("No such material."))
    return material


def lock_draft(*, session: Session, version: MaterialVersion) -> MaterialVersion:
    """Lock the version's material and refuse if the version is no longer a draft."""
    _lock_material(session, version.material_id)
    session.refresh(version)
    if version.status != VersionStatus.DRAFT:
        raise Conflict(
            _(
                "Version %(number)s is published and can no longer change. "
                "Start the next version to make changes.",
                number=version.number,
            )
        )
    return version


def touch(*, session: Session, version: MaterialVersion, now: datetime) -> None:
    """Mark the version's material as changed now."""
    material = session.get(Material, version.material_id)
    if material is not None:
        material.updated_at = now
        session.add(material)


def _clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise Invalid(_("Give the material a title."))
    if len(cleaned) > MAX_TITLE:
        raise Invalid(_("Keep the title to %(max)s characters or fewer.", max=MAX_TITLE))
    return cleaned


def _clean_text(text: str, limit: int, message: str, heading: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise Invalid(_(message, heading=heading[:60], max=format_number(limit)))
    return text


def _clean_section(heading: str, body: str, easy_read: str) -> tuple[str, str, str]:
    head = " ".join(heading.split())
    if not head:
        raise Invalid(_("Every section needs a heading."))
    if len(head) > MAX_HEADING:
        raise Invalid(_("Keep section headings to %(max)s characters or fewer.", max=MAX_HEADING))
    body = _clean_text(body, MAX_BODY, BODY_TOO_LONG, head)
    easy_read = _clean_text(easy_read, MAX_EASY_READ, EASY_TOO_LONG, head)
    return head, body, easy_read


def _clean_welsh(
    heading: str, heading_cy: str | None, body_cy: str, easy_read_cy: str
) -> tuple[str | None, str, str]:
    """A section's optional Welsh heading, text and easy-read text, tidied like the English;
    an empty Welsh heading is none (null), so readers get the English one."""
    head_cy = " ".join((heading_cy or "").split()) or None
    if head_cy is not None and len(head_cy) > MAX_HEADING:
        raise Invalid(_("Keep the Welsh heading to %(max)s characters or fewer.", max=MAX_HEADING))
    return (
        head_cy,
        _clean_text(body_cy, MAX_BODY, WELSH_TOO_LONG, heading),
        _clean_text(easy_read_cy, MAX_EASY_READ, WELSH_EASY_TOO_LONG, heading),
    )


# --- materials ------------------------------------------------------------------------------


def create_material(
    *, session: Session, network: Network, data: MaterialCreate, now: datetime
) -> Material:
    """A new material with version 1 as a draft holding the given (or imported) sections."""
    sections = data.sections
    title = data.title
    if data.markdown is not None:
        if sections:
            raise Invalid(_("Give either sections or Markdown to import, not both."))
        imported = import_markdown(data.markdown)
        sections, title = imported.sections, title.strip() or imported.title
    title = _clean_title(title)
    if len(sections) > MAX_SECTIONS:
        raise Invalid(_("A material can have at most %(max)s sections.", max=MAX_SECTIONS))
    cleaned = [
        (
            *_clean_section(s.heading, s.body_markdown, s.easy_read_text),
            *_clean_welsh(s.heading, s.heading_cy, s.body_markdown_cy, s.easy_read_text_cy),
        )
        for s in sections
    ]
    material = Material(network_id=network.id, title=title, created_at=now, updated_at=now)
    session.add(material)
    session.flush()
    version = MaterialVersion(material_id=material.id, number=1, created_at=now)
    session.add(version)
    session.flush()
    for position, (heading, body, easy_read, head_cy, body_cy, easy_cy) in enumerate(
        cleaned, start=1
    ):
        session.add(
            MaterialSection(
                version_id=version.id,
                position=position,
                heading=heading,
                body_markdown=body,
                easy_read_text=easy_read,
                heading_cy=head_cy,
                body_markdown_cy=body_cy,
                easy_read_text_cy=easy_cy,
            )
        )
    session.commit()
    return material


def rename_material(*, session: Session, material: Material, title: str, now: datetime) -> Material:
    material = _lock_material(session, material.id)
    material.title = _clean_title(title)
    material.updated_at = now
    session.add(material)
    session.commit()
    return material


def delete_material(*, session: Session, material: Material, media_dir: Path | None = None) -> None:
    """Delete a material that was never published; published evidence is kept for good.
    Its pictures and recordings go from `media_dir` with it."""
    material = _lock_material(session, material.id)
    published = session.exec(
        select(func.count())
        .select_from(MaterialVersion)
        .where(
            MaterialVersion.material_id == material.id,
            MaterialVersion.status == VersionStatus.PUBLISHED,
        )
    ).one()
    if published:
        raise Conflict(_("This material has published versions, so it cannot be deleted."))
    paths = editions.paths_of_material(session=session, material_id=material.id)
    session.delete(material)
    session.commit()
    if media_dir is not None:
        editions.remove_unreferenced(session=session, media_dir=media_dir, paths=paths)


# --- a draft's sections -----------------------------------------------------------------------


def _renumber(session: Session, version: MaterialVersion) -> list[MaterialSection]:
    sections = sections_of(session=session, version=version)
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
    heading_cy: str | None = None,
    body_markdown_cy: str = "",
    easy_read_text_cy: str = "",
    now: datetime,
) -> MaterialSection:
    """Append a section to a draft version."""
    lock_draft(session=session, version=version)
    head, body, easy = _clean_section(heading, body_markdown, easy_read_text)
    head_cy, body_cy, easy_cy = _clean_welsh(head, heading_cy, body_markdown_cy, easy_read_text_cy)
    count = len(sections_of(session=session, version=version))
    if count >= MAX_SECTIONS:
        raise Invalid(_("A material can have at most %(max)s sections.", max=MAX_SECTIONS))
    section = MaterialSection(
        version_id=version.id,
        position=count + 1,
        heading=head,
        body_markdown=body,
        easy_read_text=easy,
        heading_cy=head_cy,
        body_markdown_cy=body_cy,
        easy_read_text_cy=easy_cy,
    )
    session.add(section)
    touch(session=session, version=version, now=now)
    session.commit()
    return section


def update_section(
    *,
    session: Session,
    section: MaterialSection,
    heading: str,
    body_markdown: str,
    easy_read_text: str,
    heading_cy: str | None = None,
    body_markdown_cy: str | None = None,
    easy_read_text_cy: str | None = None,
    now: datetime,
) -> MaterialSection:
    """Change a section's heading, text and easy-read text in a draft, and its Welsh heading,
    text and easy-read text where given (None keeps them; an empty Welsh heading takes it
    away)."""
    version = version_of(session=session, section=section)
    lock_draft(session=session, version=version)
    session.refresh(section)
    head, body, easy = _clean_section(heading, body_markdown, easy_read_text)
    head_cy, body_cy, easy_cy = _clean_welsh(
        head,
        section.heading_cy if heading_cy is None else heading_cy,
        section.body_markdown_cy if body_markdown_cy is None else body_markdown_cy,
        section.easy_read_text_cy if easy_read_text_cy is None else easy_read_text_cy,
    )
    section.heading, section.body_markdown, section.easy_read_text = head, body, easy
    section.heading_cy = head_cy
    section.body_markdown_cy, section.easy_read_text_cy = body_cy, easy_cy
    session.add(section)
    touch(session=session, version=version, now=now)
    session.commit()
    return section


def move_section(
    *, session: Session, section: MaterialSection, position: int, now: datetime
) -> MaterialSection:
    """Move a section to another place (1 = first) in a draft."""
    version = version_of(session=session, section=section)
    lock_draft(session=session, version=version)
    sections = _renumber(session, version)
    moving = next(s for s in sections if s.id == section.id)
    sections.remove(moving)
    sections.insert(max(0, min(position - 1, len(sections))), moving)
    for number, s in enumerate(sections, start=1):
        s.position = number
        session.add(s)
    touch(session=session, version=version, now=now)
    session.commit()
    session.refresh(section)
    return section


def delete_section(
    *, session: Session, section: MaterialSection, now: datetime, media_dir: Path | None = None
) -> None:
    """Remove a section (and the evidence merged into it) from a draft; its picture and
    recording go from `media_dir` unless an earlier version still has them."""
    version = version_of(session=session, section=section)
    lock_draft(session=session, version=version)
    paths = editions.paths_of_section(session=session, section_id=section.id)
    session.delete(section)
    session.flush()
    _renumber(session, version)
    touch(session=session, version=version, now=now)
    session.commit()
    if media_dir is not None:
        editions.remove_unreferenced(session=session, media_dir=media_dir, paths=paths)


# --- publishing and the next version -------------------------------------------------------


def publish_version(
    *, session: Session, version: MaterialVersion, note: str = "", now: datetime
) -> MaterialVersion:
    """Freeze a draft: from now on it reads the same for everyone, for good."""
    lock_draft(session=session, version=version)
    if not sections_of(session=session, version=version):
        raise Invalid(_("Add at least one section before publishing."))
    note = note.strip()
    if len(note) > 1000:
        raise Invalid(_("Keep the note about this version to 1000 characters or fewer."))
    sync_draft_marks(session=session, version=version)
    # Consent may have gone since the merge by a path that did not redact (an erased
    # author): nothing without consent is ever published.
    redact_unconsented(
        session=session,
        section_ids=[s.id for s in sections_of(session=session, version=version)],
        now=now,
    )
    version.status = VersionStatus.PUBLISHED
    version.published_at = now
    version.note = note
    session.add(version)
    touch(session=session, version=version, now=now)
    session.commit()
    return version


def start_next_version(*, session: Session, material: Material, now: datetime) -> MaterialVersion:
    """A new draft that starts as a copy of the newest published version."""
    material = _lock_material(session, material.id)
    versions = list_versions(session=session, material=material, limit=100_000)
    draft = next((v for v in versions if v.status == VersionStatus.DRAFT), None)
    if draft is not None:
        raise Conflict(
            _("Version %(number)s is still a draft: publish it first.", number=draft.number)
        )
    base = next((v for v in reversed(versions) if v.status == VersionStatus.PUBLISHED), None)
    if base is None:
        raise Conflict(_("Publish the first version before starting the next one."))
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
        raise Conflict(_("Another version was started at the same moment; reload.")) from exc
    old_sections = sections_of(session=session, version=base)
    items = items_of(session=session, section_ids=[s.id for s in old_sections])
    live = live_sources(session=session, items=items)
    by_section: dict[int, list[EvidenceItem]] = defaultdict(list)
    for item in items:
        by_section[item.section_id].append(item)
    copied: list[tuple[int, int]] = []
    for old in old_sections:
        copy = MaterialSection(
            version_id=nxt.id,
            position=old.position,
            heading=old.heading,
            body_markdown=old.body_markdown,
            easy_read_text=old.easy_read_text,
            heading_cy=old.heading_cy,
            body_markdown_cy=old.body_markdown_cy,
            easy_read_text_cy=old.easy_read_text_cy,
            section_key=old.section_key,
        )
        session.add(copy)
        session.flush()
        copied.append((old.id, copy.id))
        for item in by_section.get(old.id, []):
            data = item.model_dump(exclude={"id", "section_id", "source_status", "created_at"})
            session.add(
                EvidenceItem(
                    **data,
                    section_id=copy.id,
                    source_status=live[item.id],
                    created_at=item.created_at,
                )
            )
    # The easy-read pictures and recordings come along (sharing the files on disk).
    editions.copy_to(session=session, pairs=copied)
    touch(session=session, version=nxt, now=now)
    session.commit()
    return nxt
