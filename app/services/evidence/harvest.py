"""The harvest: the café-wide wall of contributions, the counts under it and "what we heard".

The same ContributionFilter backs the facilitator's wall, the counts and the JSON API
(``records``), so a facilitator and an API client always see the same selection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.cafe import ROLE_LABELS, Cafe
from app.models.evidence import (
    EVIDENCE_LABELS,
    KIND_LABELS,
    Contribution,
    ContributionTheme,
    Reaction,
    Theme,
)
from app.services.cafe import cafes as cafe_service
from app.services.evidence import themes as theme_service
from app.services.evidence.filters import NO_THEME, ContributionFilter, visible

WALL_PAGE = 200


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
        return self.contribution.id

    @property
    def kind_label(self) -> str:
        kind = self.contribution.kind
        return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind

    @property
    def evidence_label(self) -> str:
        evidence = self.contribution.evidence_type
        return _(EVIDENCE_LABELS[evidence]) if evidence in EVIDENCE_LABELS else evidence

    @property
    def role_label(self) -> str:
        role = self.contribution.author_role
        if not role:
            return _("Role not given")
        return _(ROLE_LABELS[role]) if role in ROLE_LABELS else role


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
    conditions = visible(cafe=cafe, filters=filters)
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
    # Keyed as the contributions name them: one made before the first round has none.
    rounds: dict[int | None, int] = {
        r.id: r.number for r in cafe_service.rounds_of(session=session, cafe=cafe)
    }
    tables: dict[int | None, str] = {
        t.id: t.name for t in cafe_service.tables_of(session=session, cafe=cafe)
    }
    ids = [c.id for c in rows]
    themes_of = themes_for(session=session, ids=ids)
    reactions = reactions_for(session=session, ids=ids)
    return [
        Card(
            contribution=c,
            round_number=rounds.get(c.round_id),
            table_name=tables.get(c.table_id),
            themes=themes_of.get(c.id, []),
            reactions=reactions.get(c.id, 0),
        )
        for c in rows
    ]


def themes_for(*, session: Session, ids: Sequence[int]) -> dict[int, list[Theme]]:
    """The themes of each of these contributions, by name."""
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


def reactions_for(*, session: Session, ids: Sequence[int]) -> dict[int, int]:
    """How many reactions each of these contributions has (none: absent)."""
    if not ids:
        return {}
    rows = session.exec(
        select(Reaction.contribution_id, func.count())
        .where(col(Reaction.contribution_id).in_(ids))
        .group_by(col(Reaction.contribution_id))
    )
    return {cid: int(n) for cid, n in rows}


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
    conditions = visible(cafe=cafe, filters=filters)

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
    by_table = [
        (t.name, per_table.get(t.id, 0)) for t in cafe_service.tables_of(session=session, cafe=cafe)
    ]
    if per_table.get(None):
        by_table.append((_("Not at a table"), per_table[None]))
    by_round = [
        (_("Round %(number)s", number=r.number), per_round.get(r.id, 0))
        for r in cafe_service.rounds_of(session=session, cafe=cafe)
    ]
    if per_round.get(None):
        by_round.insert(0, (_("Before the first round"), per_round[None]))
    by_role = [(_(label), per_role.get(role, 0)) for role, label in ROLE_LABELS.items()]
    by_role.append((_("Role not given"), per_role.get(None, 0)))
    return Counts(
        total=sum(per_evidence.values()),
        by_table=by_table,
        by_round=by_round,
        by_role=by_role,
        by_evidence=[(_(label), per_evidence.get(k, 0)) for k, label in EVIDENCE_LABELS.items()],
        by_kind=[(_(label), per_kind.get(k, 0)) for k, label in KIND_LABELS.items()],
    )


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
            .where(*visible(cafe=cafe, filters=filters))
            .order_by(agreed.desc(), col(Contribution.id))
            .limit(limit)
        )
        return [
            HeardItem(
                text=c.text,
                kind_label=_(KIND_LABELS[c.kind]) if c.kind in KIND_LABELS else c.kind,
                evidence_label=(
                    _(EVIDENCE_LABELS[c.evidence_type])
                    if c.evidence_type in EVIDENCE_LABELS
                    else c.evidence_type
                ),
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
            theme_service.themes_of(session=session, cafe=cafe),
            key=lambda s: (-s.count, s.theme.name.lower()),
        )
        if s.count
    ]
    tally = counts(session=session, cafe=cafe, filters=ContributionFilter())
    unthemed = ContributionFilter(theme=NO_THEME)
    others_total = session.exec(
        select(func.count()).select_from(Contribution).where(*visible(cafe=cafe, filters=unthemed))
    ).one()
    return Heard(
        total=tally.total,
        themes=themes,
        others=items(unthemed, others),
        others_total=int(others_total),
        by_evidence=tally.by_evidence,
    )
