"""M4A/MP4 voice notes.

The boxes must tile the whole file, the first being `ftyp`, and `mutagen` must find an audio
track. Every user-data (`udta`), metadata (`meta`: `ilst` with ©nam, ©xyz, …) and `uuid` box
(XMP lives in one), at any depth of the boxes that hold others, becomes a `free` box of the
same size with its bytes zeroed; so do the contents of `free`/`skip`/`wide` boxes (a tag
editor leaves old tags in them) and any top-level box that is not part of the sound. Nothing
moves, so the offsets into the sound stay right. A file with a video track, or an image in
an MP4-like wrapper (HEIC, AVIF), is refused.
"""

from __future__ import annotations

import io
import struct

from mutagen import MutagenError
from mutagen.mp4 import MP4

from app.i18n import _
from app.services.voice.errors import SILENT, VIDEO, NotAVoiceNote, unreadable

# Boxes that hold descriptions rather than sound, wherever they are found.
_BLANKED = {b"udta", b"meta", b"uuid", b"free", b"skip", b"wide"}
# Boxes whose children are looked into.
_CONTAINERS = {
    b"moov",
    b"trak",
    b"mdia",
    b"minf",
    b"stbl",
    b"edts",
    b"dinf",
    b"mvex",
    b"moof",
    b"traf",
    b"mfra",
}
# Top-level boxes kept as they are: the rest are blanked.
_TOP_KEPT = {b"ftyp", b"moov", b"mdat", b"moof", b"mfra", b"sidx", b"styp"}
_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}

Box = tuple[bytes, int, int, int]  # type, box start, payload start, box end


def _boxes(data: bytearray, start: int, end: int) -> list[Box]:
    """The boxes that tile start..end exactly, or `NotAVoiceNote`."""
    found = []
    at = start
    while at < end:
        if at + 8 > end:
            raise unreadable("M4A")
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                raise unreadable("M4A")
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise unreadable("M4A")
        found.append((kind, at, at + header, at + size))
        at += size
    return found


def _blank(data: bytearray, box_start: int, payload: int, box_end: int) -> None:
    """Turn a box into a `free` box of the same size (a 64-bit size stays as it is), its
    contents zeroed."""
    data[box_start + 4 : box_start + 8] = b"free"
    data[payload:box_end] = bytes(box_end - payload)


def _walk(data: bytearray, boxes: list[Box]) -> None:
    for kind, start, inner, stop in boxes:
        if kind in _BLANKED:
            _blank(data, start, inner, stop)
        elif kind == b"hdlr" and data[inner + 8 : inner + 12] == b"vide":
            raise NotAVoiceNote(_(VIDEO))
        elif kind in _CONTAINERS:
            _walk(data, _boxes(data, inner, stop))


def clean(original: bytes) -> bytes:
    data = bytearray(original)
    top = _boxes(data, 0, len(data))
    if not top or top[0][0] != b"ftyp":
        raise unreadable("M4A")
    _kind, _size, payload, end = top[0]
    brands = {bytes(data[i : i + 4]) for i in range(payload, end, 4) if i != payload + 4}
    if brands & _IMAGE_BRANDS:
        raise NotAVoiceNote(_("This is a photo, not a voice note. Add it as the photo instead."))
    for kind, start, inner, stop in top:
        if kind not in _TOP_KEPT:
            _blank(data, start, inner, stop)
    _walk(data, top)
    if not any(kind == b"mdat" for kind, *_ in top):
        raise NotAVoiceNote(_(SILENT))
    cleaned = bytes(data)
    try:
        parsed = MP4(io.BytesIO(cleaned))
    except MutagenError as exc:
        raise unreadable("M4A") from exc
    if parsed.tags or parsed.info.length <= 0:
        raise unreadable("M4A")
    return cleaned
