"""A version of a discussion material as Markdown, DOCX and an easy-read edition, with the
labels every format (and the material pages) shares."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from sqlmodel import Session

from app import i18n
from app.db import Database
from app.i18n import _
from app.models.audit import AuditAction, SubjectKind
from app.models.cafe import ROLE_LABELS
from app.models.evidence import EVIDENCE_LABELS, KIND_LABELS
from app.models.material import (
    EvidenceItem,
    Material,
    MaterialVersion,
    VersionStatus,
)
from app.models.network import Network
from app.services import audit
from app.services.audit import Actor, Subject
from app.services.export import docx
from app.services.export.docx import heading, para, run, text_runs
from app.services.export.formats import DOCX, FORMATS, JSON, MARKDOWN, Download, Format
from app.services.export.markdown import defuse_html, escape
from app.services.material.public import day, export_filename, version_detail
from app.services.material.views import SectionView, VersionView
from app.services.material.wording import section_words, words_gone

# --- labels shared by every format ------------------------------------------------------


def role_label(role: str | None) -> str:
    found = ROLE_LABELS.get(role or "")
    return _(found) if found else _("Role not given")


def _label(labels: dict[str, str], key: str) -> str:
    found = labels.get(key)
    return _(found) if found else key


def provenance_line(item: EvidenceItem) -> str:
    """Where an evidence item came from, in one readable line (no names of people)."""
    parts = []
    if item.group_name:
        meeting = (
            _(", meeting %(number)s", number=item.meeting_number) if item.meeting_number else ""
        )
        when = f" ({day(item.meeting_starts_at)})" if item.meeting_starts_at else ""
        parts.append(f"{item.group_name}{meeting}{when}")
    if item.cafe_title:
        parts.append(_("café “%(title)s”", title=item.cafe_title))
    if item.table_name:
        parts.append(item.table_name)
    if item.round_number:
        parts.append(
            _("round %(number)s: “%(question)s”", number=item.round_number, question=item.question)
            if item.question
            else _("round %(number)s", number=item.round_number)
        )
    parts.append(role_label(item.author_role))
    parts.append(_label(EVIDENCE_LABELS, item.evidence_type))
    parts.append(_label(KIND_LABELS, item.kind))
    if item.theme_names:
        parts.append(_("themes: %(themes)s", themes=item.theme_names))
    return " · ".join(parts)


def version_heading(view: VersionView) -> str:
    v = view.version
    if v.status == VersionStatus.PUBLISHED and v.published_at:
        return _("Version %(number)s, published %(day)s", number=v.number, day=day(v.published_at))
    return _("Version %(number)s (draft, not yet published)", number=v.number)


# --- Markdown -------------------------------------------------------------------------


def _quote(text: str) -> str:
    return " ".join(text.split())


def version_markdown(view: VersionView) -> str:
    """The version as Markdown; importing it again gives the same sections (their raw HTML
    escaped, which the pages showed as text anyway). The lead's text stays Markdown, in Welsh
    where they wrote it and the export is in Welsh; what people said and where it came from
    is escaped, shown as written in any viewer."""
    title = defuse_html(view.material.title)
    lines = [f"# {title}", "", f"*{version_heading(view)}*", ""]
    if view.version.note:
        lines += [defuse_html(view.version.note), ""]
    lang = i18n.current()
    for sv in view.sections:
        words = section_words(sv.section, lang)
        lines += [f"## {defuse_html(words.heading)}", ""]
        if words.body:
            lines += [defuse_html(words.body), ""]
        if words.written_easy:
            lines += [f"### {_('Easy read')}", "", defuse_html(words.written_easy), ""]
        if sv.evidence:
            lines += [f"### {_('Evidence from the network')}", ""]
            for ev in sv.evidence:
                item = ev.item
                said = f"“{escape(item.original_text)}”"
                gone = words_gone(item)
                if gone is not None:
                    said = escape(gone)
                elif item.paraphrase:
                    said = _(
                        "%(paraphrase)s (said: %(said)s)",
                        paraphrase=escape(item.paraphrase),
                        said=said,
                    )
                lines.append(f"- {said} — {escape(provenance_line(item))}")
                if ev.marker:
                    lines.append(f"  *{escape(ev.marker)}*")
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
    heading_lang: str = "en"  # the language the lead wrote the heading in
    lines_lang: str = "en"  # and the lines


def easy_read_edition(view: VersionView) -> list[EasyReadSection]:
    """The easy-read edition in the current language: easy-read text where it was written
    (in Welsh where the lead wrote it, for a Welsh reader), one idea per line, and what people
    said in plain words."""
    out = []
    lang = i18n.current()
    for sv in view.sections:
        wording = section_words(sv.section, lang)
        lines = one_idea_per_line(wording.easy)
        said = []
        for ev in sv.evidence:
            words = _quote(ev.item.paraphrase or ev.item.original_text)
            who = role_label(ev.item.author_role)
            if ev.item.group_name:
                who = _("%(who)s in %(group)s", who=who, group=ev.item.group_name)
            mark = f" ({ev.marker})" if ev.marker else ""
            gone = words_gone(ev.item)
            if gone is not None:
                said.append(f"{who}: {gone}")
                continue
            said.append(f"{who}: “{words}”{mark}")
        out.append(
            EasyReadSection(
                heading=wording.heading,
                lines=lines,
                from_easy_read=wording.from_easy_read,
                said=said,
                heading_lang=wording.heading_lang,
                lines_lang=wording.easy_lang,
            )
        )
    return out


def _easy_heading(view: VersionView) -> str:
    return _("Easy read. %(version)s.", version=version_heading(view))


def easy_read_markdown(view: VersionView) -> str:
    """The easy-read edition as Markdown: headings as the lead wrote them, every line of words
    (theirs and what people said) escaped so a viewer shows it as written."""
    title = defuse_html(view.material.title)
    lines = [f"# {title}", "", _easy_heading(view), ""]
    for section in easy_read_edition(view):
        lines += [f"## {defuse_html(section.heading)}", ""]
        lines += [f"{escape(line)}\n" for line in section.lines]
        if section.said:
            lines += [f"### {_('What people said')}", ""]
            lines += [f"{escape(line)}\n" for line in section.said]
    return "\n".join(lines).rstrip() + "\n"


# --- DOCX -----------------------------------------------------------------------------


def _evidence_docx(sv: SectionView) -> Iterator[str]:
    yield heading(_("Evidence from the network"), 2)
    for ev in sv.evidence:
        item = ev.item
        gone = words_gone(item)
        if gone is not None:
            said = run(gone, italic=True)
        elif item.paraphrase:
            said = run(_quote(item.paraphrase) + " ") + run(
                _("(said: “%(words)s”)", words=_quote(item.original_text)), italic=True
            )
        else:
            said = run(f"“{_quote(item.original_text)}”")
        yield para(said, style="ListBullet")
        yield para(run(provenance_line(item), size=9))
        if ev.marker:
            yield para(run(ev.marker, bold=True, size=9))


def version_docx(view: VersionView) -> bytes:
    """The version as a Word document, evidence listed under each section. The document is in
    the export's language; each part of a section is marked with the language the lead wrote
    it in (Welsh where they wrote it and the export is in Welsh)."""
    links = docx.Links()
    lang = i18n.current()

    def body() -> Iterator[str]:
        yield heading(view.material.title, 0)
        yield para(run(version_heading(view), italic=True))
        if view.version.note:
            yield para(text_runs(view.version.note))
        for sv in view.sections:
            words = section_words(sv.section, lang)
            yield heading(words.heading, 1, lang=words.heading_lang)
            yield docx.markdown(words.body, links=links, top=1, lang=words.body_lang)
            if words.written_easy:
                yield heading(_("Easy read"), 2)
                yield from (
                    para(run(line, lang=words.written_easy_lang))
                    for line in one_idea_per_line(words.written_easy)
                )
            if sv.evidence:
                yield from _evidence_docx(sv)

    return docx.document(
        title=view.material.title, body=body(), links=links, look=docx.Look(lang=lang)
    )


def easy_read_docx(view: VersionView) -> bytes:
    """The easy-read edition as a Word document in large type, in the export's language."""
    lang = i18n.current()

    def body() -> Iterator[str]:
        yield heading(view.material.title, 0)
        yield para(run(_easy_heading(view)))
        for section in easy_read_edition(view):
            yield heading(section.heading, 1, lang=section.heading_lang)
            yield from (para(run(line, lang=section.lines_lang)) for line in section.lines)
            if section.said:
                yield heading(_("What people said"), 2)
                yield from (para(run(line)) for line in section.said)

    return docx.document(
        title=_("%(title)s (easy read)", title=view.material.title),
        body=body(),
        look=replace(docx.LARGE_PRINT, lang=lang),
    )


