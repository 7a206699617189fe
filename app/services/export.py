"""Session notes: a café's visible contributions as JSON, CSV, Markdown or DOCX, streamed.

Every format is a generator of byte chunks. Contributions are read in keyset batches (by
id, a few thousand at a time) with their themes, reactions and media fetched per batch, so
memory stays flat however big the café is. Hidden, withdrawn and pending contributions are
never part of the notes; participants' names appear only when the café shows names.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import docx
from docx.shared import Mm
from sqlalchemy import exists, func
from sqlalchemy import select as sa_select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from app.models.cafe import ROLE_LABELS, Cafe, CafeTable, Participant, Round
from app.models.evidence import (
    EVIDENCE_LABELS,
    KIND_LABELS,
    Contribution,
    ContributionStatus,
    ContributionTheme,
    Media,
    Reaction,
    Theme,
)
from app.services import cafe as cafe_service

BATCH = 2000


class NotesFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    MD = "md"
    DOCX = "docx"


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA_TYPES: dict[NotesFormat, str] = {
    NotesFormat.JSON: "application/json",
    NotesFormat.CSV: "text/csv; charset=utf-8",
    NotesFormat.MD: "text/markdown; charset=utf-8",
    NotesFormat.DOCX: DOCX_TYPE,
}


def filename(cafe: Cafe, fmt: NotesFormat, now: datetime) -> str:
    """A safe ASCII file name: the café's title, "notes" and the date."""
    ascii_title = unicodedata.normalize("NFKD", cafe.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:40].rstrip("-")
    return f"{slug or f'cafe-{cafe.id}'}-notes-{now:%Y-%m-%d}.{fmt.value}"


# --- reading contributions in batches ------------------------------------------------------


@dataclass
class NotesContext:
    """The small things every note refers to, read once per export."""

    cafe: Cafe
    now: datetime
    rounds: dict[int, Round]
    tables: dict[int, CafeTable]
    overrides: dict[tuple[int, int], str]
    themes: dict[int, Theme]
    names: dict[int, str]

    def question(self, rnd: Round | None, table_id: int | None) -> str | None:
        if rnd is None:
            return None
        return self.overrides.get((rnd.id or 0, table_id or 0), rnd.question)


def load_context(*, session: Session, cafe: Cafe, now: datetime) -> NotesContext:
    rounds = {r.id or 0: r for r in cafe_service.rounds_of(session, cafe)}
    overrides: dict[tuple[int, int], str] = {}
    for rnd in rounds.values():
        for table_id, question in cafe_service.table_questions(session, rnd).items():
            overrides[(rnd.id or 0, table_id)] = question
    names: dict[int, str] = {}
    if cafe.names_visible:
        names = {
            pid: name
            for pid, name in session.exec(
                select(Participant.id, Participant.display_name).where(
                    Participant.cafe_id == cafe.id
                )
            )
            if pid is not None
        }
    return NotesContext(
        cafe=cafe,
        now=now,
        rounds=rounds,
        tables={t.id or 0: t for t in cafe_service.tables_of(session, cafe)},
        overrides=overrides,
        themes={
            t.id or 0: t
            for t in session.exec(
                select(Theme).where(Theme.cafe_id == cafe.id).order_by(func.lower(Theme.name))
            )
        },
        names=names,
    )


@dataclass(slots=True)
class NoteRecord:
    id: int
    round: Round | None
    table: CafeTable | None
    question: str | None
    text: str
    kind: str
    evidence_type: str
    author_role: str | None
    for_table: bool
    theme_ids: list[int]
    themes: list[str]
    reactions: int
    media: list[str]
    author: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def evidence_label(self) -> str:
        return EVIDENCE_LABELS.get(self.evidence_type, self.evidence_type)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.author_role, self.author_role) if self.author_role else ""

    def meta(self, *, under_theme: int | None = None) -> str:
        """Where it came from, in words: evidence type, role, reactions, other themes."""
        parts = [self.evidence_label]
        parts.append(self.role_label or "role not given")
        if self.for_table:
            parts.append("written for the table")
        if self.reactions:
            parts.append(f"{self.reactions} agree" if self.reactions != 1 else "1 agrees")
        if self.media:
            parts.append(" and ".join(sorted(set(self.media))))
        others = [
            name
            for tid, name in zip(self.theme_ids, self.themes, strict=True)
            if tid != under_theme
        ]
        if others:
            parts.append(("also in: " if under_theme else "themes: ") + ", ".join(others))
        if self.author:
            parts.append(f"by {self.author}")
        return " · ".join(parts)


