"""The harvest: a café-wide wall of contributions, themes, suggested themes and counts.

The same filter backs the facilitator's wall, the counts under it and the JSON API, so a
facilitator and an API client always see the same selection.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, delete, exists, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import Select
from sqlmodel import Session, col, select

from app.models.cafe import ROLE_LABELS, Cafe, CafeTable, Participant, Round, StakeholderRole
from app.models.evidence import (
    EVIDENCE_LABELS,
    KIND_LABELS,
    Contribution,
    ContributionKind,
    ContributionStatus,
    ContributionTheme,
    EvidenceType,
    Reaction,
    Theme,
)
from app.models.harvest import ContributionPage, ContributionRecord, ThemePublic, ThemeRef
from app.services import cafe as cafe_service
from app.services import changes
from app.services.errors import Conflict, Invalid, NotFound

NO_ROLE = "none"  # filter value: the author gave no role
NO_THEME = 0  # filter value: not in any theme yet
WALL_PAGE = 200
SUGGESTION_SAMPLE = 2000  # the most recent unthemed contributions the suggestions look at
MAX_SUGGESTIONS = 8


# --- filters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContributionFilter:
    """Which contributions to show. Rounds and tables are given by number, themes by id."""

    round: int | None = None
    table: int | None = None
    kind: str | None = None
    evidence_type: str | None = None
    role: str | None = None
    theme: int | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in self.params().values())

    def params(self) -> dict[str, str]:
        values: dict[str, Any] = {
            "round": self.round,
            "table": self.table,
            "kind": self.kind,
            "evidence_type": self.evidence_type,
            "role": self.role,
            "theme": self.theme,
        }
        return {k: str(v) for k, v in values.items() if v is not None}

    def query(self, **extra: str | int) -> str:
        """The filter as a query string, for links that keep it."""
        params: dict[str, str] = {**self.params(), **{k: str(v) for k, v in extra.items()}}
        return urlencode(params)


def parse_filter(
    *,
    round: str = "",
    table: str = "",
    kind: str = "",
    evidence_type: str = "",
    role: str = "",
    theme: str = "",
) -> ContributionFilter:
    """Read the wall's filter form (empty means "all"); problems read as sentences."""
    problems: list[str] = []

    def number(raw: str, label: str, *, allow_zero: bool = False) -> int | None:
        raw = raw.strip()
        if not raw:
            return None
        if not raw.isdigit() or (int(raw) == 0 and not allow_zero):
            problems.append(f"{label} must be one of the choices in the list.")
            return None
        return int(raw)

    def choice(raw: str, allowed: Iterable[str], label: str) -> str | None:
        raw = raw.strip()
        if not raw:
            return None
        if raw not in set(allowed):
            problems.append(f"{label} must be one of the choices in the list.")
            return None
        return raw

    theme_raw = theme.strip()
    result = ContributionFilter(
        round=number(round, "Round"),
        table=number(table, "Table"),
        kind=choice(kind, (k.value for k in ContributionKind), "Kind"),
        evidence_type=choice(evidence_type, (e.value for e in EvidenceType), "Evidence type"),
        role=choice(role, [*(r.value for r in StakeholderRole), NO_ROLE], "Role"),
        theme=NO_THEME if theme_raw == "none" else number(theme_raw, "Theme", allow_zero=True),
    )
    if problems:
        raise Invalid(" ".join(problems))
    return result


