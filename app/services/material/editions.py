"""The files of a material's easy-read and audio editions: a picture beside a section's
easy-read text (with the words that say what it shows) and a recording of the section read
aloud.

Uploads are checked and cleaned as contributions' photos and voice notes are
(`app.services.media`): by their content, pictures encoded again from their pixels alone,
recordings without their tags. Files go under `materials/{network_id}/` in the media
directory with random names. A version copied to a new draft shares its files (the rows are
copied, not the bytes), so a file is removed from disk only once no row names it any more."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session, col, select

from app.i18n import N_, _
from app.models.evidence import MediaKind
from app.models.material import Material, MaterialSection, MaterialVersion
from app.models.material_editions import MAX_ALT, SectionFile, SectionFileKind
from app.models.network import Network
from app.services import media as media_service
from app.services.errors import DomainError, Invalid, NotFound
from app.services.material.reading import version_of

PICTURE_TYPES = N_("This picture cannot be added. Pictures can be JPEG, PNG or WebP.")
RECORDING_TYPES = N_(
    "This recording cannot be added. Recordings can be WebM, Ogg, M4A, MP3 or WAV."
)
ALT_NEEDED = N_(
    "Say in a few words what the picture shows (for people who cannot see it), "
    "then choose the picture again."
)
# Characters that are not text (as `app.kit.text` refuses them in forms and JSON).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
KIND_WORDS = {SectionFileKind.PICTURE: "picture", SectionFileKind.RECORDING: "recording"}


def folder_of(network_id: int) -> str:
    """Where a network's material files live, relative to the media directory."""
    return f"materials/{network_id}"


def clean_alt(alt_text: str) -> str:
    """The picture's description on one line; refused when empty, too long or not text."""
    alt = " ".join(alt_text.split())
    if CONTROL.search(alt):
        raise Invalid(_("The description of the picture holds characters that are not text."))
    if not alt:
        raise Invalid(_(ALT_NEEDED))
    if len(alt) > MAX_ALT:
        raise Invalid(
            _("Keep the description of the picture to %(max)s characters or fewer.", max=MAX_ALT)
        )
    return alt


def prepare(*, kind: SectionFileKind, source: BinaryIO, size: int) -> media_service.Prepared:
    """Check an upload for a section by its content and size, and clean it: this is the slow
    part, so it runs before any transaction. A picture must be a photo's kind, a recording a
    voice note's."""
    if size == 0:
        raise media_service.UnsupportedType(
            _("The file is empty. Please choose a picture.")
            if kind == SectionFileKind.PICTURE
            else _("The file is empty. Please choose a recording.")
        )
    source.seek(0)
    sniffed = media_service.sniff(source.read(media_service.SNIFF_BYTES))
    source.seek(0)
    wanted = MediaKind.PHOTO if kind == SectionFileKind.PICTURE else MediaKind.VOICE
    if sniffed is None or sniffed.kind != wanted:
        raise media_service.UnsupportedType(
            _(PICTURE_TYPES if kind == SectionFileKind.PICTURE else RECORDING_TYPES)
        )
    return media_service.prepare(source=source, size=size)


def files_of(*, session: Session, section_ids: Sequence[int]) -> list[SectionFile]:
    if not section_ids:
        return []
    return list(
        session.exec(
            select(SectionFile)
            .where(col(SectionFile.section_id).in_(section_ids))
            .order_by(col(SectionFile.id))
        )
    )


@dataclass
class SectionFiles:
    """A section's picture and recording, either of which may be missing."""

    picture: SectionFile | None = None
    recording: SectionFile | None = None


def files_by_section(*, session: Session, section_ids: Sequence[int]) -> dict[int, SectionFiles]:
    out = {section_id: SectionFiles() for section_id in section_ids}
    for item in files_of(session=session, section_ids=section_ids):
        setattr(out[item.section_id], KIND_WORDS[SectionFileKind(item.kind)], item)
    return out


def network_of_section(*, session: Session, section: MaterialSection) -> int:
    version = version_of(session=session, section=section)
    material = session.get(Material, version.material_id)
    assert material is not None
    return material.network_id


def attach(
    *,
    session: Session,
    media_dir: Path,
    section: MaterialSection,
    kind: SectionFileKind,
    prepared: media_service.Prepared,
    alt_text: str = "",
    now: datetime,
) -> SectionFile:
    """Give a section (of a draft or a published version: the text does not change) its
    picture or recording; a new one replaces the old. A picture needs its description."""
    alt = clean_alt(alt_text) if kind == SectionFileKind.PICTURE else ""
    network_id = network_of_section(session=session, section=section)
    relative = f"{folder_of(network_id)}/{secrets.token_hex(16)}.{prepared.type.ext}"
    path = media_dir / relative
    media_service.write_whole(path, prepared.data)
    try:
        old = _file_of(session, section.id, kind)
        old_path = old.path if old is not None else None
        if old is not None:
            session.delete(old)
            session.flush()
        item = SectionFile(
            section_id=section.id,
            kind=kind,
            content_type=prepared.type.content_type,
            path=relative,
            size=len(prepared.data),
            alt_text=alt,
            created_at=now,
        )
        session.add(item)
        _touch(session, section, now)
        session.commit()
    except BaseException:
        session.rollback()
        path.unlink(missing_ok=True)
        raise
    session.refresh(item)
    if old_path is not None:
        remove_unreferenced(session=session, media_dir=media_dir, paths=[old_path])
    return item


