"""WebM voice notes: an EBML walker, since `mutagen` does not read Matroska.

The file must be an EBML header whose DocType is `webm`, then one Segment holding only the
elements a player needs (SeekHead, Info, Tracks, Clusters, Cues) and those that are cleaned
away; every element's size must fit its parent, and a browser's live recording (a Segment
and Clusters of unknown size) is read as the Matroska rules say, each Cluster ending where
an element of the Segment's own level begins. Every track must be Opus sound: a video, a
subtitle track or another codec is refused.

What the file says about itself goes the way `mkvpropedit` removes it, by overwriting each
element with a Void element of exactly its size, so no offset in the SeekHead or the Cues
changes: Tags (TITLE, ARTIST, LOCATION, …), Attachments (a cover picture), Chapters (their
names), the Segment's Title and DateUTC, each track's Name, and the SeekHead's entries that
pointed at what was removed (and the CRC-32 of each part changed, which would no longer
match). The Clusters, where the sound is, are kept byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.i18n import N_, _
from app.services.voice.errors import SILENT, VIDEO, NotAVoiceNote, unreadable

EBML = 0x1A45DFA3
DOC_TYPE = 0x4282
SEGMENT = 0x18538067
SEEK_HEAD, SEEK, SEEK_ID = 0x114D9B74, 0x4DBB, 0x53AB
INFO, TITLE, DATE_UTC = 0x1549A966, 0x7BA9, 0x4461
TRACKS, TRACK_ENTRY, TRACK_TYPE, CODEC_ID, NAME = 0x1654AE6B, 0xAE, 0x83, 0x86, 0x536E
CLUSTER, SIMPLE_BLOCK, BLOCK_GROUP = 0x1F43B675, 0xA3, 0xA0
CUES, TAGS, ATTACHMENTS, CHAPTERS = 0x1C53BB6B, 0x1254C367, 0x1941A469, 0x1043A770
VOID, CRC32 = 0xEC, 0xBF

_SEGMENT_CHILDREN = {SEEK_HEAD, INFO, TRACKS, CLUSTER, CUES, TAGS, ATTACHMENTS, CHAPTERS}
_CLUSTER_CHILDREN = {0xE7, SIMPLE_BLOCK, BLOCK_GROUP, 0xA7, 0xAB, 0x5854}
_REMOVED = {TAGS, ATTACHMENTS, CHAPTERS}
_GLOBAL = {VOID, CRC32}
_AUDIO = 2
_VIDEO = 1
NOT_OPUS = N_(
    "This WebM file does not hold Opus sound as browsers record it, so it cannot be added "
    "as a voice note."
)

Element = tuple[int, int, int, int]  # id, element start, data start, element end


class _Walker:
    def __init__(self, data: bytearray) -> None:
        self.data = data
        self.audio_tracks = 0
        self.blocks = 0

    def _vint(self, at: int, limit: int, *, keep_marker: bool) -> tuple[int, int, bool]:
        """(value, length, every value bit set) of the variable-size integer at `at`."""
        if at >= limit:
            raise unreadable("WebM")
        first = self.data[at]
        length = 9 - first.bit_length() if first else 9
        if length > (4 if keep_marker else 8) or at + length > limit:
            raise unreadable("WebM")
        raw = int.from_bytes(self.data[at : at + length], "big")
        value = raw if keep_marker else raw & ((1 << (7 * length)) - 1)
        return value, length, (raw & ((1 << (7 * length)) - 1)) == (1 << (7 * length)) - 1

    def header(self, at: int, limit: int) -> tuple[int, int, int | None]:
        """(id, data start, size or None when unknown) of the element at `at`."""
        ident, id_length, _size = self._vint(at, limit, keep_marker=True)
        size, size_length, unknown = self._vint(at + id_length, limit, keep_marker=False)
        return ident, at + id_length + size_length, None if unknown else size

    def children(self, start: int, end: int) -> Iterator[Element]:
        """The elements that tile start..end exactly, each of a known size."""
        at = start
        while at < end:
            ident, inner, size = self.header(at, end)
            if size is None or inner + size > end:
                raise unreadable("WebM")
            yield ident, at, inner, inner + size
            at = inner + size

    def void(self, start: int, end: int) -> None:
        """Overwrite start..end with a Void element of the same length, zero-filled."""
        total = end - start
        for width in range(1, 9):
            size = total - 1 - width
            if 0 <= size < (1 << (7 * width)) - 1:
                marker = 1 << (7 * width)
                self.data[start] = VOID
                self.data[start + 1 : start + 1 + width] = (marker | size).to_bytes(width, "big")
                self.data[start + 1 + width : end] = bytes(size)
                return
        raise unreadable("WebM")  # an element is at least 2 bytes long

    def header_doc(self, start: int, end: int) -> None:
        for ident, _size, inner, stop in self.children(start, end):
            if ident == DOC_TYPE and bytes(self.data[inner:stop]).rstrip(b"\0") != b"webm":
                raise unreadable("WebM")

    def seek_head(self, start: int, end: int) -> None:
        removed = {i.to_bytes((i.bit_length() + 7) // 8, "big") for i in _REMOVED}
        for ident, at, inner, stop in self.children(start, end):
            if ident == CRC32:
                self.void(at, stop)
            if ident != SEEK:
                continue
            targets = [
                bytes(self.data[value:child_end])
                for child, _, value, child_end in self.children(inner, stop)
                if child == SEEK_ID
            ]
            if set(targets) & removed:
                self.void(at, stop)

    def info(self, start: int, end: int) -> None:
        for ident, at, _inner, stop in self.children(start, end):
            if ident in (TITLE, DATE_UTC, CRC32):
                self.void(at, stop)

    def tracks(self, start: int, end: int) -> None:
        for ident, at, inner, stop in self.children(start, end):
            if ident == TRACK_ENTRY:
                self.track(inner, stop)
            elif ident == CRC32:
                self.void(at, stop)
            elif ident != VOID:
                raise unreadable("WebM")

    def track(self, start: int, end: int) -> None:
        kind, codec = 0, b""
        for ident, at, inner, stop in self.children(start, end):
            if ident == TRACK_TYPE:
                kind = int.from_bytes(self.data[inner:stop], "big")
            elif ident == CODEC_ID:
                codec = bytes(self.data[inner:stop]).rstrip(b"\0")
            elif ident in (NAME, CRC32):
                self.void(at, stop)
        if kind == _VIDEO:
            raise NotAVoiceNote(_(VIDEO))
        if kind != _AUDIO or codec != b"A_OPUS":
            raise NotAVoiceNote(_(NOT_OPUS))
        self.audio_tracks += 1

    def cluster(self, start: int, size: int | None, end: int) -> int:
        """Where the Cluster whose data starts at `start` ends."""
        stop = end if size is None else start + size
        if stop > end:
            raise unreadable("WebM")
        at = start
        while at < stop:
            ident, inner, child_size = self.header(at, stop)
            if size is None and ident in _SEGMENT_CHILDREN:
                return at  # an element of the Segment's level ends a Cluster of unknown size
            if ident not in _CLUSTER_CHILDREN | _GLOBAL:
                raise unreadable("WebM")
            if child_size is None or inner + child_size > stop:
                raise unreadable("WebM")
            if ident in (SIMPLE_BLOCK, BLOCK_GROUP):
                self.blocks += 1
            at = inner + child_size
        return stop

    def segment(self, start: int, end: int) -> None:
        at = start
        while at < end:
            ident, inner, size = self.header(at, end)
            if ident == CLUSTER:
                at = self.cluster(inner, size, end)
                continue
            if size is None or inner + size > end:
                raise unreadable("WebM")
            stop = inner + size
            if ident in _REMOVED:
                self.void(at, stop)
            elif ident == SEEK_HEAD:
                self.seek_head(inner, stop)
            elif ident == INFO:
                self.info(inner, stop)
            elif ident == TRACKS:
                self.tracks(inner, stop)
            elif ident not in _SEGMENT_CHILDREN | _GLOBAL:
                raise unreadable("WebM")
            at = stop


def clean(original: bytes) -> bytes:
    data = bytearray(original)
    walker = _Walker(data)
    ident, inner, size = walker.header(0, len(data))
    if ident != EBML or size is None or inner + size > len(data):
        raise unreadable("WebM")
    walker.header_doc(inner, inner + size)
    at = inner + size
    ident, inner, size = walker.header(at, len(data))
    if ident != SEGMENT:
        raise unreadable("WebM")
    end = len(data) if size is None else inner + size
    if end > len(data) or any(data[end:]):
        raise unreadable("WebM")
    walker.segment(inner, end)
    if walker.audio_tracks == 0:
        raise NotAVoiceNote(_(NOT_OPUS))
    if walker.blocks == 0:
        raise NotAVoiceNote(_(SILENT))
    return bytes(data)
