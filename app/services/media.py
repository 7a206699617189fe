"""Photos and voice notes on contributions: checked by content, cleaned, stored privately.

A file's type is read from its first bytes, never from its name or the browser's claim.
Photos are decoded and encoded again from their pixels alone, so no metadata survives
(EXIF with GPS position, camera serial, XMP, ICC, comments); voice notes must read as the
kind they start like all the way through, and lose every tag (`app.services.voice`). Files
get random names under the media directory and are served only to people of the café and its
facilitator.
"""

from __future__ import annotations

import io
import os
import secrets
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from PIL import ExifTags, Image, UnidentifiedImageError
from sqlmodel import Session, col, select

from app.i18n import N_, _
from app.models.cafe import Cafe, Participant
from app.models.evidence import Contribution, ContributionStatus, Media, MediaKind
from app.services import changes, roles, voice
from app.services.board.posting import check_changeable, own_contribution
from app.services.errors import DomainError, NotFound

PHOTO_MAX = 8 * 1024 * 1024
VOICE_MAX = 10 * 1024 * 1024
UPLOAD_MAX = max(PHOTO_MAX, VOICE_MAX)
# A phone camera's photo is 12-16 megapixels. Decoding costs 3-4 bytes a pixel whatever the
# file's size on disk: a 145 KB single-colour PNG of 50 megapixels took ~550 MB.
MAX_PIXELS = 24_000_000
# Pillow refuses to open anything larger anywhere in the process (it warns above this and
# raises above twice this; here both are refusals).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
DECODE_AT_ONCE = 2  # photos decoded at a time (2 cores); the others wait their turn
DECODING = threading.BoundedSemaphore(DECODE_AT_ONCE)
LONG_EDGE = 2560  # enough to read handwriting on a paper tablecloth
SNIFF_BYTES = 64
STALE_PART_SECONDS = 3600  # a `.part` this old was left by a crash, not a write under way


class TooLarge(DomainError):
    status_code = 413


class UnsupportedType(DomainError):
    status_code = 415


@dataclass(frozen=True)
class FileType:
    kind: MediaKind
    content_type: str
    ext: str
    label: str


JPEG = FileType(MediaKind.PHOTO, "image/jpeg", "jpg", "JPEG")
PNG = FileType(MediaKind.PHOTO, "image/png", "png", "PNG")
WEBP = FileType(MediaKind.PHOTO, "image/webp", "webp", "WEBP")
WEBM = FileType(MediaKind.VOICE, "audio/webm", "webm", "WebM")
OGG = FileType(MediaKind.VOICE, "audio/ogg", "ogg", "Ogg")
MP4 = FileType(MediaKind.VOICE, "audio/mp4", "m4a", "MP4")
MPEG = FileType(MediaKind.VOICE, "audio/mpeg", "mp3", "MP3")
WAV = FileType(MediaKind.VOICE, "audio/wav", "wav", "WAV")

TOO_MANY_PIXELS = N_(
    "This photo has too many pixels. Photos can be up to %(num)s megapixels, "
    "as a phone camera takes them; please send a smaller one."
)
# How to turn a photo upright from its EXIF orientation (as `ImageOps.exif_transpose`).
TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

UNSUPPORTED = N_(
    "This kind of file cannot be added. Photos can be JPEG, PNG or WebP; voice notes WebM, "
    "Ogg, M4A, MP3 or WAV."
)


