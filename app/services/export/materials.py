"""A version of a material as Markdown, DOCX, an easy-read edition and JSON with provenance;
and the small Markdown reader the pages and the DOCX writer share."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from app.models.cafe import ROLE_LABELS
from app.models.evidence import EVIDENCE_LABELS, KIND_LABELS
from app.models.material import (
    CandidatePublic,
    EvidenceItem,
    EvidenceItemPublic,
    GroupCountPublic,
    MaterialPublic,
    ParaphraseChange,
    SectionDiffPublic,
    SectionPublic,
    SharedThemePublic,
    TextDiffPublic,
    UsePublic,
    VersionDetail,
    VersionDiffPublic,
    VersionPublic,
    VersionStatus,
)
from app.services.material import (
    Candidate,
    EvidenceView,
    MaterialSummary,
    SectionDiff,
    SectionView,
    SharedTheme,
    TextDiff,
    UseRef,
    VersionDiff,
    VersionView,
)

# --- reading Markdown -----------------------------------------------------------------


@dataclass
class Inline:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    href: str | None = None


@dataclass
class Block:
    kind: str  # heading | para | ul | ol | quote
    level: int = 0
    inlines: list[Inline] = field(default_factory=list)
    items: list[list[Inline]] = field(default_factory=list)


_INLINE = re.compile(
    r"(?P<code>`[^`]+`)"
    r"|(?P<link>\[(?P<label>[^\]]+)\]\((?P<href>[^)\s]+)\))"
    r"|(?P<bold>\*\*(?=\S)(?P<btext>.+?)(?<=\S)\*\*|__(?=\S)(?P<btext2>.+?)(?<=\S)__)"
    r"|(?P<italic>\*(?=\S)(?P<itext>[^*]+?)(?<=\S)\*|\b_(?=\S)(?P<itext2>[^_]+?)(?<=\S)_\b)"
)
_SAFE_HREF = re.compile(r"^(https?://|mailto:|/|#)", re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")


def inlines(text: str) -> list[Inline]:
    """Bold, italic, code and links; everything else is plain text (escaped on output)."""
    out: list[Inline] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            out.append(Inline(text[pos : m.start()]))
        if m.group("code"):
            out.append(Inline(m.group("code")[1:-1], code=True))
        elif m.group("link"):
            href = m.group("href")
            out.append(Inline(m.group("label"), href=href if _SAFE_HREF.match(href) else None))
        elif m.group("bold"):
            out.append(Inline(m.group("btext") or m.group("btext2") or "", bold=True))
        else:
            out.append(Inline(m.group("itext") or m.group("itext2") or "", italic=True))
        pos = m.end()
    if pos < len(text):
        out.append(Inline(text[pos:]))
    return out


def blocks(markdown: str) -> list[Block]:
    """Paragraphs, headings, lists and quotes: enough for discussion materials."""
    out: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(Block("para", inlines=inlines(" ".join(para))))
            para.clear()

    for raw in markdown.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip() or line.strip().startswith(("```", "~~~")):
            flush()
            continue
        if m := _HEADING.match(line):
            flush()
            out.append(Block("heading", level=len(m.group(1)), inlines=inlines(m.group(2))))
        elif m := _BULLET.match(line):
            flush()
            if not out or out[-1].kind != "ul":
                out.append(Block("ul"))
            out[-1].items.append(inlines(m.group(1)))
        elif m := _NUMBERED.match(line):
            flush()
            if not out or out[-1].kind != "ol":
                out.append(Block("ol"))
            out[-1].items.append(inlines(m.group(1)))
        elif m := _QUOTE.match(line):
            flush()
            if out and out[-1].kind == "quote":
                out[-1].inlines.extend([Inline(" "), *inlines(m.group(1))])
            else:
                out.append(Block("quote", inlines=inlines(m.group(1))))
        elif out and out[-1].kind in {"ul", "ol"} and raw.startswith(("  ", "\t")) and not para:
            out[-1].items[-1].extend([Inline(" "), *inlines(line.strip())])
        else:
            para.append(line.strip())
    flush()
    return out


def plain(markdown: str) -> str:
    """The words of a Markdown text without its marks."""
    parts: list[str] = []
    for block in blocks(markdown):
        if block.kind in {"ul", "ol"}:
            parts.extend("".join(i.text for i in item) for item in block.items)
        else:
            parts.append("".join(i.text for i in block.inlines))
    return "\n".join(parts)


def day(value: datetime) -> str:
    """A date as people write it: 4 March 2027 (no leading zero, on every platform)."""
    return f"{value.day} {value:%B %Y}"


# --- labels shared by every format ------------------------------------------------------


def role_label(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", "Role not given")


def provenance_line(item: EvidenceItem) -> str:
    """Where an evidence item came from, in one readable line (no names of people)."""
    parts = []
    if item.group_name:
        meeting = f", meeting {item.meeting_number}" if item.meeting_number else ""
        when = f" ({day(item.meeting_starts_at)})" if item.meeting_starts_at else ""
        parts.append(f"{item.group_name}{meeting}{when}")
    if item.cafe_title:
        parts.append(f"café “{item.cafe_title}”")
    if item.table_name:
        parts.append(item.table_name)
    if item.round_number:
        question = f": “{item.question}”" if item.question else ""
        parts.append(f"round {item.round_number}{question}")
    parts.append(role_label(item.author_role))
    parts.append(EVIDENCE_LABELS.get(item.evidence_type, item.evidence_type))
    parts.append(KIND_LABELS.get(item.kind, item.kind))
    if item.theme_names:
        parts.append(f"themes: {item.theme_names}")
    return " · ".join(parts)


def version_heading(view: VersionView) -> str:
    v = view.version
    if v.status == VersionStatus.PUBLISHED and v.published_at:
        return f"Version {v.number}, published {day(v.published_at)}"
    return f"Version {v.number} (draft, not yet published)"


# --- Markdown -------------------------------------------------------------------------


def _quote(text: str) -> str:
    return " ".join(text.split())


def version_markdown(view: VersionView) -> str:
    """The version as Markdown; importing it again gives the same sections."""
    lines = [f"# {view.material.title}", "", f"*{version_heading(view)}*", ""]
    if view.version.note:
        lines += [view.version.note, ""]
    for sv in view.sections:
        s = sv.section
        lines += [f"## {s.heading}", ""]
        if s.body_markdown:
            lines += [s.body_markdown, ""]
        if s.easy_read_text:
            lines += ["### Easy read", "", s.easy_read_text, ""]
        if sv.evidence:
            lines += ["### Evidence from the network", ""]
            for ev in sv.evidence:
                item = ev.item
                said = f"“{_quote(item.original_text)}”"
                if item.paraphrase:
                    said = f"{_quote(item.paraphrase)} (said: {said})"
                lines.append(f"- {said} — {provenance_line(item)}")
                if ev.marker:
                    lines.append(f"  *{ev.marker}*")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- easy read --------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“‘(]?[A-Z0-9])")


def one_idea_per_line(text: str) -> list[str]:
    """Split text into short lines: each line, and each sentence in a line, stands alone."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip().lstrip("-*•").strip()
        if line:
            out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return out