_COLUMNS = (
    col(Contribution.id),
    col(Contribution.round_id),
    col(Contribution.table_id),
    col(Contribution.participant_id),
    col(Contribution.text),
    col(Contribution.kind),
    col(Contribution.evidence_type),
    col(Contribution.author_role),
    col(Contribution.for_table),
    col(Contribution.created_at),
    col(Contribution.updated_at),
)


def record_batches(
    *,
    session: Session,
    ctx: NotesContext,
    where: Sequence[ColumnElement[bool]] = (),
    batch: int = BATCH,
) -> Iterator[list[NoteRecord]]:
    """Visible contributions of the café in id order, ``batch`` at a time (keyset paging)."""
    last = 0
    while True:
        query = (
            sa_select(*_COLUMNS)
            .where(
                col(Contribution.cafe_id) == ctx.cafe.id,
                col(Contribution.status) == ContributionStatus.VISIBLE,
                col(Contribution.id) > last,
                *where,
            )
            .order_by(col(Contribution.id))
            .limit(batch)
        )
        rows = session.connection().execute(query).all()
        if not rows:
            return
        lo, hi = rows[0][0], rows[-1][0]
        theme_ids: dict[int, list[int]] = {}
        for cid, tid in session.exec(
            select(ContributionTheme.contribution_id, ContributionTheme.theme_id).where(
                col(ContributionTheme.contribution_id).between(lo, hi)
            )
        ):
            if tid in ctx.themes:
                theme_ids.setdefault(cid, []).append(tid)
        reactions = dict(
            session.exec(
                select(Reaction.contribution_id, func.count())
                .where(col(Reaction.contribution_id).between(lo, hi))
                .group_by(col(Reaction.contribution_id))
            ).all()
        )
        media: dict[int, list[str]] = {}
        for cid, kind in session.exec(
            select(Media.contribution_id, Media.kind).where(
                col(Media.contribution_id).between(lo, hi)
            )
        ):
            media.setdefault(cid, []).append(kind)
        out = []
        for cid, round_id, table_id, pid, text, kind, evidence, role, for_table, ca, ua in rows:
            rnd = ctx.rounds.get(round_id) if round_id is not None else None
            tids = sorted(theme_ids.get(cid, ()), key=lambda t: ctx.themes[t].name.lower())
            out.append(
                NoteRecord(
                    id=cid,
                    round=rnd,
                    table=ctx.tables.get(table_id) if table_id is not None else None,
                    question=ctx.question(rnd, table_id),
                    text=text,
                    kind=kind,
                    evidence_type=evidence,
                    author_role=role,
                    for_table=for_table,
                    theme_ids=tids,
                    themes=[ctx.themes[t].name for t in tids],
                    reactions=int(reactions.get(cid, 0)),
                    media=media.get(cid, []),
                    author=ctx.names.get(pid) if pid is not None else None,
                    created_at=ca,
                    updated_at=ua,
                )
            )
        yield out
        if len(rows) < batch:
            return
        last = hi


# --- summary -------------------------------------------------------------------------------


@dataclass
class Summary:
    total: int
    by_evidence_type: dict[str, int]
    by_author_role: dict[str, int]
    by_kind: dict[str, int]
    by_round: dict[int | None, int]
    by_table: dict[int | None, int]
    themes: list[tuple[Theme, int]]


def summary(*, session: Session, ctx: NotesContext) -> Summary:
    visible = (
        col(Contribution.cafe_id) == ctx.cafe.id,
        col(Contribution.status) == ContributionStatus.VISIBLE,
    )

    def grouped(column: Any) -> dict[Any, int]:
        rows = session.exec(
            select(column, func.count()).select_from(Contribution).where(*visible).group_by(column)
        )
        return {key: int(n) for key, n in rows}

    per_theme = dict(
        session.exec(
            select(ContributionTheme.theme_id, func.count())
            .join(Contribution, col(Contribution.id) == ContributionTheme.contribution_id)
            .where(*visible)
            .group_by(col(ContributionTheme.theme_id))
        ).all()
    )
    evidence = grouped(col(Contribution.evidence_type))
    roles = grouped(col(Contribution.author_role))
    rounds = grouped(col(Contribution.round_id))
    tables = grouped(col(Contribution.table_id))
    return Summary(
        total=sum(evidence.values()),
        by_evidence_type={k: evidence.get(k, 0) for k in EVIDENCE_LABELS},
        by_author_role={
            **{k: roles.get(k, 0) for k in ROLE_LABELS},
            "none": roles.get(None, 0),
        },
        by_kind=dict(grouped(col(Contribution.kind))),
        by_round={
            (ctx.rounds[rid].number if rid in ctx.rounds else None): n for rid, n in rounds.items()
        },
        by_table={
            (ctx.tables[tid].number if tid in ctx.tables else None): n for tid, n in tables.items()
        },
        themes=[(t, int(per_theme.get(tid, 0))) for tid, t in ctx.themes.items()],
    )