def _where(cafe: Cafe, filters: ContributionFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(Contribution.cafe_id) == cafe.id]
    if filters.round is not None:
        round_id = (
            select(Round.id)
            .where(Round.cafe_id == cafe.id, Round.number == filters.round)
            .scalar_subquery()
        )
        conditions.append(col(Contribution.round_id) == round_id)
    if filters.table is not None:
        table_id = (
            select(CafeTable.id)
            .where(CafeTable.cafe_id == cafe.id, CafeTable.number == filters.table)
            .scalar_subquery()
        )
        conditions.append(col(Contribution.table_id) == table_id)
    if filters.kind is not None:
        conditions.append(col(Contribution.kind) == filters.kind)
    if filters.evidence_type is not None:
        conditions.append(col(Contribution.evidence_type) == filters.evidence_type)
    if filters.role == NO_ROLE:
        conditions.append(col(Contribution.author_role).is_(None))
    elif filters.role is not None:
        conditions.append(col(Contribution.author_role) == filters.role)
    if filters.theme is not None:
        in_theme = select(ContributionTheme.contribution_id).where(
            col(ContributionTheme.contribution_id) == col(Contribution.id)
        )
        if filters.theme == NO_THEME:
            conditions.append(~exists(in_theme))
        else:
            conditions.append(exists(in_theme.where(ContributionTheme.theme_id == filters.theme)))
    return conditions


def _visible(cafe: Cafe, filters: ContributionFilter) -> list[ColumnElement[bool]]:
    return [*_where(cafe, filters), col(Contribution.status) == ContributionStatus.VISIBLE]


# --- the wall ------------------------------------------------------------------------------


@dataclass
class Card:
    """One contribution on the wall, with everything the card shows."""

    contribution: Contribution
    round_number: int | None
    table_name: str | None
    themes: list[Theme]
    reactions: int

    @property
    def id(self) -> int:
        return self.contribution.id or 0

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.contribution.kind, self.contribution.kind)

    @property
    def evidence_label(self) -> str:
        return EVIDENCE_LABELS.get(self.contribution.evidence_type, self.contribution.evidence_type)

    @property
    def role_label(self) -> str:
        role = self.contribution.author_role
        return ROLE_LABELS.get(role, role) if role else "Role not given"


@dataclass
class WallPage:
    cards: list[Card]
    total: int
    next_before: int | None


