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
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import docx
from docx.shared import Mm
from sqlalchemy import String, exists, func, literal, tuple_, type_coerce
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
    # Plain copies of what every record needs: reading attributes of ORM objects a hundred
    # thousand times costs more than the rest of a record.
    round_number: dict[int, int] = field(init=False)
    round_question: dict[int, str] = field(init=False)
    table_number: dict[int, int] = field(init=False)
    table_name: dict[int, str] = field(init=False)
    theme_name: dict[int, str] = field(init=False)
    theme_rank: dict[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self.round_number = {rid: r.number for rid, r in self.rounds.items()}
        self.round_question = {rid: r.question for rid, r in self.rounds.items()}
        self.table_number = {tid: t.number for tid, t in self.tables.items()}
        self.table_name = {tid: t.name for tid, t in self.tables.items()}
        self.theme_name = {tid: t.name for tid, t in self.themes.items()}
        self.theme_rank = {tid: i for i, tid in enumerate(self.themes)}


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
    round: int | None  # round number
    table: int | None  # table number
    table_name: str | None
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
    created_at: str  # ISO 8601, UTC
    updated_at: str

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
    # Read as stored: SQLite keeps UTC text that becomes ISO 8601 with two string edits,
    # far cheaper than a datetime round trip per value (PostgreSQL hands back datetimes).
    type_coerce(col(Contribution.created_at), String),
    type_coerce(col(Contribution.updated_at), String),
)


def _iso_utc(value: Any) -> str:
    if isinstance(value, str):
        return value.replace(" ", "T", 1) + "+00:00"
    return str(value.astimezone(UTC).isoformat())


def _records(session: Session, ctx: NotesContext, rows: Sequence[Any]) -> list[NoteRecord]:
    """Rows of ``_COLUMNS`` with their themes, reactions and media (three queries a batch)."""
    ids = [row[0] for row in rows]
    lo, hi = min(ids), max(ids)
    # A dense batch is a cheap range on the index; a sparse one (a single table's or theme's
    # share of the café) asks for exactly its ids.
    dense = hi - lo < 2 * len(ids)

    def matching(column: Any) -> ColumnElement[bool]:
        return col(column).between(lo, hi) if dense else col(column).in_(ids)

    conn = session.connection()
    theme_ids: dict[int, list[int]] = {}
    for cid, tid in conn.execute(
        sa_select(col(ContributionTheme.contribution_id), col(ContributionTheme.theme_id)).where(
            matching(ContributionTheme.contribution_id)
        )
    ):
        if tid in ctx.themes:
            theme_ids.setdefault(cid, []).append(tid)
    reactions: dict[int, int] = dict(
        conn.execute(  # type: ignore[arg-type]
            sa_select(col(Reaction.contribution_id), func.count())
            .where(matching(Reaction.contribution_id))
            .group_by(col(Reaction.contribution_id))
        ).all()
    )
    media: dict[int, list[str]] = {}
    for cid, kind in conn.execute(
        sa_select(col(Media.contribution_id), col(Media.kind)).where(
            matching(Media.contribution_id)
        )
    ):
        media.setdefault(cid, []).append(kind)
    out = []
    round_number, round_question = ctx.round_number, ctx.round_question
    table_number, table_name, overrides = ctx.table_number, ctx.table_name, ctx.overrides
    theme_name, theme_rank, names = ctx.theme_name, ctx.theme_rank, ctx.names
    for cid, rid, tid, pid, text, kind, evidence, role, for_table, ca, ua in rows:
        tids = theme_ids.get(cid, [])
        if len(tids) > 1:
            tids.sort(key=theme_rank.__getitem__)
        question = None
        if rid is not None:
            question = overrides.get((rid, tid or 0)) or round_question.get(rid)
        out.append(
            NoteRecord(
                cid,
                round_number.get(rid) if rid is not None else None,
                table_number.get(tid) if tid is not None else None,
                table_name.get(tid) if tid is not None else None,
                question,
                text,
                kind,
                evidence,
                role,
                for_table,
                tids,
                [theme_name[t] for t in tids],
                int(reactions.get(cid, 0)),
                media.get(cid, []),
                names.get(pid) if pid is not None else None,
                _iso_utc(ca),
                _iso_utc(ua),
            )
        )
    return out


def _visible(ctx: NotesContext) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        col(Contribution.cafe_id) == ctx.cafe.id,
        col(Contribution.status) == ContributionStatus.VISIBLE,
    )