def _touch(session: Session, section: MaterialSection, now: datetime) -> None:
    material = session.get(Material, version_of(session=session, section=section).material_id)
    if material is not None:
        material.updated_at = now
        session.add(material)


def _file_of(session: Session, section_id: int, kind: SectionFileKind) -> SectionFile | None:
    return session.exec(
        select(SectionFile).where(SectionFile.section_id == section_id, SectionFile.kind == kind)
    ).first()


def remove(
    *,
    session: Session,
    media_dir: Path,
    section: MaterialSection,
    kind: SectionFileKind,
    now: datetime,
) -> bool:
    """Take a section's picture or recording away (its file goes once nothing names it).
    False when it had none (removing twice is no error)."""
    found = _file_of(session, section.id, kind)
    if found is None:
        return False
    relative = found.path
    session.delete(found)
    _touch(session, section, now)
    session.commit()
    remove_unreferenced(session=session, media_dir=media_dir, paths=[relative])
    return True


def copy_to(*, session: Session, pairs: Iterable[tuple[int, int]]) -> None:
    """Give each new section (second of each pair) the files of the old one (first), sharing
    the files on disk; the caller commits."""
    by_old = dict(pairs)
    for item in files_of(session=session, section_ids=list(by_old)):
        session.add(
            SectionFile(
                **item.model_dump(exclude={"id", "section_id"}),
                section_id=by_old[item.section_id],
            )
        )


def paths_of_material(*, session: Session, material_id: int) -> list[str]:
    """Every file of a material's sections, in any version (read before deleting it)."""
    return list(
        session.exec(
            select(SectionFile.path)
            .join(MaterialSection, col(MaterialSection.id) == SectionFile.section_id)
            .join(MaterialVersion, col(MaterialVersion.id) == MaterialSection.version_id)
            .where(MaterialVersion.material_id == material_id)
        )
    )


def paths_of_section(*, session: Session, section_id: int) -> list[str]:
    return list(session.exec(select(SectionFile.path).where(SectionFile.section_id == section_id)))


def remove_unreferenced(*, session: Session, media_dir: Path, paths: Iterable[str]) -> int:
    """Remove from disk those of `paths` no row names any more (after a delete committed).
    Returns how many files went."""
    wanted = set(paths)
    if not wanted:
        return 0
    still = set(
        session.exec(select(SectionFile.path).where(col(SectionFile.path).in_(wanted)).distinct())
    )
    gone = wanted - still
    for relative in gone:
        media_service.remove_file(media_dir=media_dir, relative=relative)
    return len(gone)


def file_path(*, media_dir: Path, item: SectionFile) -> Path:
    """The file on disk, or NotFound when it is gone (or would leave the media directory)."""
    path = media_service.safe_path(media_dir=media_dir, relative=item.path)
    if path is None or not path.is_file():
        raise NotFound(_("This file is no longer here."))
    return path


def file_for_lead(*, session: Session, facilitator_id: int, file_id: int) -> SectionFile:
    """A picture or recording of a material in a network the facilitator leads."""
    row = session.exec(
        select(SectionFile, Network.facilitator_id)
        .join(MaterialSection, col(MaterialSection.id) == SectionFile.section_id)
        .join(MaterialVersion, col(MaterialVersion.id) == MaterialSection.version_id)
        .join(Material, col(Material.id) == MaterialVersion.material_id)
        .join(Network, col(Network.id) == Material.network_id)
        .where(SectionFile.id == file_id)
    ).first()
    if row is None or row[1] != facilitator_id:
        raise NotFound(_("There is nothing at this address."))
    return row[0]


def refusal_words(error: DomainError, kind: SectionFileKind) -> str:
    """An upload refused while it streamed in, said for a section's picture or recording
    (the shared reader speaks of photos and voice notes)."""
    if isinstance(error, media_service.TooLarge):
        if kind == SectionFileKind.PICTURE:
            limit = media_service.PHOTO_MAX // 2**20
            return _("This picture is too large. Pictures can be up to %(limit)s MB.", limit=limit)
        limit = media_service.VOICE_MAX // 2**20
        return _("This recording is too large. Recordings can be up to %(limit)s MB.", limit=limit)
    if isinstance(error, media_service.UnsupportedType) and error.detail in {
        media_service.UNSUPPORTED,
        _(media_service.UNSUPPORTED),
    }:
        return _(PICTURE_TYPES if kind == SectionFileKind.PICTURE else RECORDING_TYPES)
    return error.detail
