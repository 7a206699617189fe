"""Session notes as data: a café's visible contributions read in keyset batches with their
themes, reactions and media, the counts, and the outline by round, table and theme.

Contributions are read a few thousand at a time (by id, or by place for the outline) with
their themes, reactions and media fetched per batch, so memory stays flat however big the
café is. Hidden, withdrawn and pending contributions are never part of the notes;
participants' names appear only when the café shows names.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, exists, func, literal, tuple_, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from app.i18n import N_, _, ngettext
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
from app.services.cafe import cafes as cafe_service
from app.services.cafe.participants import shown_name

BATCH = 2000

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
    rounds = {r.id: r for r in cafe_service.rounds_of(session=session, cafe=cafe)}
    overrides: dict[tuple[int, int], str] = {}
    for rnd in rounds.values():
        for table_id, question in cafe_service.table_questions(session=session, rnd=rnd).items():
            overrides[(rnd.id, table_id)] = question
    names: dict[int, str] = {}
    if cafe.names_visible:
        # Read as the notes are written (in their language): someone who left is named in it.
        found = session.exec(
            select(Participant.id, Participant.display_name).where(Participant.cafe_id == cafe.id)
        )
        names = {pid: shown_name(name) or "" for pid, name in found}
    return NotesContext(
        cafe=cafe,
        now=now,
        rounds=rounds,
        tables={t.id: t for t in cafe_service.tables_of(session=session, cafe=cafe)},
        overrides=overrides,
        themes={
            t.id: t
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
        return label(KIND_LABELS, self.kind)

    @property
    def evidence_label(self) -> str:
        return label(EVIDENCE_LABELS, self.evidence_type)

    @property
    def role_label(self) -> str:
        return label(ROLE_LABELS, self.author_role) if self.author_role else ""

    def meta(self, *, under_theme: int | None = None) -> str:
        """Where it came from, in words: evidence type, role, reactions, other themes."""
        parts = [self.evidence_label]
        parts.append(self.role_label or _("role not given"))
        if self.for_table:
            parts.append(_("written for the table"))
        if self.reactions:
            parts.append(ngettext("%(num)s agrees", "%(num)s agree", self.reactions))
        if self.media:
            kinds = sorted(label(MEDIA_WORDS, kind) for kind in set(self.media))
            parts.append(
                _("%(first)s and %(second)s", first=kinds[0], second=kinds[1])
                if len(kinds) == 2
                else ", ".join(kinds)
            )
        others = [
            name
            for tid, name in zip(self.theme_ids, self.themes, strict=True)
            if tid != under_theme
        ]
        if others:
            listed = ", ".join(others)
            parts.append(
                _("also in: %(themes)s", themes=listed)
                if under_theme
                else _("themes: %(themes)s", themes=listed)
            )
        if self.author:
            parts.append(_("by %(name)s", name=self.author))
        return " · ".join(parts)


# A media file's kind in words (the notes' "photo and voice").
MEDIA_WORDS = {"photo": N_("photo"), "voice": N_("voice")}


def label(labels: dict[str, str], key: str) -> str:
    """The label for `key` in the current language (the key itself when it has none)."""
    found = labels.get(key)
    return _(found) if found else key


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


# --- grouped notes, for Markdown, DOCX and the print view ----------------------------------


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
            return _("Before the first round")
        return _(
            "Round %(number)s: %(question)s",
            number=self.round.number,
            question=self.round.question,
        )

    @property
    def table_heading(self) -> str:
        return self.table.name if self.table else _("Not at a table")

    @property
    def theme_heading(self) -> str:
        return self.theme.name if self.theme else _("Not in a theme yet")


@dataclass
class NotesOutline:
    ctx: NotesContext
    summary: Summary
    groups: Iterator[NoteGroup]
    label_of: dict[str, dict[str, str]] = field(
        default_factory=lambda: {
            "evidence_type": EVIDENCE_LABELS,
            "author_role": {**ROLE_LABELS, "none": N_("Role not given")},
            "kind": KIND_LABELS,
        }
    )

    @property
    def cafe(self) -> Cafe:
        return self.ctx.cafe

    def lines(self, key: str, counts: dict[str, int]) -> list[tuple[str, int]]:
        labels = self.label_of[key]
        return [(label(labels, k), n) for k, n in counts.items() if n]


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
        for (theme, _where), cursor in zip(sections, cursors, strict=True):
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
                table_question=(ctx.overrides.get((rnd.id, table.id)) if rnd and table else None)
                if new_table
                else None,
                batches=cursor.take(place, batch),
            )
            previous = place
            # Whatever the reader left unread at this place is skipped, not mixed in later.
            for _skipped in cursor.take(place, batch):
                pass