def wall(
    *,
    session: Session,
    cafe: Cafe,
    filters: ContributionFilter,
    before: int | None = None,
    limit: int = WALL_PAGE,
) -> WallPage:
    """Visible contributions matching the filter, newest first, a page at a time."""
    conditions = _visible(cafe, filters)
    total = session.exec(select(func.count()).select_from(Contribution).where(*conditions)).one()
    query = select(Contribution).where(*conditions)
    if before is not None:
        query = query.where(col(Contribution.id) < before)
    rows = list(session.exec(query.order_by(col(Contribution.id).desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return WallPage(
        cards=_cards(session, cafe, rows),
        total=int(total),
        next_before=rows[-1].id if more and rows else None,
    )


def _cards(session: Session, cafe: Cafe, rows: Sequence[Contribution]) -> list[Card]:
    rounds = {r.id: r.number for r in cafe_service.rounds_of(session, cafe)}
    tables = {t.id: t.name for t in cafe_service.tables_of(session, cafe)}
    ids = [c.id for c in rows if c.id is not None]
    themes_of = _themes_for(session, ids)
    reactions = _reactions_for(session, ids)
    return [
        Card(
            contribution=c,
            round_number=rounds.get(c.round_id),
            table_name=tables.get(c.table_id),
            themes=themes_of.get(c.id or 0, []),
            reactions=reactions.get(c.id or 0, 0),
        )
        for c in rows
    ]


def _themes_for(session: Session, ids: Sequence[int]) -> dict[int, list[Theme]]:
    found: dict[int, list[Theme]] = {}
    if not ids:
        return found
    rows = session.exec(
        select(ContributionTheme.contribution_id, Theme)
        .join(Theme, col(Theme.id) == ContributionTheme.theme_id)
        .where(col(ContributionTheme.contribution_id).in_(ids))
        .order_by(col(Theme.name))
    )
    for contribution_id, theme in rows:
        found.setdefault(contribution_id, []).append(theme)
    return found


def _reactions_for(session: Session, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.exec(
        select(Reaction.contribution_id, func.count())
        .where(col(Reaction.contribution_id).in_(ids))
        .group_by(col(Reaction.contribution_id))
    )
    return {cid: int(n) for cid, n in rows}


# --- themes --------------------------------------------------------------------------------


@dataclass
class ThemeSummary:
    theme: Theme
    count: int


def themes_of(*, session: Session, cafe: Cafe) -> list[ThemeSummary]:
    """The café's themes by name, each with how many visible contributions it holds."""
    counts = dict(
        session.exec(
            select(ContributionTheme.theme_id, func.count())
            .join(Contribution, col(Contribution.id) == ContributionTheme.contribution_id)
            .where(
                Contribution.cafe_id == cafe.id,
                Contribution.status == ContributionStatus.VISIBLE,
            )
            .group_by(col(ContributionTheme.theme_id))
        ).all()
    )
    themes = session.exec(
        select(Theme)
        .where(Theme.cafe_id == cafe.id)
        .order_by(func.lower(Theme.name), col(Theme.id))
    )
    return [ThemeSummary(theme=t, count=int(counts.get(t.id or 0, 0))) for t in themes]


def chosen_themes(
    *, session: Session, cafe: Cafe, theme_ids: Sequence[int]
) -> list[tuple[int, str]]:
    """Themes ticked on a phone, as (id, name) in the order cards name them: every one must
    be this café's (one may have been removed since the form was drawn)."""
    wanted = sorted(set(theme_ids))
    if not wanted:
        return []
    found = session.exec(
        select(Theme.id, Theme.name)
        .where(Theme.cafe_id == cafe.id, col(Theme.id).in_(wanted))
        .order_by(func.lower(Theme.name), col(Theme.id))
    ).all()
    if len(found) != len(wanted):
        raise Invalid("One of those themes is no longer there. Please choose from the list.")
    return [(theme_id or 0, name) for theme_id, name in found]


def theme_public(summary: ThemeSummary) -> ThemePublic:
    t = summary.theme
    return ThemePublic(
        id=t.id or 0,
        name=t.name,
        description=t.description,
        contributions=summary.count,
        created_at=t.created_at,
    )


def get_theme(*, session: Session, cafe: Cafe, theme_id: int) -> Theme:
    theme = session.get(Theme, theme_id)
    if theme is None or theme.cafe_id != cafe.id:
        raise NotFound("No such theme in this café.")
    return theme


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise Invalid("Give the theme a name.")
    if len(cleaned) > 80:
        raise Invalid("Please keep the theme name to 80 characters or fewer.")
    return cleaned


def _clean_description(description: str) -> str:
    cleaned = description.strip()
    if len(cleaned) > 500:
        raise Invalid("Please keep the description to 500 characters or fewer.")
    return cleaned


def _name_taken(session: Session, cafe: Cafe, name: str, *, other_than: int | None) -> bool:
    query = select(Theme.id).where(Theme.cafe_id == cafe.id, func.lower(Theme.name) == name.lower())
    if other_than is not None:
        query = query.where(Theme.id != other_than)
    return session.exec(query).first() is not None


def create_theme(
    *,
    session: Session,
    cafe: Cafe,
    name: str,
    description: str = "",
    contribution_ids: Sequence[int] = (),
    now: datetime,
) -> Theme:
    """A new theme, optionally holding some contributions from the start."""
    cleaned = _clean_name(name)
    if _name_taken(session, cafe, cleaned, other_than=None):
        raise Conflict(f"There is already a theme called “{cleaned}”.")
    assert cafe.id is not None
    theme = Theme(
        cafe_id=cafe.id, name=cleaned, description=_clean_description(description), created_at=now
    )
    session.add(theme)
    session.flush()
    if contribution_ids:
        _link(session, cafe, theme, contribution_ids, now)
    session.commit()
    session.refresh(theme)
    return theme


def update_theme(
    *,
    session: Session,
    cafe: Cafe,
    theme_id: int,
    name: str | None = None,
    description: str | None = None,
) -> Theme:
    """Rename a theme or change its description."""
    theme = get_theme(session=session, cafe=cafe, theme_id=theme_id)
    if name is not None:
        cleaned = _clean_name(name)
        if _name_taken(session, cafe, cleaned, other_than=theme.id):
            raise Conflict(f"There is already a theme called “{cleaned}”.")
        if cleaned != theme.name:
            # Its contributions' records name the theme: they changed too.
            changes.mark(session.connection(), cafe.id or 0, _members(theme))
        theme.name = cleaned
    if description is not None:
        theme.description = _clean_description(description)
    session.add(theme)
    session.commit()
    session.refresh(theme)
    return theme


def delete_theme(*, session: Session, cafe: Cafe, theme_id: int, now: datetime) -> Theme:
    """Delete a theme; its contributions stay, only the grouping goes."""
    theme = get_theme(session=session, cafe=cafe, theme_id=theme_id)
    members = _members(theme)
    changes.mark(session.connection(), cafe.id or 0, members)
    session.execute(
        update(Contribution).where(col(Contribution.id).in_(members)).values(updated_at=now)
    )
    session.execute(delete(ContributionTheme).where(col(ContributionTheme.theme_id) == theme.id))
    session.delete(theme)
    session.commit()
    return theme


def _members(theme: Theme) -> Select[Any]:
    """The ids of a theme's contributions, as a query."""
    return sa_select(col(ContributionTheme.contribution_id)).where(
        col(ContributionTheme.theme_id) == theme.id
    )


def _owned_ids(session: Session, cafe: Cafe, ids: Sequence[int]) -> list[int]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    found = set(
        session.exec(
            select(Contribution.id).where(
                Contribution.cafe_id == cafe.id, col(Contribution.id).in_(wanted)
            )
        ).all()
    )
    if len(found) != len(wanted):
        raise NotFound("No such contribution in this café.")
    return wanted


def _link(session: Session, cafe: Cafe, theme: Theme, ids: Sequence[int], now: datetime) -> int:
    wanted = _owned_ids(session, cafe, ids)
    already = set(
        session.exec(
            select(ContributionTheme.contribution_id).where(
                ContributionTheme.theme_id == theme.id,
                col(ContributionTheme.contribution_id).in_(wanted),
            )
        ).all()
    )
    new = [cid for cid in wanted if cid not in already]
    assert theme.id is not None
    if new:
        # Themes are part of the record an API client syncs: a change it must see.
        changes.mark(session.connection(), cafe.id or 0, new)
    for cid in new:
        session.add(ContributionTheme(contribution_id=cid, theme_id=theme.id))
    if new:
        session.execute(
            update(Contribution).where(col(Contribution.id).in_(new)).values(updated_at=now)
        )
    return len(new)


def assign(
    *, session: Session, cafe: Cafe, theme_id: int, contribution_ids: Sequence[int], now: datetime
) -> int:
    """Put contributions in a theme; returns how many were not in it already."""
    if not contribution_ids:
        raise Invalid("Tick at least one contribution first.")
    theme = get_theme(session=session, cafe=cafe, theme_id=theme_id)
    added = _link(session, cafe, theme, contribution_ids, now)
    session.commit()
    return added


def unassign(
    *, session: Session, cafe: Cafe, theme_id: int, contribution_ids: Sequence[int], now: datetime
) -> int:
    """Take contributions out of a theme; returns how many were in it."""
    if not contribution_ids:
        raise Invalid("Tick at least one contribution first.")
    theme = get_theme(session=session, cafe=cafe, theme_id=theme_id)
    wanted = _owned_ids(session, cafe, contribution_ids)
    linked = list(
        session.exec(
            select(ContributionTheme.contribution_id).where(
                ContributionTheme.theme_id == theme.id,
                col(ContributionTheme.contribution_id).in_(wanted),
            )
        ).all()
    )
    if linked:
        changes.mark(session.connection(), cafe.id or 0, linked)
        session.execute(
            delete(ContributionTheme).where(
                col(ContributionTheme.theme_id) == theme.id,
                col(ContributionTheme.contribution_id).in_(linked),
            )
        )
        session.execute(
            update(Contribution).where(col(Contribution.id).in_(linked)).values(updated_at=now)
        )
    session.commit()
    return len(linked)


# --- API: contributions with a cursor -------------------------------------------------------


def encode_cursor(change_seq: int, contribution_id: int) -> str:
    raw = f"c{change_seq}|{contribution_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """Read an opaque cursor; anything we did not hand out is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raw = ""
    seq, _, ident = raw.removeprefix("c").partition("|")
    if (
        raw.startswith("c")
        and seq.isascii()
        and seq.isdigit()
        and ident.isascii()
        and ident.isdigit()
    ):
        return int(seq), int(ident)
    raise Invalid("The cursor in `after` is not one we handed out; start again without it.")


def contribution_page(
    *,
    session: Session,
    cafe: Cafe,
    filters: ContributionFilter,
    status: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> ContributionPage:
    """Contributions in the order they last changed, from a cursor on.

    New contributions and changed ones (edited, hidden, withdrawn, voted on, moved between
    themes, their theme renamed) all come after a client's last cursor, so one cursor is
    enough to stay in sync. The order is the café's change numbers (`app.services.changes`),
    which commit in order: nothing can land behind a cursor already handed out.
    """
    conditions = _where(cafe, filters)
    if status is not None:
        conditions.append(col(Contribution.status) == status)
    if after:
        seq, last_id = decode_cursor(after)
        conditions.append(
            or_(
                col(Contribution.change_seq) > seq,
                and_(col(Contribution.change_seq) == seq, col(Contribution.id) > last_id),
            )
        )
    query = (
        select(Contribution)
        .where(*conditions)
        .order_by(col(Contribution.change_seq), col(Contribution.id))
        .limit(limit + 1)
    )
    rows = list(session.exec(query))
    more = len(rows) > limit
    rows = rows[:limit]
    items = records(session=session, cafe=cafe, rows=rows)
    cursor = encode_cursor(rows[-1].change_seq, rows[-1].id or 0) if rows else after
    return ContributionPage(items=items, next_cursor=cursor, has_more=more)


def records(
    *, session: Session, cafe: Cafe, rows: Sequence[Contribution]
) -> list[ContributionRecord]:
    """Contributions as API records with their provenance; tombstones when not visible."""
    rounds = {r.id: r for r in cafe_service.rounds_of(session, cafe)}
    tables = {t.id: t for t in cafe_service.tables_of(session, cafe)}
    overrides: dict[tuple[int, int], str] = {}
    for each in rounds.values():
        for table_id, override in cafe_service.table_questions(session, each).items():
            overrides[(each.id or 0, table_id)] = override
    ids = [c.id for c in rows if c.id is not None]
    themes = _themes_for(session, ids)
    reactions = _reactions_for(session, ids)
    names: dict[int, str] = {}
    if cafe.names_visible:
        people = {c.participant_id for c in rows if c.participant_id is not None}
        if people:
            names = {
                pid: name
                for pid, name in session.exec(
                    select(Participant.id, Participant.display_name).where(
                        col(Participant.id).in_(people)
                    )
                )
                if pid is not None
            }
    items = []
    for c in rows:
        visible = c.status == ContributionStatus.VISIBLE
        rnd = rounds.get(c.round_id)
        table = tables.get(c.table_id)
        question: str | None = None
        if rnd is not None:
            question = overrides.get((rnd.id or 0, c.table_id or 0), rnd.question)
        items.append(
            ContributionRecord(
                id=c.id or 0,
                cafe_id=c.cafe_id,
                status=c.status,
                text=c.text if visible else None,
                kind=c.kind,
                evidence_type=c.evidence_type,
                author_role=c.author_role,
                for_table=c.for_table,
                round=rnd.number if rnd else None,
                table=table.number if table else None,
                table_name=table.name if table else None,
                question=question,
                themes=[ThemeRef(id=t.id or 0, name=t.name) for t in themes.get(c.id or 0, [])]
                if visible
                else [],
                reactions=reactions.get(c.id or 0, 0) if visible else 0,
                author=names.get(c.participant_id or 0) if visible else None,
                created_at=c.created_at,
                updated_at=c.updated_at,
            )
        )
    return items


def get_record(*, session: Session, cafe: Cafe, contribution_id: int) -> ContributionRecord:
    row = session.get(Contribution, contribution_id)
    if row is None or row.cafe_id != cafe.id:
        raise NotFound("No such contribution in this café.")
    session.refresh(row)
    return records(session=session, cafe=cafe, rows=[row])[0]


# --- counts --------------------------------------------------------------------------------


@dataclass
class Counts:
    total: int
    by_table: list[tuple[str, int]]
    by_round: list[tuple[str, int]]
    by_role: list[tuple[str, int]]
    by_evidence: list[tuple[str, int]]
    by_kind: list[tuple[str, int]]


def counts(*, session: Session, cafe: Cafe, filters: ContributionFilter) -> Counts:
    """How many visible contributions per table, round, role, evidence type and kind."""
    conditions = _visible(cafe, filters)

    def grouped(column: Any) -> dict[Any, int]:
        rows = session.exec(
            select(column, func.count())
            .select_from(Contribution)
            .where(*conditions)
            .group_by(column)
        )
        return {key: int(n) for key, n in rows}

    per_table = grouped(col(Contribution.table_id))
    per_round = grouped(col(Contribution.round_id))
    per_role = grouped(col(Contribution.author_role))
    per_evidence = grouped(col(Contribution.evidence_type))
    per_kind = grouped(col(Contribution.kind))
    by_table = [(t.name, per_table.get(t.id, 0)) for t in cafe_service.tables_of(session, cafe)]
    if per_table.get(None):
        by_table.append(("Not at a table", per_table[None]))
    by_round = [
        (f"Round {r.number}", per_round.get(r.id, 0)) for r in cafe_service.rounds_of(session, cafe)
    ]
    if per_round.get(None):
        by_round.insert(0, ("Before the first round", per_round[None]))
    by_role = [(label, per_role.get(role, 0)) for role, label in ROLE_LABELS.items()]
    by_role.append(("Role not given", per_role.get(None, 0)))
    return Counts(
        total=sum(per_evidence.values()),
        by_table=by_table,
        by_round=by_round,
        by_role=by_role,
        by_evidence=[(label, per_evidence.get(k, 0)) for k, label in EVIDENCE_LABELS.items()],
        by_kind=[(label, per_kind.get(k, 0)) for k, label in KIND_LABELS.items()],
    )


# --- suggested themes ----------------------------------------------------------------------

# Common English words, and words people use in any conversation, that say nothing about
# what a contribution is about.
STOP_WORDS = frozenset(
    """
    a about above after again against all almost also although always am among an and another
    any anyone anything are aren't around as at away back be became because become been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't
    doing don't done down during each either else enough even ever every everyone everything
    few for from further get gets getting go goes going gone good got had hadn't has hasn't have
    haven't having he her here hers herself him himself his how however i i'd i'll i'm i've if
    in into is isn't it it's its itself just keep kind know least less let let's like lot lots
    made make makes many may maybe me might more most much must my myself need never no nor not
    nothing now of off often ok okay on once one only or other others our ours ourselves out
    over own quite rather really said same say says see seem should shouldn't so some someone
    something sometimes still such sure take than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've thing things think this those
    though through to too under until up upon us use used very want wants was wasn't way we we'd
    we'll we're we've well were weren't what what's when where whether which while who whole
    whom whose why will with within without won't would wouldn't yes yet you you'd you'll you're
    you've your yours yourself yourselves able actually already anyway bit come comes coming
    feel felt give given great new next often put right thank thanks time times try trying
    """.split()
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")


def stem(word: str) -> str:
    """A light English stemmer: enough to put "buses" with "bus" and "changed" with "change".

    Deliberately conservative (short words are left alone) so that "care" and "car" stay
    apart; the suggestions show real words, never stems.
    """
    w = word
    if w.endswith("'s"):
        w = w[:-2]
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("es") and len(w) > 4 and w[:-2].endswith(_SIBILANT_ENDINGS):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] in "bdgmnprt":
                w = w[:-1]  # stopped -> stop, getting -> get
            break
    if w.endswith("ly") and len(w) > 5:
        w = w[:-2]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def salient_words(text: str) -> list[tuple[str, str]]:
    """(stem, word) for each word of a text that could say what it is about."""
    found = []
    for match in _WORD.finditer(text.lower().replace("’", "'")):
        word = match.group(0)
        if len(word) < 3 or word in STOP_WORDS:
            continue
        s = stem(word)
        if len(s) < 3 or s in STOP_WORDS:
            continue
        found.append((s, word.removesuffix("'s")))
    return found


@dataclass
class SharedWord:
    word: str
    count: int  # how many of the suggested contributions use it


@dataclass
class Suggestion:
    """A group of contributions that share salient words, and the words that made it."""

    name: str
    words: list[SharedWord]
    contribution_ids: list[int]
    previews: list[tuple[int, str]] = field(default_factory=list)
    existing_theme_id: int | None = None

    @property
    def explanation(self) -> str:
        lead = self.words[0]
        others = [w.word for w in self.words[1:]]
        text = f"{len(self.contribution_ids)} contributions use the word “{lead.word}”"
        if lead.count < len(self.contribution_ids):
            text = (
                f"{len(self.contribution_ids)} contributions use “{lead.word}” "
                f"or words that come up with it"
            )
        if others:
            text += ": " + ", ".join(f"“{w}”" for w in others)
        return text + "."


def suggest_groups(
    texts: Sequence[tuple[int, str]],
    *,
    max_suggestions: int = MAX_SUGGESTIONS,
    min_size: int = 2,
) -> list[Suggestion]:
    """Group contributions by the salient words they share (pure: no database).

    1. Each text becomes a set of stemmed words, without stop words.
    2. A word is a candidate if at least ``min_size`` texts use it but it is not so common
       that it says nothing (used by more than 60% of them, once there are ten or more).
    3. Greedily, the candidate that the most still-ungrouped texts use leads a group (ties:
       the rarer word overall, then alphabetical). Words that mostly come up together with
       it (half or more of their uses) pull in their texts too: co-occurrence clustering.
    4. Each group lists the shared words with how many of its texts use each, so the
       facilitator can see why it was suggested.
    """
    docs: dict[int, set[str]] = {}
    surface: dict[str, Counter[str]] = {}
    for cid, text in texts:
        words = salient_words(text)
        if not words:
            continue
        docs[cid] = {s for s, _ in words}
        for s, w in words:
            surface.setdefault(s, Counter())[w] += 1
    n = len(docs)
    if n < min_size:
        return []
    postings: dict[str, set[int]] = {}
    for cid, stems in docs.items():
        for s in stems:
            postings.setdefault(s, set()).add(cid)
    # In a handful of texts a word they all share is still a fair theme; in many, a word
    # most of them use is usually the question's own topic.
    ceiling = n if n < 10 else int(n * 0.6)
    vocab = {s: ids for s, ids in postings.items() if min_size <= len(ids) <= ceiling}

    def shown(s: str) -> str:
        return surface[s].most_common(1)[0][0]

    covered: set[int] = set()
    used_leads: set[str] = set()
    suggestions: list[Suggestion] = []
    while len(suggestions) < max_suggestions:
        candidates = [
            (-len(ids - covered), len(ids), s)
            for s, ids in vocab.items()
            if s not in used_leads and len(ids - covered) >= min_size
        ]
        if not candidates:
            break
        # Most still-ungrouped texts first; then the more specific word; then alphabetical.
        lead = min(candidates)[2]
        used_leads.add(lead)
        group = set(vocab[lead] - covered)
        co = Counter(s for cid in group for s in docs[cid] if s != lead and s in vocab)
        companions = [
            s for s, k in co.items() if k >= min_size and k * 2 >= len(vocab[s]) and s != lead
        ]
        for s in companions:
            group |= vocab[s] - covered
        covered |= group
        tally = Counter(s for cid in group for s in docs[cid] if s in vocab)
        others = sorted(
            (s for s, k in tally.items() if s != lead and k >= min_size and k * 2 >= len(group)),
            key=lambda s: (-tally[s], s),
        )
        shared = [SharedWord(word=shown(s), count=tally[s]) for s in [lead, *others][:6]]
        name = shared[0].word.capitalize()
        if len(shared) > 1 and shared[1].count == len(group):
            name = f"{name} and {shared[1].word}"
        suggestions.append(Suggestion(name=name, words=shared, contribution_ids=sorted(group)))
    return suggestions


def suggest_themes(
    *, session: Session, cafe: Cafe, filters: ContributionFilter, sample: int = SUGGESTION_SAMPLE
) -> list[Suggestion]:
    """Suggested themes among the visible contributions not yet in a theme."""
    unthemed = replace(filters, theme=NO_THEME)
    rows = session.exec(
        select(Contribution.id, Contribution.text)
        .where(*_visible(cafe, unthemed))
        .order_by(col(Contribution.id).desc())
        .limit(sample)
    ).all()
    texts = [(cid, text) for cid, text in rows if cid is not None]
    suggestions = suggest_groups(texts)
    by_id = dict(texts)
    existing = {
        t.name.lower(): t.id for t in session.exec(select(Theme).where(Theme.cafe_id == cafe.id))
    }
    for s in suggestions:
        s.previews = [(cid, by_id[cid]) for cid in s.contribution_ids]
        s.existing_theme_id = existing.get(s.name.lower()) or existing.get(s.words[0].word.lower())
    return suggestions


# --- what we heard -------------------------------------------------------------------------


@dataclass
class HeardItem:
    text: str
    kind_label: str
    evidence_label: str
    reactions: int


@dataclass
class HeardTheme:
    theme: Theme
    count: int
    items: list[HeardItem]


@dataclass
class Heard:
    """What participants see at the close: themes and what was said, without names."""

    total: int
    themes: list[HeardTheme]
    others: list[HeardItem]
    others_total: int
    by_evidence: list[tuple[str, int]]


def heard(*, session: Session, cafe: Cafe, per_theme: int = 40, others: int = 60) -> Heard:
    """The café's themes with their most agreed-with contributions, then the rest."""
    agreed = (
        select(func.count())
        .where(col(Reaction.contribution_id) == col(Contribution.id))
        .correlate(Contribution)
        .scalar_subquery()
    )

    def items(filters: ContributionFilter, limit: int) -> list[HeardItem]:
        rows = session.exec(
            select(Contribution, agreed)
            .where(*_visible(cafe, filters))
            .order_by(agreed.desc(), col(Contribution.id))
            .limit(limit)
        )
        return [
            HeardItem(
                text=c.text,
                kind_label=KIND_LABELS.get(c.kind, c.kind),
                evidence_label=EVIDENCE_LABELS.get(c.evidence_type, c.evidence_type),
                reactions=int(n),
            )
            for c, n in rows
        ]

    themes = [
        HeardTheme(
            theme=s.theme,
            count=s.count,
            items=items(ContributionFilter(theme=s.theme.id), per_theme),
        )
        for s in sorted(
            themes_of(session=session, cafe=cafe), key=lambda s: (-s.count, s.theme.name.lower())
        )
        if s.count
    ]
    tally = counts(session=session, cafe=cafe, filters=ContributionFilter())
    unthemed = ContributionFilter(theme=NO_THEME)
    others_total = session.exec(
        select(func.count()).select_from(Contribution).where(*_visible(cafe, unthemed))
    ).one()
    return Heard(
        total=tally.total,
        themes=themes,
        others=items(unthemed, others),
        others_total=int(others_total),
        by_evidence=tally.by_evidence,
    )
