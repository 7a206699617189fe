"""Which contributions to show: one ContributionFilter, read from parameters, as SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import exists
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select

from app.models.cafe import Cafe, CafeTable, Round, StakeholderRole
from app.models.evidence import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    ContributionTheme,
    EvidenceType,
)
from app.services.errors import Invalid

NO_ROLE = "none"  # filter value: the author gave no role
NO_THEME = 0  # filter value: not in any theme yet


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


def where(*, cafe: Cafe, filters: ContributionFilter) -> list[ColumnElement[bool]]:
    """The filter as SQL conditions on ``Contribution``, within one café (every status)."""
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


def visible(*, cafe: Cafe, filters: ContributionFilter) -> list[ColumnElement[bool]]:
    """The filter's conditions, and only contributions still visible."""
    return [
        *where(cafe=cafe, filters=filters),
        col(Contribution.status) == ContributionStatus.VISIBLE,
    ]