# --- JSON ----------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _json_item(r: NoteRecord, names_visible: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": r.id,
        "round": r.round.number if r.round else None,
        "question": r.question,
        "table": r.table.number if r.table else None,
        "table_name": r.table.name if r.table else None,
        "text": r.text,
        "kind": r.kind,
        "evidence_type": r.evidence_type,
        "author_role": r.author_role,
        "for_table": r.for_table,
        "themes": r.themes,
        "reactions": r.reactions,
        "media": r.media,
        "created_at": r.created_at.isoformat(),
        "updated_at": r.updated_at.isoformat(),
    }
    if names_visible:
        item["author"] = r.author
    return item


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
        "note": "Hidden, withdrawn and pending contributions are left out."
        + ("" if cafe.names_visible else " Participants' names are not included."),
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
            "kind": KIND_LABELS,
            "evidence_type": EVIDENCE_LABELS,
            "author_role": ROLE_LABELS,
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
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for records in record_batches(session=session, ctx=ctx, batch=batch):
        chunk = ",".join(dumps(_json_item(r, cafe.names_visible)) for r in records)
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
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ (or a tab or CR before one) as a
    formula; a leading apostrophe makes it plain text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


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
    title = neutralise(cafe.title)
    for records in record_batches(session=session, ctx=ctx, batch=batch):
        buffer.seek(0)
        buffer.truncate()
        for r in records:
            row: list[Any] = [
                r.id,
                cafe.id,
                title,
                r.round.number if r.round else "",
                neutralise(r.question or ""),
                r.table.number if r.table else "",
                neutralise(r.table.name) if r.table else "",
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
                r.created_at.isoformat(),
                r.updated_at.isoformat(),
            ]
            if cafe.names_visible:
                row.append(neutralise(r.author or ""))
            writer.writerow(row)
        yield buffer.getvalue().encode()


# --- grouped notes: Markdown, DOCX and the print view ---------------------------------------


@dataclass
class NoteGroup:
    """Contributions at one table in one round in one theme, with the headings to show
    before them. ``batches`` reads them lazily, so iterate groups and batches in order."""

    round: Round | None
    table: CafeTable | None
    theme: Theme | None
    new_round: bool
    new_table: bool
    themed: bool  # the café uses themes, so each group gets a theme heading
    table_question: str | None  # set when this table had its own question in this round
    count: int
    batches: Iterator[list[NoteRecord]]

    @property
    def round_heading(self) -> str:
        if self.round is None:
            return "Before the first round"
        return f"Round {self.round.number}: {self.round.question}"

    @property
    def table_heading(self) -> str:
        return self.table.name if self.table else "Not at a table"

    @property
    def theme_heading(self) -> str:
        return self.theme.name if self.theme else "Not in a theme yet"


@dataclass
class NotesOutline:
    ctx: NotesContext
    summary: Summary
    groups: Iterator[NoteGroup]
    label_of: dict[str, dict[str, str]] = field(
        default_factory=lambda: {
            "evidence_type": EVIDENCE_LABELS,
            "author_role": {**ROLE_LABELS, "none": "Role not given"},
            "kind": KIND_LABELS,
        }
    )

    @property
    def cafe(self) -> Cafe:
        return self.ctx.cafe

    def lines(self, key: str, counts: dict[str, int]) -> list[tuple[str, int]]:
        labels = self.label_of[key]
        return [(labels.get(k, k), n) for k, n in counts.items() if n]


def notes_outline(
    *, session: Session, cafe: Cafe, now: datetime, batch: int = BATCH
) -> NotesOutline:
    """The notes grouped by round, then table, then theme, read lazily."""
    ctx = load_context(session=session, cafe=cafe, now=now)
    return NotesOutline(
        ctx=ctx,
        summary=summary(session=session, ctx=ctx),
        groups=_groups(session, ctx, batch),
    )


