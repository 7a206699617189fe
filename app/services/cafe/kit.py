"""The printable room kit: the seating of every round (as played, as running, or as planned)
and what each table's tent shows (its name, its questions, its host's link)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.i18n import N_
from app.models.cafe import (
    Cafe,
    CafeTable,
    Person,
    Round,
    RoundStatus,
    SeatingMode,
    TableQuestion,
)
from app.services.cafe.cafes import tables_of
from app.services.cafe.forecast import KnownPlans, planned_seating
from app.services.cafe.people import people_of
from app.services.cafe.seating import seats_of
from app.services.rotation.model import PlanningError


@dataclass
class TableSeats:
    table: CafeTable
    question: str
    people: list[Person] = field(default_factory=list)


@dataclass
class RoundSeats:
    """Who sits where in one round; `planned`: not started yet, so it may still change."""

    number: int
    question: str
    planned: bool
    tables: list[TableSeats]
    unseated: list[Person]


@dataclass
class Tent:
    """A table's tent card: its name, the question of each round there, its host's link."""

    table: CafeTable
    questions: list[tuple[int, str]]


@dataclass
class Kit:
    rounds: list[RoundSeats]
    tents: list[Tent]
    # Why no seating is shown for the rounds ahead, when it is not (free seating, or too
    # many people fixed at one table to plan).
    no_plan: str = ""


def room_kit(*, session: Session, cafe: Cafe, plans: KnownPlans | None = None) -> Kit:
    """Everything the printed kit shows. The rounds played and the one running are as
    seated; the rounds ahead are the café's plan for the people here now (the plan the
    rotation will follow while nobody joins, leaves or moves)."""
    tables = tables_of(session=session, cafe=cafe)
    rounds = list(
        session.exec(select(Round).where(Round.cafe_id == cafe.id).order_by(col(Round.number)))
    )
    people = people_of(session=session, cafe=cafe)
    by_id = {p.id: p for p in people}
    overrides = _questions(session, [r.id for r in rounds])
    seated: list[RoundSeats] = []
    before: dict[int, int] = {}
    no_plan = ""
    for rnd in rounds:
        planned = rnd.status == RoundStatus.PLANNED
        if not planned:
            seats = seats_of(session=session, rnd=rnd)
        elif no_plan:
            continue
        elif cafe.seating_mode == SeatingMode.FREE:
            no_plan = N_("People choose their own table in this café, so there is no plan ahead.")
            continue
        elif not people:
            no_plan = N_("Nobody has joined yet: the plan ahead appears as people join.")
            continue
        else:
            try:
                seats = planned_seating(
                    session=session,
                    cafe=cafe,
                    number=rnd.number,
                    people=people,
                    tables=tables,
                    now_at=before,
                    plans=plans,
                )
            except PlanningError:
                no_plan = N_(
                    "The rounds ahead cannot be planned: more hosts or people who can't move "
                    "are at one table than it has seats."
                )
                continue
        before = seats
        views = [
            TableSeats(table=t, question=overrides.get((rnd.id, t.id), rnd.question))
            for t in tables
        ]
        at = {v.table.id: v for v in views}
        placed: set[int] = set()
        for person_id, table_id in sorted(seats.items()):
            person = by_id.get(person_id)
            if person is not None and table_id in at:
                at[table_id].people.append(person)
                placed.add(person_id)
        seated.append(
            RoundSeats(
                number=rnd.number,
                question=rnd.question,
                planned=planned,
                tables=views,
                unseated=[p for p in people if p.id not in placed],
            )
        )
    tents = [
        Tent(
            table=t,
            questions=[(r.number, overrides.get((r.id, t.id), r.question)) for r in rounds],
        )
        for t in tables
    ]
    return Kit(rounds=seated, tents=tents, no_plan=no_plan)


def _questions(session: Session, round_ids: list[int]) -> dict[tuple[int, int], str]:
    """Each table's own question of a round, where it has one."""
    if not round_ids:
        return {}
    rows = session.exec(select(TableQuestion).where(col(TableQuestion.round_id).in_(round_ids)))
    return {(row.round_id, row.table_id): row.question for row in rows}
