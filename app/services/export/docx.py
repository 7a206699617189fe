"""The one DOCX writer: python-docx's package (styles, numbering, properties) with the body of
word/document.xml streamed into it as XML strings, and Markdown turned into that XML.

Session notes of 100,000 contributions go through it without holding the document: the zip
is written to a sink that is drained after each chunk of paragraphs.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from markdown_it.token import Token

from app.services.export.markdown import SAFE_HREF, parse

_DOCUMENT = "word/document.xml"
_RELS = "word/_rels/document.xml.rels"
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _x(text: str) -> str:
    return xml_escape(_XML_ILLEGAL.sub("", text))


# --- paragraphs ----------------------------------------------------------------------------


# Word's language tags: British English and Welsh (spelling, hyphenation, screen readers).
LANGUAGE_TAGS = {"en": "en-GB", "cy": "cy-GB"}


def lang_tag(lang: str) -> str:
    return LANGUAGE_TAGS.get(lang, lang)


def run(
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    code: bool = False,
    size: int | None = None,
    link: bool = False,
    lang: str | None = None,
) -> str:
    """A run of text; ``size`` in points; ``lang`` ("cy") the language it is in, where it
    is not the document's. Properties in the order the schema wants them."""
    props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    if code or size or link or lang:  # not in the notes, whose every run comes through here
        props = (
            ('<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/>' if code else "")
            + props
            + ('<w:color w:val="0563C1"/>' if link else "")
            + (f'<w:sz w:val="{size * 2}"/>' if size else "")
            + ('<w:u w:val="single"/>' if link else "")
            + (f'<w:lang w:val="{lang_tag(lang)}"/>' if lang else "")
        )
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{_x(text)}</w:t></w:r>'


BREAK = "<w:r><w:br/></w:r>"


def text_runs(text: str) -> str:
    """Runs of text whose line breaks stay line breaks (as python-docx's add_paragraph did)."""
    return BREAK.join(run(line) for line in text.split("\n"))


def para(runs: str, *, style: str | None = None, align: str | None = None) -> str:
    """A paragraph of runs in one of the package's styles (style ids: Heading1, ListBullet)."""
    props = (f'<w:pStyle w:val="{style}"/>' if style else "") + (
        f'<w:jc w:val="{align}"/>' if align else ""
    )
    ppr = f"<w:pPr>{props}</w:pPr>" if props else ""
    return f"<w:p>{ppr}{runs}</w:p>"


def heading(text: str, level: int, *, lang: str | None = None) -> str:
    """A heading paragraph; level 0 is the document's title."""
    return para(run(text, lang=lang), style="Title" if level == 0 else f"Heading{min(level, 9)}")


RULE = (
    '<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="auto"/>'
    "</w:pBdr></w:pPr></w:p>"
)


@dataclass
class Links:
    """The hyperlinks a body refers to, as relationships of word/document.xml."""

    targets: dict[str, str] = field(default_factory=dict)  # URL -> relationship id

    def id_for(self, url: str) -> str:
        if url not in self.targets:
            self.targets[url] = f"rIdLink{len(self.targets) + 1}"
        return self.targets[url]

    def add_to(self, rels: bytes) -> bytes:
        extra = "".join(
            f'<Relationship Id="{rid}" Type="{_HYPERLINK}" '  # not shown to people
            f'Target={quoteattr(_XML_ILLEGAL.sub("", url))} TargetMode="External"/>'
            for url, rid in self.targets.items()
        )
        return rels.replace(b"</Relationships>", extra.encode() + b"</Relationships>")


# --- the package ---------------------------------------------------------------------------


