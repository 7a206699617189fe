"""Session notes: a café's visible contributions as JSON, CSV, Markdown or DOCX, streamed.

Every format is a generator of byte chunks over the batches of ``notes_reading``, so memory
stays flat however big the café is.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app import i18n
from app.i18n import _, ngettext
from app.models.cafe import ROLE_LABELS, Cafe
from app.models.evidence import EVIDENCE_LABELS, KIND_LABELS
from app.services.export import docx
from app.services.export.docx import para, run
from app.services.export.formats import FORMATS, NotesFormat, spoken
from app.services.export.markdown import escape as md
from app.services.export.notes_reading import (
    BATCH,
    NoteRecord,
    NotesContext,
    NotesOutline,
    load_context,
    notes_outline,
    record_batches,
    summary,
)


def filename(*, cafe: Cafe, fmt: NotesFormat, now: datetime) -> str:
    """A safe ASCII file name: the café's title, "notes" and the date."""
    ascii_title = unicodedata.normalize("NFKD", cafe.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:40].rstrip("-")
    return f"{slug or f'cafe-{cafe.id}'}-notes-{now:%Y-%m-%d}.{FORMATS[fmt].extension}"


# --- JSON ----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _json_item(r: NoteRecord, names_visible: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": r.id,
        "round": r.round,
        "question": r.question,
        "table": r.table,
        "table_name": r.table_name,
        "text": r.text,
        "kind": r.kind,
        "evidence_type": r.evidence_type,
        "author_role": r.author_role,
        "for_table": r.for_table,
        "themes": r.themes,
        "reactions": r.reactions,
        "media": r.media,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }
    if names_visible:
        item["author"] = r.author
    return item


def _labels(labels: dict[str, str]) -> dict[str, str]:
    return {key: _(words) for key, words in labels.items()}


def notes_json(
    *, session: Session, cafe: Cafe, now: datetime, batch: int = BATCH
) -> Iterator[bytes]:
    """One JSON document: the café, its rounds, tables, themes, counts, then every
    visible contribution with its provenance."""
    ctx = load_context(session=session, cafe=cafe, now=now)
    totals = summary(session=session, ctx=ctx)
    numbers = {tid: t.number for tid, t in ctx.tables.items()}
    head: dict[str, Any] = {
        "format": "tablecloth-session-notes",
        "version": 1,
        "exported_at": now.isoformat(),
        "complete": cafe.status == "closed",
        "language": i18n.current(),
        "note": _("Hidden, withdrawn and pending contributions are left out.")
        + ("" if cafe.names_visible else " " + _("Participants' names are not included.")),
        "cafe": {
            "id": cafe.id,
            "title": cafe.title,
            "purpose": cafe.purpose,
            "status": cafe.status,
            "names_visible": cafe.names_visible,
            "created_at": _iso(cafe.created_at),
            "closed_at": _iso(cafe.closed_at),
        },
        "labels": {
            "kind": _labels(KIND_LABELS),
            "evidence_type": _labels(EVIDENCE_LABELS),
            "author_role": _labels(ROLE_LABELS),
        },
        "rounds": [
            {
                "number": r.number,
                "question": r.question,
                "minutes": r.minutes,
                "status": r.status,
                "starts_at": _iso(r.starts_at),
                "ended_at": _iso(r.ended_at),
                "table_questions": {
                    str(numbers[tid]): q
                    for (rid, tid), q in sorted(ctx.overrides.items())
                    if rid == r.id and tid in numbers
                },
            }
            for r in sorted(ctx.rounds.values(), key=lambda r: r.number)
        ],
        "tables": [
            {"number": t.number, "name": t.name}
            for t in sorted(ctx.tables.values(), key=lambda t: t.number)
        ],
        "themes": [
            {"id": t.id, "name": t.name, "description": t.description, "contributions": n}
            for t, n in totals.themes
        ],
        "counts": {
            "total": totals.total,
            "by_evidence_type": totals.by_evidence_type,
            "by_author_role": totals.by_author_role,
            "by_kind": totals.by_kind,
            "by_round": {
                str(k) if k is not None else "none": n for k, n in totals.by_round.items()
            },
            "by_table": {
                str(k) if k is not None else "none": n for k, n in totals.by_table.items()
            },
        },
    }
    opening = json.dumps(head, ensure_ascii=False)
    yield (opening[:-1] + ', "contributions": [').encode()
    first = True
    for records in record_batches(session=session, ctx=ctx, batch=batch):
        # One encoder call per batch: the list's brackets are dropped, its commas kept.
        chunk = json.dumps(
            [_json_item(r, cafe.names_visible) for r in records], ensure_ascii=False
        )[1:-1]
        yield (chunk if first else "," + chunk).encode()
        first = False
    yield b"]}"