# --- the registry's formats, per edition ------------------------------------------------


def _json(view: VersionView) -> bytes:
    return version_detail(view).model_dump_json(indent=2).encode()


def easy_read_json(view: VersionView) -> bytes:
    """The easy-read edition as JSON: per section its heading, its lines (one idea each) and
    what people said in plain words (the paraphrase where there is one)."""
    v = view.version
    edition = {
        "edition": "easy_read",
        "material_id": view.material.id,
        "title": view.material.title,
        "version": v.number,
        "status": v.status,
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "language": i18n.current(),
        "heading": _easy_heading(view),
        "sections": [
            {
                "section_key": sv.section.section_key,
                "heading": section.heading,
                "heading_language": section.heading_lang,
                "lines": section.lines,
                "lines_language": section.lines_lang,
                "from_easy_read": section.from_easy_read,
                "said": section.said,
            }
            for sv, section in zip(view.sections, easy_read_edition(view), strict=True)
        ],
    }
    return json.dumps(edition, indent=2, ensure_ascii=False).encode()


WRITERS: dict[tuple[Format, bool], Callable[[VersionView], bytes]] = {
    (JSON, False): _json,
    (JSON, True): easy_read_json,
    (MARKDOWN, False): lambda view: version_markdown(view).encode(),
    (MARKDOWN, True): lambda view: easy_read_markdown(view).encode(),
    (DOCX, False): version_docx,
    (DOCX, True): easy_read_docx,
}


def export_version(
    *, view: VersionView, fmt: str, easy_read: bool, lang: str | None = None
) -> Download:
    """The version (or its easy-read edition) in a format of the registry, its fixed words
    in `lang` (the current language when None)."""
    chosen = FORMATS[fmt]
    suffix = "-easy-read" if easy_read else ""
    with i18n.speaking(lang):
        body = WRITERS[chosen, easy_read](view)
    return Download(
        body=body,
        media_type=chosen.media_type,
        filename=export_filename(view=view, suffix=suffix, extension=chosen.extension),
    )


def record_export(
    *,
    db: Database,
    session: Session,
    actor: Actor,
    material: Material,
    version: MaterialVersion,
    detail: str,
) -> None:
    """Audit a version exported (a file, or its page to print), once a request."""
    network = session.get(Network, material.network_id)
    assert network is not None
    audit.record_read(
        db=db,
        actor=actor,
        action=AuditAction.EXPORTED_MATERIALS,
        subject=Subject(SubjectKind.MATERIAL_VERSION, version.id),
        owner_id=network.facilitator_id,
        detail=detail,
    )