class _Sink(io.RawIOBase):
    """A write-only stream the zip writer fills and the response drains."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


@dataclass(frozen=True)
class Look:
    """How the document looks: its page, and large type for the easy-read edition."""

    a4: bool = False
    large_print: bool = False
    # The language of the document's own words (its default for every run): a Welsh export
    # is read and spell-checked as Welsh.
    lang: str | None = None


PLAIN = Look()  # python-docx's own page (US Letter) and type
A4 = Look(a4=True)
LARGE_PRINT = Look(large_print=True)


def _default_language(document: Any, tag: str) -> None:
    """Set the document's default run language (styles.xml's docDefaults)."""
    styles = document.styles.element
    found = styles.find(qn("w:docDefaults"))
    for name in ("w:rPrDefault", "w:rPr", "w:lang"):
        child = found.find(qn(name))
        if child is None:
            child = OxmlElement(name)
            found.append(child)
        found = child
    found.set(qn("w:val"), tag)


def _package(
    title: str, created: datetime | None, look: Look
) -> tuple[list[tuple[str, bytes]], str, str]:
    """python-docx's package with its properties and look set, split so the body of
    word/document.xml can be written in between."""
    document = docx.Document()
    if look.a4:
        section = document.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(20)
        section.top_margin = section.bottom_margin = Mm(20)
    if look.large_print:
        normal: Any = document.styles["Normal"]
        normal.font.size = Pt(16)
        normal.paragraph_format.space_after = Pt(12)
        normal.paragraph_format.line_spacing = 1.5
    if look.lang:
        _default_language(document, lang_tag(look.lang))
    props = document.core_properties
    # A typed title may hold control characters XML refuses, and the property takes 255 at most.
    props.title = _XML_ILLEGAL.sub("", title)[:255]
    props.author = "Tablecloth"
    if created is not None:
        props.created = created.replace(tzinfo=None)
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        parts = [(name, package.read(name)) for name in package.namelist()]
    body_xml = dict(parts)[_DOCUMENT].decode()
    opening, _, rest = body_xml.partition("<w:body>")
    section_start = rest.index("<w:sectPr")
    closing = rest[section_start:]
    parts.sort(key=lambda p: p[0] != "[Content_Types].xml")
    return parts, opening + "<w:body>", closing


def stream(
    *,
    title: str,
    body: Iterable[str],
    links: Links | None = None,
    created: datetime | None = None,
    look: Look = PLAIN,
) -> Iterator[bytes]:
    """A Word document as byte chunks, the body's XML written as it is produced. The
    relationships come last, once the body has named every hyperlink."""
    parts, opening, closing = _package(title, created, look)
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in parts:
            if name not in {_DOCUMENT, _RELS}:
                package.writestr(name, data)
        yield sink.drain()
        with package.open(_DOCUMENT, "w") as document:
            document.write(opening.encode())
            for chunk in body:
                document.write(chunk.encode())
                data = sink.drain()
                if data:
                    yield data
            document.write(closing.encode())
        rels = dict(parts)[_RELS]
        package.writestr(_RELS, links.add_to(rels) if links else rels)
    yield sink.drain()


def document(
    *,
    title: str,
    body: Iterable[str],
    links: Links | None = None,
    look: Look = PLAIN,
) -> bytes:
    """A small Word document, whole."""
    return b"".join(stream(title=title, body=body, links=links, look=look))


# --- Markdown ------------------------------------------------------------------------------

_ALIGN = re.compile(r"text-align:(left|right|center)")


def _inline(token: Token, links: Links, *, bold: bool = False, lang: str | None = None) -> str:
    """The runs of an inline token: emphasis, code, line breaks and links. A link that Word
    cannot follow (a page of this site) keeps its address in brackets after its words."""
    out: list[str] = []
    strong = em = 0
    href: str | None = None  # inside a hyperlink to this address
    shown: str | None = None  # inside a link whose address is written out at its end
    for child in token.children or []:
        kind = child.type
        if kind in {"text", "code_inline"}:
            out.append(
                run(
                    child.content,
                    bold=bold or strong > 0,
                    italic=em > 0,
                    code=kind == "code_inline",
                    link=href is not None,
                    lang=lang,
                )
            )
        elif kind == "softbreak":
            out.append(run(" ", lang=lang))
        elif kind == "hardbreak":
            out.append(BREAK)
        elif kind in {"strong_open", "strong_close"}:
            strong += 1 if kind == "strong_open" else -1
        elif kind in {"em_open", "em_close"}:
            em += 1 if kind == "em_open" else -1
        elif kind == "link_open":
            target = str(child.attrGet("href") or "")
            if SAFE_HREF.match(target):
                href = target
                out.append(f'<w:hyperlink r:id="{links.id_for(target)}">')
            else:
                shown = target
        elif kind == "link_close":
            if href is not None:
                out.append("</w:hyperlink>")
            elif shown:
                out.append(run(f" ({shown})", lang=lang))
            href = shown = None
        elif kind == "image":
            # Word would have to fetch it: its words stand in, with where it was.
            src = str(child.attrGet("src") or "")
            out.append(run(child.content or "image", italic=True, lang=lang))
            if SAFE_HREF.match(src):
                out.append(run(f" ({src})"))
    return "".join(out)


class _Blocks:
    """Markdown's block tokens turned into paragraphs and tables, one token at a time."""

    def __init__(self, links: Links, top: int, lang: str | None = None) -> None:
        self.links, self.top, self.lang = links, top, lang
        self.out: list[str] = []
        self.lists: list[str] = []  # "Bullet" or "Number", outermost first
        self.quotes = 0
        self.first_in_item = False
        self.style: str | None = None  # of the paragraph the next inline token fills
        self.rows: list[str] | None = None  # inside a table
        self.cells: list[str] = []
        self.columns = 0
        self.header = False
        self.align: str | None = None

    def feed(self, token: Token) -> None:
        kind = token.type
        if kind == "heading_open":
            self.style = f"Heading{min(int(token.tag[1]) + self.top, 9)}"
        elif kind == "paragraph_open":
            self.style = self._paragraph_style()
        elif kind == "inline":
            self._inline(token)
        elif kind in {"bullet_list_open", "ordered_list_open"}:
            self.lists.append("Bullet" if kind == "bullet_list_open" else "Number")
        elif kind in {"bullet_list_close", "ordered_list_close"}:
            self.lists.pop()
        elif kind == "list_item_open":
            self.first_in_item = True
        elif kind in {"blockquote_open", "blockquote_close"}:
            self.quotes += 1 if kind == "blockquote_open" else -1
        elif kind in {"fence", "code_block"}:
            lines = token.content.rstrip("\n").split("\n")
            runs = (run(line, code=True, lang=self.lang) for line in lines)
            self.out.append(para(BREAK.join(runs)))
        elif kind == "hr":
            self.out.append(RULE)
        else:
            self._table(token)

    def _paragraph_style(self) -> str | None:
        if self.lists:
            depth = len(self.lists)
            suffix = "" if depth == 1 else str(min(depth, 3))
            if self.first_in_item:
                self.first_in_item = False
                return f"List{self.lists[-1]}{suffix}"
            return f"ListContinue{suffix}"
        return "Quote" if self.quotes else None

    def _inline(self, token: Token) -> None:
        if self.rows is None:
            self.out.append(para(_inline(token, self.links, lang=self.lang), style=self.style))
            self.style = None
            return
        runs = _inline(token, self.links, bold=self.header, lang=self.lang)
        self.cells.append(
            f'<w:tc><w:tcPr><w:tcW w:w="0" w:type="auto"/></w:tcPr>'
            f"{para(runs, align=self.align)}</w:tc>"
        )

    def _table(self, token: Token) -> None:
        kind = token.type
        if kind == "table_open":
            self.rows = []
        elif kind in {"thead_open", "thead_close"}:
            self.header = kind == "thead_open"
        elif kind in {"th_open", "td_open"}:
            found = _ALIGN.search(str(token.attrGet("style") or ""))
            self.align = found.group(1) if found else None
        elif kind == "tr_close" and self.rows is not None:
            head = "<w:trPr><w:tblHeader/></w:trPr>" if self.header else ""
            self.rows.append(f"<w:tr>{head}{''.join(self.cells)}</w:tr>")
            self.columns = max(self.columns, len(self.cells))
            self.cells = []
        elif kind == "table_close" and self.rows is not None:
            grid = f'<w:gridCol w:w="{9000 // max(self.columns, 1)}"/>' * self.columns
            self.out.append(
                '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
                f'<w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>'
                + "".join(self.rows)
                + "</w:tbl><w:p/>"  # Word wants a paragraph between a table and what follows
            )
            self.rows, self.columns = None, 0


def markdown(text: str, *, links: Links, top: int = 1, lang: str | None = None) -> str:
    """Markdown as body XML: headings below level ``top`` (a `#` under a Heading 1 section is
    a Heading 2), nested lists, quotes, code, tables and links; every run marked as in
    ``lang`` when given."""
    blocks = _Blocks(links, top, lang)
    for token in parse(text):
        blocks.feed(token)
    return "".join(blocks.out)