def sniff(head: bytes) -> FileType | None:
    """The file type from its first bytes (magic numbers), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:SNIFF_BYTES]:
        return WEBM
    if head.startswith(b"OggS"):
        return OGG
    if head[4:8] == b"ftyp":
        return MP4
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MPEG
    return None


def limit_for(kind: MediaKind) -> int:
    return PHOTO_MAX if kind == MediaKind.PHOTO else VOICE_MAX


def too_large_message(kind: MediaKind | None) -> str:
    if kind == MediaKind.PHOTO:
        return _("This photo is too large. Photos can be up to %(num)s MB.", num=PHOTO_MAX // 2**20)
    if kind == MediaKind.VOICE:
        return _(
            "This voice note is too large. Voice notes can be up to %(num)s MB.",
            num=VOICE_MAX // 2**20,
        )
    return _(
        "This file is too large. Photos can be up to %(photo)s MB and voice notes "
        "up to %(voice)s MB.",
        photo=PHOTO_MAX // 2**20,
        voice=VOICE_MAX // 2**20,
    )


def clean_photo(*, source: BinaryIO, kind: FileType) -> bytes:
    """Decode, turn upright, shrink if huge, and encode again from the pixels alone.

    At most `DECODE_AT_ONCE` photos are decoded at a time, each within a memory bound.
    """
    with DECODING:
        bare = decode_small(source=source, kind=kind)
        out = io.BytesIO()
        if kind is JPEG:
            bare.save(out, "JPEG", quality=85, optimize=True)
        elif kind is PNG:
            bare.save(out, "PNG", optimize=True)
        else:
            bare.save(out, "WEBP", quality=85)
        return out.getvalue()


def decode_small(*, source: BinaryIO, kind: FileType) -> Image.Image:
    """The photo's pixels alone, upright, at most `LONG_EDGE` on the long side.

    Its size is read from the header before any pixel is decoded, and refused above
    `MAX_PIXELS`. A JPEG is decoded already scaled down (1/2, 1/4 or 1/8: `draft`); other
    kinds are decoded whole, then shrunk in place before anything else is copied.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=[kind.label]) as opened:
                if opened.width * opened.height > MAX_PIXELS:
                    raise TooLarge(_(TOO_MANY_PIXELS, num=MAX_PIXELS // 1_000_000))
                opened.draft(None, fitted(opened.size))
                opened.load()
                turn = TURNS.get(opened.getexif().get(ExifTags.Base.Orientation, 1))
                keeps_alpha = kind is not JPEG and (
                    opened.mode in {"RGBA", "LA", "PA"} or "transparency" in opened.info
                )
                mode = "RGBA" if keeps_alpha else "RGB"
                image = opened if opened.mode == mode else opened.convert(mode)
                image.thumbnail((LONG_EDGE, LONG_EDGE))
                if turn is not None:
                    image = image.transpose(turn)
                # A new image made from raw pixels carries no info dict at all: nothing to leak.
                return Image.frombytes(image.mode, image.size, image.tobytes())
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLarge(_(TOO_MANY_PIXELS, num=MAX_PIXELS // 1_000_000)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnsupportedType(
            _("This photo could not be read. It may be damaged; please take it again.")
        ) from exc


def fitted(size: tuple[int, int]) -> tuple[int, int]:
    """The size a photo is shrunk to, keeping its shape (what `thumbnail` makes)."""
    width, height = size
    scale = min(1.0, LONG_EDGE / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class Prepared:
    """An upload checked and cleaned, ready to store."""

    type: FileType
    data: bytes


def prepare(*, source: BinaryIO, size: int) -> Prepared:
    """Check an upload by its content and size; photos are decoded and encoded again.

    This is the slow part (a large photo takes a while), so it runs outside any transaction.
    """
    if size == 0:
        raise UnsupportedType(_("The file is empty. Please choose a photo or a voice note."))
    source.seek(0)
    kind = sniff(source.read(SNIFF_BYTES))
    source.seek(0)
    if kind is None:
        raise UnsupportedType(_(UNSUPPORTED))
    if size > limit_for(kind.kind):
        raise TooLarge(too_large_message(kind.kind))
    if kind.kind == MediaKind.PHOTO:
        data = clean_photo(source=source, kind=kind)
    else:
        data = voice.clean(data=source.read(), ext=kind.ext)
    return Prepared(type=kind, data=data)


def attach(
    *,
    session: Session,
    media_dir: Path,
    cafe: Cafe,
    person: Participant,
    contribution_id: int,
    prepared: Prepared,
    now: datetime,
) -> Media:
    """Attach a prepared photo or voice note to one's own contribution during its round.

    A contribution has at most one photo and one voice note: a new one replaces the old.
    """
    # The file goes to disk before the first query, so no transaction waits on the disk.
    relative = f"{cafe.id}/{secrets.token_hex(16)}.{prepared.type.ext}"
    path = media_dir / relative
    write_whole(path, prepared.data)
    try:
        contribution = own_contribution(
            session=session, cafe=cafe, person=person, contribution_id=contribution_id
        )
        check_changeable(session=session, cafe=cafe, contribution=contribution)
        replaced = list(
            session.exec(
                select(Media).where(
                    Media.contribution_id == contribution.id, Media.kind == prepared.type.kind
                )
            )
        )
        item = Media(
            contribution_id=contribution.id,
            kind=prepared.type.kind,
            content_type=prepared.type.content_type,
            path=relative,
            size=len(prepared.data),
            created_at=now,
        )
        for old in replaced:
            session.delete(old)
        session.add(item)
        contribution.updated_at = now
        contribution.change_seq = changes.take(
            connection=session.connection(), cafe_id=contribution.cafe_id
        )
        session.add(contribution)
        session.commit()
    except BaseException:
        session.rollback()
        path.unlink(missing_ok=True)
        raise
    for old in replaced:
        remove_file(media_dir=media_dir, relative=old.path)
    return item


def write_whole(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all: it goes to a `.part` file first, renamed
    into place once complete. A write that fails (a full disk: ENOSPC) removes what it had
    written and raises; a `.part` left by a crash is swept at the next start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def remove_stale_parts(media_dir: Path, *, older_than: float = STALE_PART_SECONDS) -> int:
    """Remove `.part` files older than `older_than` seconds (a write cut short by a crash;
    one under way is younger). Returns how many were removed."""
    cutoff = time.time() - older_than
    removed = 0
    # Cafés' files sit in `{cafe_id}/`, materials' in `materials/{network_id}/`.
    parts = [*media_dir.glob("*.part"), *media_dir.glob("*/*.part"), *media_dir.glob("*/*/*.part")]
    for part in parts:
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def remove_file(*, media_dir: Path, relative: str) -> None:
    path = safe_path(media_dir=media_dir, relative=relative)
    if path is not None:
        path.unlink(missing_ok=True)


def safe_path(*, media_dir: Path, relative: str) -> Path | None:
    """The file's path, refusing anything that would leave the media directory."""
    root = media_dir.resolve()
    path = (root / relative).resolve()
    return path if path.is_relative_to(root) else None


def media_of(*, session: Session, media_id: int) -> tuple[Media, Contribution, Cafe] | None:
    """A media item with its contribution and café, or None."""
    row = session.exec(
        select(Media, Contribution, Cafe)
        .join(Contribution, col(Contribution.id) == Media.contribution_id)
        .join(Cafe, col(Cafe.id) == Contribution.cafe_id)
        .where(Media.id == media_id)
    ).first()
    return (row[0], row[1], row[2]) if row else None


def check_visible(
    *,
    session: Session,
    contribution: Contribution,
    cafe: Cafe,
    facilitator_id: int | None,
    person: Participant | None,
) -> None:
    """Its café's owner and co-facilitators (who moderate) see every file; a person of the
    café sees the files of cards on show and their own. Everyone else is told there is
    nothing here."""
    if facilitator_id is not None and roles.may_run_cafe(
        session=session, facilitator_id=facilitator_id, cafe=cafe
    ):
        return
    if person is None or person.cafe_id != cafe.id:
        raise NotFound(_("There is nothing at this address."))
    mine = contribution.participant_id == person.id
    if contribution.status != ContributionStatus.VISIBLE and not mine:
        raise NotFound(_("There is nothing at this address."))
