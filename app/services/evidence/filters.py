"""Which contributions to show: one ContributionFilter, read from parameters, as SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import exists
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select

from app.i18n import _
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
    """Which contributions to show, on the harvest wall, the merge page and in the API.

    In a café, rounds and tables are given by number and a theme by id (``NO_THEME``: in no
    theme). Across a network's cafés, a café and a local group by id and a theme by name,
    matched in every café. Kind, evidence type and role mean the same everywhere.
    """

    round: int | None = None
    table: int | None = None
    kind: str | None = None
    evidence_type: str | None = None
    role: str | None = None
    theme: int | None = None
    cafe_id: int | None = None
    group_id: int | None = None
    theme_name: str | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in self.params().values())

    def params(self) -> dict[str, str]:
        """The filter as the parameters ``from_params`` reads back."""
        values: dict[str, Any] = {
            "round": self.round,
            "table": self.table,
            "cafe": self.cafe_id,
            "group": self.group_id,
            "kind": self.kind,
            "evidence_type": self.evidence_type,
            "role": self.role,
            "theme": self.theme if self.theme_name is None else self.theme_name,
        }
        return {k: str(v) for k, v in values.items() if v is not None}

    def query(self, **extra: str | int) -> str:
        """The filter as a query string, for links that keep it."""
        params: dict[str, str] = {**self.params(), **{k: str(v) for k, v in extra.items()}}
        return urlencode(params)

    @classmethod
    def from_params(
        cls, params: Mapping[str, object], *, network: bool = False
    ) -> ContributionFilter:
        """Read a filter from query or form parameters: missing or empty means "all".

        ``network=True`` reads a filter across a network's cafés (``cafe``, ``group``, and
        ``theme`` as a name); otherwise one café's (``round``, ``table``, and ``theme`` as an
        id or "none"). Every problem is named, as sentences, in one ``Invalid``.
        """
        read = _Reader(params)
        # Read in the order the form shows, so the problems read in that order too.
        if network:
            first, second = read.number("cafe", _("Café")), read.number("group", _("Local group"))
        else:
            first, second = read.number("round", _("Round")), read.number("table", _("Table"))
        kind = read.choice("kind", _("Kind"), [k.value for k in ContributionKind])
        evidence_type = read.choice(
            "evidence_type", _("Evidence type"), [e.value for e in EvidenceType]
        )
        role = read.choice("role", _("Role"), [*(r.value for r in StakeholderRole), NO_ROLE])
        if network:
            found = cls(
                cafe_id=first,
                group_id=second,
                theme_name=read.text("theme"),
                kind=kind,
                evidence_type=evidence_type,
                role=role,
            )
        else:
            found = cls(
                round=first,
                table=second,
                theme=read.theme(),
                kind=kind,
                evidence_type=evidence_type,
                role=role,
            )
        if read.problems:
            raise Invalid(" ".join(read.problems))
        return found


class _Reader:
    """Reads parameters one by one, noting each problem rather than stopping at the first."""

    def __init__(self, params: Mapping[str, object]) -> None:
        self.params = params
        self.problems: list[str] = []

    def text(self, key: str) -> str | None:
        value = self.params.get(key)
        if value is None:
            return None
        return str(value).strip() or None

    def _refuse(self, label: str) -> None:
        self.problems.append(_("%(label)s must be one of the choices in the list.", label=label))

    def number(self, key: str, label: str, *, allow_zero: bool = False) -> int | None:
        raw = self.text(key)
        if raw is None:
            return None
        if not (raw.isascii() and raw.isdigit()) or (int(raw) == 0 and not allow_zero):
            self._refuse(label)
            return None
        return int(raw)

    def choice(self, key: str, label: str, allowed: Sequence[str]) -> str | None:
        raw = self.text(key)
        if raw is not None and raw not in allowed:
            self._refuse(label)
            return None
        return raw

    def theme(self) -> int | None:
        if self.text("theme") == "none":
            return NO_THEME
        return self.number("theme", _("Theme"), allow_zero=True)


def tag_conditions(*, filters: ContributionFilter) -> list[ColumnElement[bool]]:
    """The kind, evidence type and role a contribution is tagged with, as SQL conditions:
    the part of a filter that means the same in a café and across a network."""
    conditions: list[ColumnElement[bool]] = []
    if filters.kind is not None:
        conditions.append(col(Contribution.kind) == filters.kind)
    if filters.evidence_type is not None:
        conditions.append(col(Contribution.evidence_type) == filters.evidence_type)
    if filters.role == NO_ROLE:
        conditions.append(col(Contribution.author_role).is_(None))
    elif filters.role is not None:
        conditions.append(col(Contribution.author_role) == filters.role)
    return conditions


def where(*, cafe: Cafe, filters: ContributionFilter) -> list[ColumnElement[bool]]:
    """A café filter as SQL conditions on ``Contribution``, in that café (every status)."""
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
    conditions.extend(tag_conditions(filters=filters))
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