@dataclass
class EasyReadSection:
    heading: str
    lines: list[str]
    from_easy_read: bool  # False: no easy-read text was written; the full text is split instead
    said: list[str]


def easy_read_edition(view: VersionView) -> list[EasyReadSection]:
    """The easy-read edition: easy-read text where it was written, one idea per line, and what
    people said in plain words."""
    out = []
    for sv in view.sections:
        s = sv.section
        written = bool(s.easy_read_text.strip())
        lines = one_idea_per_line(s.easy_read_text if written else plain(s.body_markdown))
        said = []
        for ev in sv.evidence:
            words = _quote(ev.item.paraphrase or ev.item.original_text)
            who = role_label(ev.item.author_role)
            place = f" in {ev.item.group_name}" if ev.item.group_name else ""
            mark = f" ({ev.marker})" if ev.marker else ""
            said.append(f"{who}{place}: “{words}”{mark}")
        out.append(
            EasyReadSection(heading=s.heading, lines=lines, from_easy_read=written, said=said)
        )
    return out


def easy_read_markdown(view: VersionView) -> str:
    lines = [f"# {view.material.title}", "", f"Easy read. {version_heading(view)}.", ""]
    for section in easy_read_edition(view):
        lines += [f"## {section.heading}", ""]
        lines += [f"{line}\n" for line in section.lines]
        if section.said:
            lines += ["### What people said", ""]
            lines += [f"{line}\n" for line in section.said]
    return "\n".join(lines).rstrip() + "\n"


