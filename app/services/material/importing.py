"""Importing a first version from Markdown or a Word document: headings become sections and
an "Easy read" sub-heading starts a section's easy-read text."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from app.i18n import _
from app.models.material import MAX_HEADING, SectionCreate
from app.services.errors import Invalid
from app.services.export import markdown


@dataclass
class ImportedDocument:
    title: str
    sections: list[SectionCreate]


_EASY_READ_HEADING = re.compile(r"^easy[\s-]*read\b", re.IGNORECASE)
# Our own Markdown export puts this line under the title; a re-import leaves it out.
_EXPORT_VERSION_LINE = re.compile(r"^\*Version \d+[^*]*\*$")  # not shown to people


class _Builder:
    """Collects sections as a document is read top to bottom."""

    def __init__(self) -> None:
        self.sections: list[tuple[str, list[str], list[str]]] = []
        self.easy = False

    def start(self, heading: str) -> None:
        self.sections.append((heading, [], []))
        self.easy = False

    def line(self, text: str) -> None:
        if not self.sections:
            if not text.strip():
                return
            self.start("Introduction")
        _, body, easy = self.sections[-1]
        (easy if self.easy else body).append(text)

    def result(self, title: str) -> ImportedDocument:
        sections = []
        for heading, body, easy in self.sections:
            sections.append(
                SectionCreate(
                    heading=heading[:MAX_HEADING],
                    body_markdown="\n".join(body).strip(),
                    easy_read_text="\n".join(easy).strip(),
                )
            )
        if not sections:
            raise Invalid(_("The file has no text to import."))
        return ImportedDocument(title=title, sections=sections)


def import_markdown(text: str) -> ImportedDocument:
    """Split a Markdown document into sections at its `#` and `##` headings. A single `#`
    heading above `##` sections is the document's title; a `### Easy read` heading inside a
    section starts that section's easy-read text.

    The headings are those CommonMark sees (the pages' own reader): underlined ones too, but
    not a `#` line in code, an escaped `\\#` or a heading inside a list or quote. Each section
    keeps its source lines as written, so tables, links and code come back unchanged."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found = markdown.headings("\n".join(lines))
    top = [h for h in found if h.level == 1]
    title_heading = (
        top[0]
        if len(top) == 1 and top[0] is found[0] and any(h.level == 2 for h in found)
        else None
    )
    at = {h.start: h for h in found}
    title = ""
    builder = _Builder()
    index = 0
    while index < len(lines):
        heading = at.get(index)
        if heading is None:
            line = lines[index]
            if builder.sections or not _EXPORT_VERSION_LINE.match(line.strip()):
                builder.line(line)
            index += 1
            continue
        index = heading.end
        if heading is title_heading:
            title = heading.text
        elif heading.level <= 2:
            builder.start(heading.text or _("Untitled section"))
        elif heading.level == 3 and _EASY_READ_HEADING.match(heading.text) and builder.sections:
            builder.easy = True
        else:
            for line in lines[heading.start : heading.end]:
                builder.line(line)
    doc = builder.result(title)
    if not doc.title:
        doc.title = doc.sections[0].heading
    return doc


def _docx_inline(paragraph: Any) -> str:
    parts = []
    for run in paragraph.runs:
        text = run.text
        if not text:
            continue
        if run.bold and text.strip():
            text = f"**{text}**"
        elif run.italic and text.strip():
            text = f"*{text}*"
        parts.append(text)
    return "".join(parts).strip()


def import_docx(data: bytes) -> ImportedDocument:
    """Read a Word document: Heading 1 and 2 start sections, Title names the material, lists
    and emphasis become Markdown, tables become one line per row."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise Invalid(_("This file could not be read as a Word document (.docx).")) from exc
    builder = _Builder()
    title = ""
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "tbl":
            for row in Table(child, document).rows:
                cells = [" ".join(c.text.split()) for c in row.cells]
                cells = list(dict.fromkeys(c for c in cells if c))  # merged cells repeat
                if cells:
                    builder.line("- " + " · ".join(cells))
            builder.line("")
            continue
        if tag != "p":
            continue
        paragraph = Paragraph(child, document)
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        plain = " ".join(paragraph.text.split())
        if style == "Title":
            if plain and not title:
                title = plain
            continue
        if style.startswith("Heading"):
            level = int(style.rsplit(" ", 1)[-1]) if style[-1:].isdigit() else 1
            if not plain:
                continue
            if level <= 2:
                builder.start(plain)
            elif _EASY_READ_HEADING.match(plain) and builder.sections:
                builder.easy = True
            else:
                builder.line("#" * min(level, 6) + " " + plain)
                builder.line("")
            continue
        text = _docx_inline(paragraph)
        if not text:
            continue
        if style.startswith("List Bullet"):  # not shown to people
            builder.line("- " + text)
        elif style.startswith("List Number"):  # not shown to people
            builder.line("1. " + text)
        else:
            builder.line(text)
            builder.line("")
    doc = builder.result(title)
    for section in doc.sections:
        # Consecutive list lines were separated from paragraphs by blank lines above; squeeze
        # the runs of blank lines that leaves behind.
        section.body_markdown = re.sub(r"\n{3,}", "\n\n", section.body_markdown)
        section.easy_read_text = re.sub(r"\n{3,}", "\n\n", section.easy_read_text)
    if not doc.title:
        doc.title = doc.sections[0].heading
    return doc