# --- CSV -----------------------------------------------------------------------------------

CSV_COLUMNS = [
    "id",
    "cafe_id",
    "cafe",
    "round",
    "question",
    "table",
    "table_name",
    "author_role",
    "author_role_label",
    "evidence_type",
    "evidence_type_label",
    "kind",
    "kind_label",
    "text",
    "themes",
    "reactions",
    "media",
    "for_table",
    "created_at",
    "updated_at",
]
_FORMULA_START = frozenset("=+-@\t\r")


def neutralise(value: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ (or a tab or CR before one) as a
    formula; a leading apostrophe makes it plain text."""
    return "'" + value if value[:1] in _FORMULA_START else value


def notes_csv(
    *, session: Session, cafe: Cafe, now: datetime, batch: int = BATCH
) -> Iterator[bytes]:
    """One row per visible contribution, UTF-8 with a byte-order mark for spreadsheets."""
    ctx = load_context(session=session, cafe=cafe, now=now)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = CSV_COLUMNS + (["author"] if cafe.names_visible else [])
    writer.writerow(header)
    yield ("\ufeff" + buffer.getvalue()).encode()
    title, cafe_id, names_visible = neutralise(cafe.title), cafe.id, cafe.names_visible
    for records in record_batches(session=session, ctx=ctx, batch=batch):
        buffer.seek(0)
        buffer.truncate()
        for r in records:
            row: list[Any] = [
                r.id,
                cafe_id,
                title,
                "" if r.round is None else r.round,
                neutralise(r.question or ""),
                "" if r.table is None else r.table,
                neutralise(r.table_name or ""),
                r.author_role or "",
                r.role_label,
                r.evidence_type,
                r.evidence_label,
                r.kind,
                r.kind_label,
                neutralise(r.text),
                neutralise("; ".join(r.themes)),
                r.reactions,
                "; ".join(r.media),
                "yes" if r.for_table else "no",
                r.created_at,
                r.updated_at,
            ]
            if names_visible:
                row.append(neutralise(r.author or ""))
            writer.writerow(row)
        yield buffer.getvalue().encode()


def _when(ctx: NotesContext) -> str:
    cafe = ctx.cafe
    if cafe.closed_at is not None:
        return _("The café closed at %(when)s UTC.", when=f"{cafe.closed_at:%Y-%m-%d %H:%M}")
    return _(
        "These notes were taken at %(when)s UTC while the café was open.",
        when=f"{ctx.now:%Y-%m-%d %H:%M}",
    )


def _title(cafe: Cafe) -> str:
    return _("%(title)s: session notes", title=cafe.title)


def _counted(total: int) -> str:
    return ngettext(
        "%(num)s contribution. Hidden, withdrawn and pending ones are left out.",
        "%(num)s contributions. Hidden, withdrawn and pending ones are left out.",
        total,
    )


def _names(cafe: Cafe) -> str:
    return (
        _("Names are shown as the café showed them.")
        if cafe.names_visible
        else _("Participants' names are not included.")
    )


def notes_markdown(
    *, session: Session, cafe: Cafe, now: datetime, batch: int = BATCH
) -> Iterator[bytes]:
    """Readable notes: headings per round, table and theme, one bullet per contribution."""
    outline = notes_outline(session=session, cafe=cafe, now=now, batch=batch)
    s = outline.summary
    head = [f"# {_('%(title)s: session notes', title=md(cafe.title))}", ""]
    if cafe.purpose:
        head += [md(cafe.purpose), ""]
    head += [
        f"- {_when(outline.ctx)}",
        f"- {_counted(s.total)}",
        f"- {_names(cafe)}",
        "",
    ]
    if s.themes:
        head += [f"## {_('Themes')}", ""]
        head += [
            f"- **{md(t.name)}** ({n})" + (f": {md(t.description)}" if t.description else "")
            for t, n in s.themes
        ]
        head.append("")
    head += [f"## {_('Who said what')}", ""]
    for key, counts in (
        ("evidence_type", s.by_evidence_type),
        ("author_role", s.by_author_role),
    ):
        tallies = outline.lines(key, counts)
        if tallies:
            head.append("- " + "; ".join(f"{label}: {n}" for label, n in tallies))
    head.append("")
    yield "\n".join(head).encode()
    for group in outline.groups:
        lines: list[str] = []
        if group.new_round:
            lines += [f"## {md(group.round_heading)}", ""]
        if group.new_table:
            lines += [f"### {md(group.table_heading)}", ""]
            if group.table_question:
                asked = _("Question at this table: %(question)s", question=md(group.table_question))
                lines += [f"_{asked}_", ""]
        if group.themed:
            lines += [f"#### {md(group.theme_heading)}", ""]
        yield ("\n".join(lines) + "\n").encode()
        under = group.theme.id if group.theme else None
        for records in group.batches:
            yield "".join(
                f"- **{r.kind_label}:** {md(r.text)}  \n  _{md(r.meta(under_theme=under))}_\n"
                for r in records
            ).encode()
        yield b"\n"


def notes_docx(
    *, session: Session, cafe: Cafe, now: datetime, batch: int = BATCH
) -> Iterator[bytes]:
    """A Word document with headings per round, table and theme, for sharing."""
    outline = notes_outline(session=session, cafe=cafe, now=now, batch=batch)
    yield from docx.stream(
        title=_title(cafe),
        body=_docx_body(outline),
        created=now,
        look=docx.A4,
    )


def _around(sentence: str, words: str) -> str:
    """A translated sentence with a person's words (in italics) where its NUL is."""
    before, _nul, after = sentence.partition("\0")
    return run(before) + run(words, italic=True) + (run(after) if after else "")


def _docx_body(outline: NotesOutline) -> Iterator[str]:
    cafe, s = outline.cafe, outline.summary
    head = [para(run(_title(cafe)), style="Title")]
    if cafe.purpose:
        head.append(para(run(cafe.purpose)))
    head.append(para(run(_when(outline.ctx))))
    head.append(para(run(f"{_counted(s.total)} {_names(cafe)}")))
    if s.themes:
        head.append(para(run(_("Themes")), style="Heading1"))
        for t, n in s.themes:
            text = run(t.name, bold=True) + run(f" ({n})")
            if t.description:
                text += run(f": {t.description}")
            head.append(para(text, style="ListBullet"))
    head.append(para(run(_("Who said what")), style="Heading1"))
    for key, counts in (("evidence_type", s.by_evidence_type), ("author_role", s.by_author_role)):
        lines = outline.lines(key, counts)
        if lines:
            head.append(para(run("; ".join(f"{label}: {n}" for label, n in lines))))
    yield "".join(head)
    for group in outline.groups:
        out = []
        if group.new_round:
            out.append(para(run(group.round_heading), style="Heading1"))
        if group.new_table:
            out.append(para(run(group.table_heading), style="Heading2"))
            if group.table_question:
                out.append(
                    para(
                        _around(
                            _("Question at this table: %(question)s", question="\0"),
                            group.table_question,
                        )
                    )
                )
        if group.themed:
            out.append(para(run(group.theme_heading), style="Heading3"))
        yield "".join(out)
        under = group.theme.id if group.theme else None
        for records in group.batches:
            yield "".join(
                para(
                    run(f"{r.kind_label}: ", bold=True)
                    + run(r.text)
                    + run(f" ({r.meta(under_theme=under)})", italic=True),
                    style="ListBullet",
                )
                for r in records
            )


Writer = Callable[..., Iterator[bytes]]
# Each format of the registry the notes come in, with its writer.
WRITERS: dict[NotesFormat, Writer] = {
    NotesFormat.JSON: notes_json,
    NotesFormat.CSV: notes_csv,
    NotesFormat.MD: notes_markdown,
    NotesFormat.DOCX: notes_docx,
}


def export_notes(
    *,
    session: Session,
    cafe: Cafe,
    fmt: NotesFormat,
    now: datetime,
    batch: int = BATCH,
    lang: str | None = None,
) -> Iterator[bytes]:
    """The session notes in the chosen format, as a stream of byte chunks, the fixed words in
    `lang` (the current language when None)."""
    return spoken(lang, WRITERS[fmt](session=session, cafe=cafe, now=now, batch=batch))