# --- DOCX -----------------------------------------------------------------------------


def _add_inlines(paragraph: object, runs: list[Inline]) -> None:
    for inline in runs:
        run = paragraph.add_run(inline.text)  # type: ignore[attr-defined]
        run.bold = inline.bold or None
        run.italic = inline.italic or None
        if inline.code:
            run.font.name = "Consolas"
        if inline.href:
            run.add_text(f" ({inline.href})")


def _add_markdown(document: object, markdown: str) -> None:
    for block in blocks(markdown):
        if block.kind == "heading":
            p = document.add_heading(level=min(block.level + 1, 9))  # type: ignore[attr-defined]
            _add_inlines(p, block.inlines)
        elif block.kind in {"ul", "ol"}:
            style = "List Bullet" if block.kind == "ul" else "List Number"
            for item in block.items:
                _add_inlines(document.add_paragraph(style=style), item)  # type: ignore[attr-defined]
        elif block.kind == "quote":
            _add_inlines(document.add_paragraph(style="Quote"), block.inlines)  # type: ignore[attr-defined]
        else:
            _add_inlines(document.add_paragraph(), block.inlines)  # type: ignore[attr-defined]


def _docx_bytes(document: object) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)  # type: ignore[attr-defined]
    return buffer.getvalue()


def version_docx(view: VersionView) -> bytes:
    """The version as a Word document, evidence listed under each section."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = view.material.title
    document.add_heading(view.material.title, level=0)
    document.add_paragraph(version_heading(view)).runs[0].italic = True
    if view.version.note:
        document.add_paragraph(view.version.note)
    for sv in view.sections:
        s = sv.section
        document.add_heading(s.heading, level=1)
        _add_markdown(document, s.body_markdown)
        if s.easy_read_text:
            document.add_heading("Easy read", level=2)
            for line in one_idea_per_line(s.easy_read_text):
                document.add_paragraph(line)
        if sv.evidence:
            document.add_heading("Evidence from the network", level=2)
            for ev in sv.evidence:
                item = ev.item
                p = document.add_paragraph(style="List Bullet")
                if item.paraphrase:
                    p.add_run(_quote(item.paraphrase) + " ")
                    p.add_run(f"(said: “{_quote(item.original_text)}”)").italic = True
                else:
                    p.add_run(f"“{_quote(item.original_text)}”")
                source = document.add_paragraph(provenance_line(item))
                source.runs[0].font.size = Pt(9)
                if ev.marker:
                    mark = document.add_paragraph().add_run(ev.marker)
                    mark.bold = True
                    mark.font.size = Pt(9)
    return _docx_bytes(document)


def easy_read_docx(view: VersionView) -> bytes:
    """The easy-read edition as a Word document in large type."""
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = f"{view.material.title} (easy read)"
    normal = document.styles["Normal"]
    normal.font.size = Pt(16)
    normal.paragraph_format.space_after = Pt(12)
    normal.paragraph_format.line_spacing = 1.5
    document.add_heading(view.material.title, level=0)
    document.add_paragraph(f"Easy read. {version_heading(view)}.")
    for section in easy_read_edition(view):
        document.add_heading(section.heading, level=1)
        for line in section.lines:
            document.add_paragraph(line)
        if section.said:
            document.add_heading("What people said", level=2)
            for line in section.said:
                document.add_paragraph(line)
    return _docx_bytes(document)


# --- JSON -----------------------------------------------------------------------------


def evidence_public(
    item: EvidenceItem, *, source_now: str | None = None, marker: str | None = None
) -> EvidenceItemPublic:
    data = item.model_dump()
    data["theme_names"] = [n.strip() for n in item.theme_names.split(",") if n.strip()]
    return EvidenceItemPublic(
        **data,
        source_now=source_now if source_now is not None else item.source_status,
        marker=marker,
    )


def evidence_view_public(ev: EvidenceView) -> EvidenceItemPublic:
    return evidence_public(ev.item, source_now=ev.source_now, marker=ev.marker)


def section_public(sv: SectionView) -> SectionPublic:
    s = sv.section
    return SectionPublic(
        id=s.id or 0,
        section_key=s.section_key,
        position=s.position,
        heading=s.heading,
        body_markdown=s.body_markdown,
        easy_read_text=s.easy_read_text,
        evidence=[evidence_view_public(ev) for ev in sv.evidence],
    )


def version_public(version: object) -> VersionPublic:
    return VersionPublic.model_validate(version, from_attributes=True)


def version_detail(view: VersionView) -> VersionDetail:
    """The whole version with every evidence item's provenance: the JSON export."""
    return VersionDetail(
        **version_public(view.version).model_dump(),
        material_title=view.material.title,
        network_id=view.material.network_id,
        sections=[section_public(sv) for sv in view.sections],
    )


