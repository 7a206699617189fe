"""WAV voice notes.

The RIFF chunks must tile the file (the sound may run short at the end, as when a recorder
stopped mid-write). Only the format, fact and data chunks are kept: INFO lists (name,
artist, comments), `id3 ` chunks, `bext` (the broadcast originator) and the rest go.
`mutagen` then reads the cleaned file as WAV and must find sound and no tag.
"""

from __future__ import annotations

import io
import struct

from mutagen import MutagenError
from mutagen.wave import WAVE

from app.i18n import _
from app.services.voice.errors import SILENT, NotAVoiceNote, unreadable

_KEPT = (b"fmt ", b"fact", b"data")


def clean(data: bytes) -> bytes:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise unreadable("WAV")
    kept = [b"WAVE"]
    at = 12
    while at < len(data):
        if len(data) - at < 8:
            if any(data[at:]):
                raise unreadable("WAV")
            break
        kind, size = struct.unpack_from("<4sI", data, at)
        stop = at + 8 + size
        if stop > len(data):
            if kind != b"data":
                raise unreadable("WAV")
            stop = len(data)
            size = stop - at - 8
        if kind in _KEPT:
            chunk = struct.pack("<4sI", kind, size) + data[at + 8 : stop]
            kept.append(chunk + (b"\x00" if size % 2 else b""))
        at = stop + (size % 2)
    body = b"".join(kept)
    cleaned = b"RIFF" + struct.pack("<I", len(body)) + body
    try:
        parsed = WAVE(io.BytesIO(cleaned))
    except MutagenError as exc:
        raise unreadable("WAV") from exc
    if parsed.tags is not None:
        raise unreadable("WAV")
    if parsed.info.length <= 0:
        raise NotAVoiceNote(_(SILENT))
    return cleaned