def _groups(session: Session, ctx: NotesContext, batch: int) -> Iterator[NoteGroup]:
    visible = (
        col(Contribution.cafe_id) == ctx.cafe.id,
        col(Contribution.status) == ContributionStatus.VISIBLE,
    )
    place = (col(Contribution.round_id), col(Contribution.table_id))
    per_place = {
        (rid, tid): int(n)
        for rid, tid, n in session.exec(
            select(*place, func.count()).where(*visible).group_by(*place)
        )
    }
    per_theme: dict[tuple[int | None, int | None], dict[int, int]] = {}
    unthemed: dict[tuple[int | None, int | None], int] = {}
    if ctx.themes:
        for rid, tid, theme_id, n in session.exec(
            select(*place, ContributionTheme.theme_id, func.count())
            .join(ContributionTheme, col(ContributionTheme.contribution_id) == Contribution.id)
            .where(*visible)
            .group_by(*place, col(ContributionTheme.theme_id))
        ):
            per_theme.setdefault((rid, tid), {})[theme_id] = int(n)
        linked = select(ContributionTheme.contribution_id).where(
            col(ContributionTheme.contribution_id) == col(Contribution.id)
        )
        unthemed = {
            (rid, tid): int(n)
            for rid, tid, n in session.exec(
                select(*place, func.count()).where(*visible, ~exists(linked)).group_by(*place)
            )
        }
    rounds: list[Round | None] = [None, *sorted(ctx.rounds.values(), key=lambda r: r.number)]
    tables: list[CafeTable | None] = [*sorted(ctx.tables.values(), key=lambda t: t.number), None]
    for rnd in rounds:
        new_round = True
        rid = rnd.id if rnd else None
        for table in tables:
            tid = table.id if table else None
            if not per_place.get((rid, tid)):
                continue
            here: list[ColumnElement[bool]] = [
                col(Contribution.round_id) == rid if rid else col(Contribution.round_id).is_(None),
                col(Contribution.table_id) == tid if tid else col(Contribution.table_id).is_(None),
            ]
            override = ctx.overrides.get((rid or 0, tid or 0))
            new_table = True
            sections: list[tuple[Theme | None, int, list[ColumnElement[bool]]]] = []
            if ctx.themes:
                counts = per_theme.get((rid, tid), {})
                for theme_id, a_theme in ctx.themes.items():
                    if counts.get(theme_id):
                        member = exists(
                            select(ContributionTheme.contribution_id).where(
                                col(ContributionTheme.contribution_id) == col(Contribution.id),
                                ContributionTheme.theme_id == theme_id,
                            )
                        )
                        sections.append((a_theme, counts[theme_id], [*here, member]))
                if unthemed.get((rid, tid)):
                    linked = select(ContributionTheme.contribution_id).where(
                        col(ContributionTheme.contribution_id) == col(Contribution.id)
                    )
                    sections.append((None, unthemed[(rid, tid)], [*here, ~exists(linked)]))
            else:
                sections.append((None, per_place[(rid, tid)], here))
            for theme, count, where in sections:
                yield NoteGroup(
                    round=rnd,
                    table=table,
                    theme=theme,
                    new_round=new_round,
                    new_table=new_table,
                    themed=bool(ctx.themes),
                    table_question=override if new_table else None,
                    count=count,
                    batches=record_batches(session=session, ctx=ctx, where=where, batch=batch),
                )
                new_round = new_table = False


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!~])")


