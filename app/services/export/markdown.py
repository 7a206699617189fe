"""The one Markdown reader (markdown-it-py, CommonMark with tables, raw HTML off) and writer
(escaping plain text so it is shown as written)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererProtocol
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

# Raw HTML is off so imported or typed text can never inject markup: tags come out as text.
_parser = MarkdownIt("commonmark", {"html": False}).enable("table")

# Links a reader can follow without surprises; markdown-it already refuses javascript:,
# vbscript:, file: and data: links, so this only decides which links become real ones in DOCX.
SAFE_HREF = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


def parse(text: str) -> list[Token]:
    """The block tokens of a Markdown text."""
    return _parser.parse(text)


@dataclass(frozen=True)
class Heading:
    """A heading of the document itself and the source lines it takes up, ``start`` up to
    ``end`` (counted from 0, ``end`` left out): two or more for an underlined heading."""

    level: int
    text: str  # its source, marks and escapes kept, lines joined by a space
    start: int
    end: int


def headings(text: str) -> list[Heading]:
    """The headings of a Markdown text as CommonMark reads them, in order: not a `#` line
    inside code, and not a heading inside a list item or a quote (part of that block)."""
    tokens = _parser.parse(text)
    found = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0 and token.map:
            start, end = token.map
            words = " ".join(tokens[index + 1].content.split())
            found.append(Heading(level=int(token.tag[1]), text=words, start=start, end=end))
    return found


# --- reading: HTML for pages, plain words for the easy-read edition ------------------------


def _image(
    _renderer: RendererProtocol,
    tokens: Sequence[Token],
    idx: int,
    _options: OptionsDict,
    _env: EnvType,
) -> str:
    # An imported image would be fetched from wherever it points: its words stand in, as a
    # link to it when it is on the web.
    token = tokens[idx]
    alt = escapeHtml(token.content or "image")
    src = str(token.attrGet("src") or "")
    return f'<a href="{escapeHtml(src)}">{alt}</a>' if SAFE_HREF.match(src) else alt


_parser.add_render_rule("image", _image)


def to_html(text: str, *, top: int = 2) -> str:
    """Markdown as safe HTML for a page; its headings start below level ``top`` (a `#` in a
    section's text becomes an h3 under the section's h2), never deeper than h6."""
    tokens = _parser.parse(text)
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            token.tag = f"h{min(int(token.tag[1]) + top, 6)}"
        elif token.type in {"th_open", "td_open"} and token.attrs:
            # Column alignment comes as a style attribute, which the pages' CSP refuses.
            token.attrs.pop("style", None)
    return str(_parser.renderer.render(tokens, _parser.options, {}))


def inline_text(token: Token) -> str:
    """The words of an inline token, marks left out."""
    out: list[str] = []
    for child in token.children or []:
        if child.type in {"text", "code_inline"}:
            out.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)
    return "".join(out)


def plain(text: str) -> str:
    """The words of a Markdown text without its marks: a line per paragraph, heading, list
    item, table row and line of code."""
    lines: list[str] = []
    row: list[str] | None = None
    for token in _parser.parse(text):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            lines.append(" · ".join(cell for cell in row if cell))
            row = None
        elif token.type == "inline":
            words = inline_text(token)
            if row is not None:
                row.append(words)
            else:
                lines.append(words)
        elif token.type in {"fence", "code_block"}:
            lines.extend(token.content.rstrip("\n").split("\n"))
    return "\n".join(lines)


# --- writing -------------------------------------------------------------------------------

_SPECIAL = re.compile(r"([\\`*_{}\[\]>#|!~])")
# What starts a block at the beginning of a line and is not already escaped above: list
# markers, setext underlines and numbered items.
_LINE_START = re.compile(r"^([+\-=]|\d+(?=[.)]))", re.MULTILINE)


_STARTERS = frozenset("+-=0123456789")
# An ampersand that would start a character reference (`&lt;`, `&#60;`): a viewer would show
# the character it names instead of what was typed. A lone `&` stays as it is.
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def _escape_line(line: str) -> str:
    # `<` as a character reference, not `\<`: Markdown.pl and its kin know no `\<` and would
    # pass the tag through; every flavour reads `&lt;` as the character.
    if "&" in line:
        line = _ENTITY.sub("&amp;", line)
    return _SPECIAL.sub(r"\\\1", line.replace("<", "&lt;"))


def escape(text: str) -> str:
    """Text as one line of inline Markdown, shown as written: markup characters escaped, and
    a list marker at its start too, should the line begin with it."""
    line = _escape_line(" ".join(text.split()))
    # Most lines start with a letter: the cheap test keeps the notes' hot loop fast.
    return _LINE_START.sub(_escape_start, line, count=1) if line[:1] in _STARTERS else line


def escape_block(text: str) -> str:
    """Plain text, its paragraphs and line breaks kept, that Markdown shows as written: never
    a heading, list, quote, code or HTML."""
    lines = (_escape_line(line.strip()) for line in text.replace("\r\n", "\n").split("\n"))
    return _LINE_START.sub(_escape_start, "\n".join(lines))


def _escape_start(match: re.Match[str]) -> str:
    marker = match.group(1)
    return marker + "\\" if marker[0].isdigit() else "\\" + marker


# What a Markdown viewer with raw HTML on would read as a tag, a comment or a declaration, and
# what is left alone: code spans, autolinks, a link destination in angle brackets, escapes.
_INLINE_HTML = re.compile(
    r"(?P<code>(?<!`)(`+)(?!`).*?(?<!`)\2(?!`))"
    r"|<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>"
    r"|<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>"
    r"|\]\(<[^<>\n]*>"
    r"|\\."
    r"|(?P<tag><(?=[A-Za-z/!?]))",
    re.DOTALL,
)


def _defuse(match: re.Match[str]) -> str:
    return "&lt;" if match.group("tag") else match.group(0)


def defuse_html(text: str) -> str:
    """Markdown written by a person, kept as Markdown, with the raw HTML in it escaped: the
    pages read it with HTML off, so `<b>` is text there, and any other viewer now shows the
    same text instead of running it. Code blocks and code spans are left as they are."""
    if "<" not in text:
        return text
    lines = text.split("\n")
    code: set[int] = set()
    for token in _parser.parse(text):
        if token.type in {"fence", "code_block"} and token.map:
            code.update(range(*token.map))
    out: list[str] = []
    chunk: list[str] = []
    for number, line in enumerate([*lines, ""]):
        if number in code or not line.strip():
            if chunk:
                out.append(_INLINE_HTML.sub(_defuse, "\n".join(chunk)))
                chunk = []
            if number < len(lines):
                out.append(line)
        else:
            chunk.append(line)
    return "\n".join(out)
