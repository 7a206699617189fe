"""The audio edition of a version as one download: its sections' recordings, in order, with
an .m3u playlist (any phone or computer plays it in order) and the words read, as a zip."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from tempfile import SpooledTemporaryFile

from app.i18n import N_, _
from app.models.material_editions import SectionFile
from app.services import media as media_service
from app.services.errors import NotFound
from app.services.export.formats import ZIP

CHUNK = 64 * 1024
NO_RECORDINGS = N_("No section of this version has a recording yet.")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "section"


def audio_filename(*, title: str, number: int) -> str:
    return f"{_slug(title)}-v{number}-audio.{ZIP.extension}"


def audio_zip(
    *,
    media_dir: Path,
    title: str,
    number: int,
    sections: list[tuple[str, str, SectionFile | None]],
) -> Iterator[bytes]:
    """The zip, read out a chunk at a time. `sections` are (heading, words, recording) in the
    version's order; sections without a recording are in the playlist's words file only.
    The recordings are stored as they are (they are compressed already)."""
    recorded = [(h, w, f) for h, w, f in sections if f is not None]
    if not recorded:
        raise NotFound(_(NO_RECORDINGS))
    paths: list[tuple[str, Path]] = []
    named = _("%(title)s (version %(number)s)", title=" ".join(title.split()), number=number)
    playlist = ["#EXTM3U", f"#PLAYLIST:{named}"]
    words = [_("%(title)s, version %(number)s", title=title, number=number), ""]
    for position, (heading, text, item) in enumerate(sections, start=1):
        words += [f"{position}. {heading}", "", text, ""]
        if item is None:
            continue
        path = media_service.safe_path(media_dir=media_dir, relative=item.path)
        if path is None or not path.is_file():
            continue
        name = f"{position:02d}-{_slug(heading)}{path.suffix}"
        paths.append((name, path))
        playlist += [f"#EXTINF:-1,{' '.join(heading.split())}", name]
    if not paths:
        raise NotFound(_(NO_RECORDINGS))
    spool: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as bundle:
        bundle.writestr("playlist.m3u", "\n".join(playlist) + "\n")
        bundle.writestr("words.txt", "\n".join(words).rstrip() + "\n")
        for name, path in paths:
            bundle.write(path, arcname=name)
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(CHUNK):
                yield block

    return chunks()
