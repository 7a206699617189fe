"""The one registry of export formats: each format's name, media type, file extension and label,
and the formats the session notes come in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Format:
    name: str  # as a URL asks for it: ?format=md
    media_type: str
    extension: str
    label: str  # as a person picks it on a page


JSON = Format("json", "application/json", "json", "JSON")
CSV = Format("csv", "text/csv; charset=utf-8", "csv", "CSV (spreadsheet)")
MARKDOWN = Format("md", "text/markdown; charset=utf-8", "md", "Markdown")
DOCX = Format(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
    "Word (DOCX)",
)
FORMATS: dict[str, Format] = {f.name: f for f in (JSON, CSV, MARKDOWN, DOCX)}
# The audio edition of a material: its recordings and a playlist (not a format of the notes).
ZIP = Format("zip", "application/zip", "zip", "Audio edition (zip)")


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
