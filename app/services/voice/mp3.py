"""MP3 voice notes.

The file is walked from the first byte to the last: every piece must be an MPEG audio frame
or a tag. ID3v2 tags (at the front, between the frames, or appended at the end as ID3v2.4
allows), APE tags and ID3v1 are cut out, and the frames are kept as they are. Anything else
(an "ID3" header in front of a web page, say) is refused. `mutagen` then reads the cleaned
file as MP3 and must find sound and no tag.
"""

from __future__ import annotations

import io
import re
import struct

from mutagen import MutagenError
from mutagen.mp3 import MP3

from app.i18n import _
from app.services.voice.errors import SILENT, NotAVoiceNote, unreadable

# kbit/s by (MPEG version 1 or 2/2.5, layer) and the header's bitrate index (0: free format,
# which nobody records in and which cannot be walked, and 15 are not allowed).
_BITRATES = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_NONZERO = re.compile(rb"[^\x00]")
# Hz by the header's version bits (0: 2.5, 2: 2, 3: 1) and sample-rate index.
_RATES = {0: (11025, 12000, 8000), 2: (22050, 24000, 16000), 3: (44100, 48000, 32000)}


def frame_length(header: bytes) -> int | None:
    """The length of the MPEG audio frame starting with these 4 bytes, or None."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version_bits = (header[1] >> 3) & 3
    layer = 4 - ((header[1] >> 1) & 3)
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 3
    if version_bits == 1 or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    version = 1 if version_bits == 3 else 2
    bitrate = _BITRATES[(version, layer)][bitrate_index] * 1000
    rate = _RATES[version_bits][rate_index]
    padding = (header[2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    if layer == 3 and version == 2:
        return 72 * bitrate // rate + padding
    return 144 * bitrate // rate + padding


def _syncsafe(raw: bytes) -> int | None:
    if any(b & 0x80 for b in raw):
        return None
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]


def _id3v2_length(data: bytes, at: int) -> int | None:
    """The whole length of the ID3v2 tag at `at` (header, frames, footer), or None."""
    if data[at : at + 3] != b"ID3" or len(data) < at + 10 or data[at + 3] not in (2, 3, 4):
        return None
    size = _syncsafe(data[at + 6 : at + 10])
    if size is None:
        return None
    footer = 10 if data[at + 5] & 0x10 else 0
    return 10 + size + footer


def _tail_tags(data: bytes) -> int:
    """Where the audio ends: before an APE tag without a header and an ID3v1 tag at the end
    (those can only be found from the end)."""
    end = len(data)
    if end >= 128 and data[end - 128 : end - 125] == b"TAG":
        end -= 128
    if end >= 32 and data[end - 32 : end - 24] == b"APETAGEX":
        (size,) = struct.unpack_from("<I", data, end - 20)  # items and footer
        (flags,) = struct.unpack_from("<I", data, end - 12)
        end -= size + (32 if flags & 0x80000000 else 0)
        if end < 0:
            raise unreadable("MP3")
    return end


def _tag_length(data: bytes, at: int, end: int) -> int | None:
    """The length of the ID3v2, APE (with its header) or ID3v1 tag at `at`, or None."""
    tag = _id3v2_length(data, at)
    if tag is not None:
        return tag
    if data[at : at + 8] == b"APETAGEX" and end - at >= 32:
        (size,) = struct.unpack_from("<I", data, at + 12)
        return 32 + int(size)
    if data[at : at + 3] == b"TAG" and end - at >= 128:
        return 128
    return None


def _frames(data: bytes, end: int) -> list[bytes]:
    """The audio frames between 0 and `end`, tags skipped; anything else refuses."""
    kept: list[bytes] = []
    at = 0
    while at < end:
        tag = _tag_length(data, at, end)
        if tag is not None:
            if at + tag > end:
                raise unreadable("MP3")
            at += tag
            continue
        if data[at] == 0:  # padding some writers leave after a tag: skipped, it says nothing
            found = _NONZERO.search(data, at, end)
            at = found.start() if found else end
            continue
        length = frame_length(data[at : at + 4])
        if length is None:
            raise unreadable("MP3")
        # The last frame may be cut short when a recording stopped mid-frame.
        kept.append(data[at : min(at + length, end)])
        at += length
    return kept


def clean(data: bytes) -> bytes:
    frames = _frames(data, _tail_tags(data))
    if not frames:
        raise NotAVoiceNote(_(SILENT))
    cleaned = b"".join(frames)
    try:
        parsed = MP3(io.BytesIO(cleaned))
    except MutagenError as exc:
        raise unreadable("MP3") from exc
    if parsed.tags is not None or parsed.info.length <= 0:
        raise unreadable("MP3")
    return cleaned