def material_public(summary: MaterialSummary) -> MaterialPublic:
    m = summary.material
    return MaterialPublic(
        id=m.id or 0,
        network_id=m.network_id,
        title=m.title,
        created_at=m.created_at,
        updated_at=m.updated_at,
        latest_version=summary.latest.number if summary.latest else None,
        published_version=summary.published.number if summary.published else None,
        draft_version=summary.draft.number if summary.draft else None,
    )


def use_public(use: UseRef) -> UsePublic:
    return UsePublic(**use.__dict__)


def candidate_public(candidate: Candidate) -> CandidatePublic:
    c, p = candidate.contribution, candidate.provenance
    return CandidatePublic(
        contribution_id=c.id or 0,
        text=c.text,
        kind=c.kind,
        evidence_type=c.evidence_type,
        author_role=c.author_role,
        created_at=c.created_at,
        group_id=p.group_id,
        group_name=p.group_name,
        meeting_id=p.meeting_id,
        meeting_number=p.meeting_number,
        cafe_id=p.cafe_id,
        cafe_title=p.cafe_title,
        table_name=p.table_name,
        round_number=p.round_number,
        question=p.question,
        theme_names=p.theme_names,
        used_in=[use_public(u) for u in candidate.uses],
    )


def _text_diff_public(diff: TextDiff) -> TextDiffPublic:
    return TextDiffPublic(changed=diff.changed, unified=diff.unified)


def _section_diff_public(sd: SectionDiff) -> SectionDiffPublic:
    return SectionDiffPublic(
        section_key=sd.key,
        status=sd.status,
        heading_old=sd.old.heading if sd.old else None,
        heading_new=sd.new.heading if sd.new else None,
        moved=sd.moved,
        heading=_text_diff_public(sd.heading),
        body=_text_diff_public(sd.body),
        easy_read=_text_diff_public(sd.easy_read),
        evidence_added=[evidence_public(i) for i in sd.evidence_added],
        evidence_removed=[evidence_public(i) for i in sd.evidence_removed],
        paraphrase_changed=[
            ParaphraseChange(item_key=new.item_key, old=old.paraphrase, new=new.paraphrase)
            for old, new in sd.paraphrase_changed
        ],
    )


def diff_public(diff: VersionDiff) -> VersionDiffPublic:
    return VersionDiffPublic(
        material_id=diff.material.id or 0,
        from_version=diff.old.number,
        to_version=diff.new.number,
        sections_added=diff.count("added"),
        sections_removed=diff.count("removed"),
        sections_changed=diff.count("changed"),
        evidence_added_by_group=dict(diff.added_by_group),
        sections=[_section_diff_public(sd) for sd in diff.sections],
    )


def shared_theme_public(theme: SharedTheme) -> SharedThemePublic:
    return SharedThemePublic(
        name=theme.name,
        key=theme.key,
        theme_ids=theme.theme_ids,
        group_count=theme.group_count,
        groups=[GroupCountPublic(**g.__dict__) for g in theme.groups],
        total=theme.total,
        by_role=theme.by_role,
        by_evidence_type=theme.by_evidence_type,
        by_kind=theme.by_kind,
        used=theme.used,
    )


def export_filename(view: VersionView, suffix: str, extension: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", view.material.title.lower()).strip("-")[:60] or "material"
    return f"{slug}-v{view.version.number}{suffix}.{extension}"


def when(value: datetime | None) -> str:
    return day(value) if value else ""
