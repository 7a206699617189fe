"""Ogg voice notes (Vorbis or Opus, as phones and browsers record them).

Every page of the file must be an Ogg page of one and the same stream, whose first packet is
a Vorbis or Opus header: a second stream (a picture, a video) or bytes after the last page
are refused. The Vorbis comments (LOCATION, ARTIST, TITLE, …) and the vendor line are
emptied, and the data an Opus comment packet may carry after them is dropped; `mutagen`
rewrites the comment packet and reads the file again to check none is left.
"""

from __future__ import annotations

import io
from typing import Any

from mutagen import MutagenError
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from app.i18n import N_, _
from app.services.voice.errors import SILENT, NotAVoiceNote, unreadable

NOT_SOUND = N_(
    "This Ogg file does not hold sound as phones and browsers record it (Vorbis or Opus), "
    "so it cannot be added as a voice note."
)


def _codec(data: bytes) -> Any:
    """OggVorbis or OggOpus, once every page has been read as one stream's."""
    source = io.BytesIO(data)
    serial: int | None = None
    first = b""
    pages = 0
    while True:
        try:
            page = OggPage(source)
        except EOFError:
            break
        except (MutagenError, OSError) as exc:
            raise unreadable("Ogg") from exc
        if serial is None:
            serial = page.serial
            first = page.packets[0] if page.packets else b""
        elif page.serial != serial:
            raise NotAVoiceNote(_(NOT_SOUND))
        pages += 1
    if pages < 3:
        raise NotAVoiceNote(_(SILENT))
    if first.startswith(b"\x01vorbis"):
        return OggVorbis
    if first.startswith(b"OpusHead"):
        return OggOpus
    raise NotAVoiceNote(_(NOT_SOUND))


def clean(data: bytes) -> bytes:
    kind = _codec(data)
    buffer = io.BytesIO(data)
    try:
        parsed = kind(buffer)
        parsed.tags.vendor = ""
        if kind is OggOpus:
            parsed.tags._pad_data = b""  # what follows the comments is kept by mutagen
        parsed.delete(buffer)
        cleaned = buffer.getvalue()
        check = kind(io.BytesIO(cleaned))
    except MutagenError as exc:
        raise unreadable("Ogg") from exc
    if len(check.tags) or check.tags.vendor or check.info.length <= 0:
        raise unreadable("Ogg")
    return cleaned
