"""Voice notes cleaned of what they say about where and who, without touching the sound.

Phones label recordings: an iPhone's Voice Memos names a note after the street it was made
in and stores the position beside it (QuickTime user data in an M4A); recording apps write
ID3 tags into MP3s and INFO lists into WAVs. A note is stored only once these are gone:

- M4A/MP4: every user-data (`udta`), metadata (`meta`) and `uuid` box (XMP lives in one),
  at the top level, in the movie and in each track, becomes a `free` box of the same size
  with its bytes zeroed. Nothing moves, so the offsets into the sound stay right. A file
  with a video track, or an image in an MP4-like wrapper (HEIC, AVIF), is refused.
- MP3: ID3v2 tags at the front, an ID3v1 tag and an APE tag at the end are cut off.
- WAV: only the format, fact and data chunks are kept.
- WebM and Ogg as browsers record them carry the encoder's name and nothing about the
  person, and are kept as they are.
"""

from __future__ import annotations

import struct

from app.services.errors import DomainError


class NotAVoiceNote(DomainError):
    status_code = 415


# Boxes that hold descriptions rather than sound, wherever they are found.
_BLANKED = {b"udta", b"meta", b"uuid"}
# Boxes whose children are looked into.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"edts"}
_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}


def _boxes(data: bytearray, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) of the boxes between start and end."""
    found = []
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                break
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise NotAVoiceNote("This voice note could not be read. It may be damaged.")
        found.append((kind, at, at + header, at + size))
        at += size
    return found


def _blank(data: bytearray, box_start: int, payload: int, box_end: int) -> None:
    """Turn a box into a `free` box of the same size (a 64-bit size stays as it is), its
    contents zeroed."""
    data[box_start + 4 : box_start + 8] = b"free"
    data[payload:box_end] = bytes(box_end - payload)


def _clean_mp4(data: bytearray) -> None:
    top = _boxes(data, 0, len(data))
    if not top or top[0][0] != b"ftyp":
        raise NotAVoiceNote("This voice note could not be read. It may be damaged.")
    _, _, payload, end = top[0]
    brands = {bytes(data[i : i + 4]) for i in range(payload, end, 4) if i != payload + 4}
    if brands & _IMAGE_BRANDS:
        raise NotAVoiceNote("This is a photo, not a voice note. Add it as the photo instead.")

    def walk(boxes: list[tuple[bytes, int, int, int]]) -> None:
        for kind, start, inner, stop in boxes:
            if kind in _BLANKED:
                _blank(data, start, inner, stop)
            elif kind == b"hdlr" and data[inner + 8 : inner + 12] == b"vide":
                raise NotAVoiceNote(
                    "This is a video. A voice note can be sound only: M4A, MP3, WebM, Ogg or WAV."
                )
            elif kind in _CONTAINERS:
                walk(_boxes(data, inner, stop))

    walk(top)


def _syncsafe(raw: bytes) -> int:
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]


def _clean_mp3(data: bytes) -> bytes:
    start = 0
    while data[start : start + 3] == b"ID3" and len(data) >= start + 10:
        footer = 10 if data[start + 5] & 0x10 else 0
        start += 10 + footer + _syncsafe(data[start + 6 : start + 10])
    end = len(data)
    if end - start >= 128 and data[end - 128 : end - 125] == b"TAG":
        end -= 128
    if end - start >= 32 and data[end - 32 : end - 24] == b"APETAGEX":
        (size,) = struct.unpack_from("<I", data, end - 20)  # footer and items
        flags = struct.unpack_from("<I", data, end - 12)[0]
        end -= size + (32 if flags & 0x80000000 else 0)
    if start >= end:
        raise NotAVoiceNote("This voice note holds no sound.")
    return data[start:end]


def _clean_wav(data: bytes) -> bytes:
    if len(data) < 12:
        raise NotAVoiceNote("This voice note could not be read. It may be damaged.")
    kept = [b"WAVE"]
    at = 12
    while at + 8 <= len(data):
        kind, size = struct.unpack_from("<4sI", data, at)
        stop = min(len(data), at + 8 + size)
        if kind in (b"fmt ", b"fact", b"data"):
            chunk = data[at:stop]
            kept.append(chunk + (b"\x00" if len(chunk) % 2 else b""))
        at = at + 8 + size + (size % 2)
    body = b"".join(kept)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def clean(*, data: bytes, ext: str) -> bytes:
    """The voice note without its descriptions; `ext` is the sniffed type's (m4a, mp3, …)."""
    if ext == "m4a":
        out = bytearray(data)
        _clean_mp4(out)
        return bytes(out)
    if ext == "mp3":
        return _clean_mp3(data)
    if ext == "wav":
        return _clean_wav(data)
    return data