def record_batches(
    *,
    session: Session,
    ctx: NotesContext,
    batch: int = BATCH,
) -> Iterator[list[NoteRecord]]:
    """Visible contributions of the café in id order, ``batch`` at a time (keyset paging)."""
    last = 0
    while True:
        query = (
            sa_select(*_COLUMNS)
            .where(*_visible(ctx), col(Contribution.id) > last)
            .order_by(col(Contribution.id))
            .limit(batch)
        )
        rows = session.connection().execute(query).all()
        if not rows:
            return
        yield _records(session, ctx, rows)
        if len(rows) < batch:
            return
        last = rows[-1][0]


# Where a contribution was said, as numbers that sort: before the first round comes first,
# "not at a table" last.
NO_TABLE = 1_000_000
_ROUND_NO = func.coalesce(col(Round.number), 0)
_TABLE_NO = func.coalesce(col(CafeTable.number), NO_TABLE)
Place = tuple[int, int]


def _by_place(
    session: Session, ctx: NotesContext, where: Sequence[ColumnElement[bool]], batch: int
) -> Iterator[tuple[Place, NoteRecord]]:
    """Visible contributions ordered by round number, table number, id (keyset paging)."""
    last: tuple[int, int, int] | None = None
    while True:
        query = (
            sa_select(*_COLUMNS, _ROUND_NO, _TABLE_NO)
            .select_from(Contribution)
            .outerjoin(Round, col(Round.id) == col(Contribution.round_id))
            .outerjoin(CafeTable, col(CafeTable.id) == col(Contribution.table_id))
            .where(*_visible(ctx), *where)
        )
        if last is not None:
            query = query.where(
                tuple_(_ROUND_NO, _TABLE_NO, col(Contribution.id)) > tuple_(*map(literal, last))
            )
        rows = (
            session.connection()
            .execute(query.order_by(_ROUND_NO, _TABLE_NO, col(Contribution.id)).limit(batch))
            .all()
        )
        if not rows:
            return
        records = _records(session, ctx, [row[:-2] for row in rows])
        for row, record in zip(rows, records, strict=True):
            yield (row[-2], row[-1]), record
        if len(rows) < batch:
            return
        last = (rows[-1][-2], rows[-1][-1], rows[-1][0])


class _Cursor:
    """A place-ordered stream with its next item in view."""

    def __init__(self, stream: Iterator[tuple[Place, NoteRecord]]) -> None:
        self._stream = stream
        self.place: Place | None = None
        self._record: NoteRecord | None = None
        self._advance()

    def _advance(self) -> None:
        try:
            self.place, self._record = next(self._stream)
        except StopIteration:
            self.place, self._record = None, None

    def take(self, place: Place, size: int) -> Iterator[list[NoteRecord]]:
        """The stream's records at ``place``, in chunks of ``size``."""
        chunk: list[NoteRecord] = []
        while self.place == place and self._record is not None:
            chunk.append(self._record)
            self._advance()
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


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
    """Groups by round, table, then theme, without holding more than a batch per theme.

    One place-ordered stream per theme (and one for contributions in no theme) is merged:
    at each (round, table), every stream with something there yields a group in turn.
    """
    sections: list[tuple[Theme | None, list[ColumnElement[bool]]]]
    if ctx.themes:
        linked = select(ContributionTheme.contribution_id).where(
            col(ContributionTheme.contribution_id) == col(Contribution.id)
        )
        sections = [
            (theme, [exists(linked.where(ContributionTheme.theme_id == theme_id))])
            for theme_id, theme in ctx.themes.items()
        ]
        sections.append((None, [~exists(linked)]))
    else:
        sections = [(None, [])]
    cursors = [_Cursor(_by_place(session, ctx, where, batch)) for _, where in sections]
    rounds = {r.number: r for r in ctx.rounds.values()}
    tables = {t.number: t for t in ctx.tables.values()}
    previous: Place | None = None
    while True:
        places = [c.place for c in cursors if c.place is not None]
        if not places:
            return
        place = min(places)
        rnd, table = rounds.get(place[0]), tables.get(place[1])
        for (theme, _), cursor in zip(sections, cursors, strict=True):
            if cursor.place != place:
                continue
            new_table = previous != place
            yield NoteGroup(
                round=rnd,
                table=table,
                theme=theme,
                new_round=previous is None or previous[0] != place[0],
                new_table=new_table,
                themed=bool(ctx.themes),
                table_question=(
                    ctx.overrides.get((rnd.id or 0, table.id or 0)) if rnd and table else None
                )
                if new_table
                else None,
                batches=cursor.take(place, batch),
            )
            previous = place
            # Whatever the reader left unread at this place is skipped, not mixed in later.
            for _skipped in cursor.take(place, batch):
                pass


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
