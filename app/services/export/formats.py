"""The one registry of export formats: each format's name, media type, file extension and label,
and the formats the session notes come in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from app import i18n
from app.i18n import N_


@dataclass(frozen=True, slots=True)
class Format:
    name: str  # as a URL asks for it: ?format=md
    media_type: str
    extension: str
    label: str  # as a person picks it on a page (marked, translated where shown)


JSON = Format("json", "application/json", "json", "JSON")
CSV = Format("csv", "text/csv; charset=utf-8", "csv", N_("CSV (spreadsheet)"))
MARKDOWN = Format("md", "text/markdown; charset=utf-8", "md", "Markdown")
DOCX = Format(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    N_("Word (DOCX)"),
)
FORMATS: dict[str, Format] = {f.name: f for f in (JSON, CSV, MARKDOWN, DOCX)}
# The audio edition of a material: its recordings and a playlist (not a format of the notes).
ZIP = Format("zip", "application/zip", "zip", N_("Audio edition (zip)"))


def spoken(lang: str | None, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """A streamed export's chunks, each written in `lang`. A streamed response reads each
    chunk in a context of its own (a worker thread), so the language is set again for every
    chunk rather than once around the generator."""
    chosen = i18n.supported(lang) or i18n.current()
    iterator = iter(chunks)
    while True:
        with i18n.speaking(chosen):
            chunk = next(iterator, None)
        if chunk is None:
            return
        yield chunk


@dataclass(frozen=True, slots=True)
class Download:
    """A small exported file, written whole: its bytes, what it holds and what to call it."""

    body: bytes
    media_type: str
    filename: str


# The formats of the session notes. The API's `format` parameter names this enum, so its name
# and values are part of the OpenAPI document (and a docstring would be too).
class NotesFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    MD = "md"
    DOCX = "docx"