def md(text: str) -> str:
    """Contribution text as inline Markdown: one line, markup characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _when(ctx: NotesContext) -> str:
    cafe = ctx.cafe
    if cafe.closed_at is not None:
        return f"The café closed at {cafe.closed_at:%Y-%m-%d %H:%M} UTC."
    return f"These notes were taken at {ctx.now:%Y-%m-%d %H:%M} UTC while the café was open."


def notes_markdown(
    *, session: Session, cafe: Cafe, now: datetime, batch: int = BATCH
) -> Iterator[bytes]:
    """Readable notes: headings per round, table and theme, one bullet per contribution."""
    outline = notes_outline(session=session, cafe=cafe, now=now, batch=batch)
    s = outline.summary
    head = [f"# {md(cafe.title)}: session notes", ""]
    if cafe.purpose:
        head += [md(cafe.purpose), ""]
    head += [
        f"- {_when(outline.ctx)}",
        f"- {s.total} contributions. Hidden, withdrawn and pending ones are left out.",
        "- Names are shown as the café showed them."
        if cafe.names_visible
        else "- Participants' names are not included.",
        "",
    ]
    if s.themes:
        head += ["## Themes", ""]
        head += [
            f"- **{md(t.name)}** ({n})" + (f": {md(t.description)}" if t.description else "")
            for t, n in s.themes
        ]
        head.append("")
    head += ["## Who said what", ""]
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
                lines += [f"_Question at this table: {md(group.table_question)}_", ""]
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


# --- DOCX ----------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _x(text: str) -> str:
    return xml_escape(_XML_ILLEGAL.sub("", text))


def _run(text: str, *, bold: bool = False, italic: bool = False) -> str:
    props = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{_x(text)}</w:t></w:r>'


def _para(runs: str, style: str | None = None) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}{runs}</w:p>"


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


def _docx_package(cafe: Cafe, now: datetime) -> tuple[list[tuple[str, bytes]], str, str]:
    """python-docx's package (styles, numbering, properties) with an A4 page, split so the
    body of word/document.xml can be written in between."""
    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(20)
    props = document.core_properties
    props.title = f"{cafe.title}: session notes"
    props.author = "Tablecloth"
    props.created = now.replace(tzinfo=None)
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        parts = [(name, package.read(name)) for name in package.namelist()]
    body_xml = dict(parts)["word/document.xml"].decode()
    opening, _, rest = body_xml.partition("<w:body>")
    section_start = rest.index("<w:sectPr")
    closing = rest[section_start:]
    parts.sort(key=lambda p: p[0] != "[Content_Types].xml")
    return parts, opening + "<w:body>", closing


def notes_docx(
    *, session: Session, cafe: Cafe, now: datetime, batch: int = BATCH
) -> Iterator[bytes]:
    """A Word document with headings per round, table and theme, for sharing."""
    outline = notes_outline(session=session, cafe=cafe, now=now, batch=batch)
    parts, opening, closing = _docx_package(cafe, now)
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in parts:
            if name != "word/document.xml":
                package.writestr(name, data)
        yield sink.drain()
        with package.open("word/document.xml", "w") as body:
            body.write(opening.encode())
            for chunk in _docx_body(outline):
                body.write(chunk.encode())
                data = sink.drain()
                if data:
                    yield data
            body.write(closing.encode())
    yield sink.drain()


def _docx_body(outline: NotesOutline) -> Iterator[str]:
    cafe, s = outline.cafe, outline.summary
    head = [_para(_run(f"{cafe.title}: session notes"), "Title")]
    if cafe.purpose:
        head.append(_para(_run(cafe.purpose)))
    head.append(_para(_run(_when(outline.ctx))))
    head.append(
        _para(
            _run(
                f"{s.total} contributions. Hidden, withdrawn and pending ones are left out. "
                + (
                    "Names are shown as the café showed them."
                    if cafe.names_visible
                    else "Participants' names are not included."
                )
            )
        )
    )
    if s.themes:
        head.append(_para(_run("Themes"), "Heading1"))
        for t, n in s.themes:
            text = _run(t.name, bold=True) + _run(f" ({n})")
            if t.description:
                text += _run(f": {t.description}")
            head.append(_para(text, "ListBullet"))
    head.append(_para(_run("Who said what"), "Heading1"))
    for key, counts in (("evidence_type", s.by_evidence_type), ("author_role", s.by_author_role)):
        lines = outline.lines(key, counts)
        if lines:
            head.append(_para(_run("; ".join(f"{label}: {n}" for label, n in lines))))
    yield "".join(head)
    for group in outline.groups:
        out = []
        if group.new_round:
            out.append(_para(_run(group.round_heading), "Heading1"))
        if group.new_table:
            out.append(_para(_run(group.table_heading), "Heading2"))
            if group.table_question:
                out.append(
                    _para(
                        _run("Question at this table: ") + _run(group.table_question, italic=True)
                    )
                )
        if group.themed:
            out.append(_para(_run(group.theme_heading), "Heading3"))
        yield "".join(out)
        under = group.theme.id if group.theme else None
        for records in group.batches:
            yield "".join(
                _para(
                    _run(f"{r.kind_label}: ", bold=True)
                    + _run(r.text)
                    + _run(f" ({r.meta(under_theme=under)})", italic=True),
                    "ListBullet",
                )
                for r in records
            )


def export_notes(
    *, session: Session, cafe: Cafe, fmt: NotesFormat, now: datetime, batch: int = BATCH
) -> Iterator[bytes]:
    """The session notes in the chosen format, as a stream of byte chunks."""
    writers = {
        NotesFormat.JSON: notes_json,
        NotesFormat.CSV: notes_csv,
        NotesFormat.MD: notes_markdown,
        NotesFormat.DOCX: notes_docx,
    }
    return writers[fmt](session=session, cafe=cafe, now=now, batch=batch)
