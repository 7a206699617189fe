"""The planner's plain data: people, tables, a seating, the roles, and the planning error."""

from __future__ import annotations

from dataclasses import dataclass

LIVED_EXPERIENCE = "lived_experience"
ROLES: tuple[str, ...] = (
    LIVED_EXPERIENCE,
    "carer",
    "practitioner",
    "manager",
    "decision_maker",
    "provider",
    "researcher",
    "other",
)

Seating = dict[int, int]
"""Person id -> table id for one round."""  # not shown to people


class PlanningError(ValueError):
    """The request cannot be planned (not enough seats, fixed people overflow a table, ...)."""


@dataclass(frozen=True)
class PlannerPerson:
    id: int
    role: str | None = None
    is_host: bool = False
    cannot_move: bool = False
    current_table: int | None = None
    # Table the person sits at now; None for people not yet seated (late joiners).

    @property
    def is_fixed(self) -> bool:
        return self.is_host or self.cannot_move


@dataclass(frozen=True)
class PlannerTable:
    id: int
    capacity: int


def role_of(person: PlannerPerson) -> str | None:
    """The person's declared role; an empty one counts as none."""
    return person.role or None
