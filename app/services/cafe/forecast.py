"""The next round planned ahead: the planned seating (`planned_seating`), what a café state
is assembled from (`StateInputs`) and the café as its next round will start (`Forecast`,
`prepare_next_round`). The plans and forecasts are kept by the caller (`app.live.plans`)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from app.models.cafe import (
    Cafe,
    CafeStatus,
    CafeTable,
    Person,
    Round,
    RoundStatus,
    SeatingMode,
)
from app.services.cafe.cafes import current_round, round_count, table_questions, tables_of
from app.services.cafe.people import people_of
from app.services.cafe.seating import seating_history, seats_of
from app.services.cafe.state import CafeState, assemble_state
from app.services.rotation import planner
from app.services.rotation.model import PlannerPerson, PlannerTable, PlanningError


class StateInputs(NamedTuple):
    """What a café state is assembled from (`assemble_state`), but the instant it is read.
    Two states of a round's start with equal inputs show every phone the same thing: a round
    planned ahead (`Forecast`) can be drawn before it starts."""

    cafe: dict[str, Any]
    round: dict[str, Any]  # but its start and end instants
    people: list[Person]
    tables: list[dict[str, Any]]
    questions: Mapping[int, str]
    seats: Mapping[int, int]
    previous: Mapping[int, int]
    total_rounds: int


INSTANTS = ("starts_at", "ends_at")


def row_values(row: SQLModel, *skip: str) -> dict[str, Any]:
    """A row's column values, by name."""
    table = row.__table__  # type: ignore[attr-defined]
    return {c.key: getattr(row, c.key) for c in table.columns if c.key not in skip}


@dataclass(frozen=True, eq=False)
class Forecast:
    """The café as its next round will start if nothing changes before the facilitator's tap:
    the seating is planned ahead, so what every phone will be shown can be drawn ahead too.

    `version` is the café's as it was read, before anything else: if it has not moved by the
    tap, nothing the plan was made from has changed (every such change moves it on, see
    `app.models.cafe._move_version_on`), and the rotation seats everyone from this forecast
    without reading the people, the tables and the seats again or looking for the plan.
    Whether what was drawn ahead came true is for the rotation's `StateInputs` to say."""

    inputs: StateInputs
    tables: list[CafeTable]
    version: int

    def state_at(self, at: datetime) -> CafeState:
        """The state as if the round started at `at` (detached rows; never written)."""
        rnd = Round(**self.inputs.round)
        rnd.starts_at, rnd.ends_at = at, at + timedelta(minutes=rnd.minutes)
        return assemble_state(
            cafe=Cafe(**self.inputs.cafe),
            rnd=rnd,
            people=self.inputs.people,
            tables=self.tables,
            questions=self.inputs.questions,
            seats=self.inputs.seats,
            previous=dict(self.inputs.previous),
            total_rounds=self.inputs.total_rounds,
            now=at,
        )


class KnownPlans(Protocol):
    """Seatings already planned, by everything each was planned from (`planned_seating`);
    the app keeps them per process (`app.live.plans.PLANS`)."""

    def get(self, key: Hashable) -> dict[int, int] | None: ...

    def put(self, key: Hashable, value: dict[int, int]) -> None: ...


def _planner_input(
    people: Sequence[Person], tables: list[CafeTable], now_at: Mapping[int, int]
) -> tuple[list[PlannerPerson], list[PlannerTable]]:
    """The people the planner is given (with where they sit now) and the tables."""
    seats = sum(t.capacity for t in tables)
    if len(people) > seats:
        # More people than seats: plan those who fit (hosts and people who can't move first,
        # then in joining order); the rest wait unseated for the facilitator to place by hand.
        people = sorted(people, key=lambda p: (not (p.is_host or p.cannot_move), p.id))
        people = people[:seats]
    planner_people = [
        PlannerPerson(
            id=p.id,
            role=p.role,
            is_host=p.is_host,
            cannot_move=p.cannot_move,
            current_table=p.home_table_id if p.is_host and p.home_table_id else now_at.get(p.id),
        )
        for p in people
    ]
    planner_tables = [PlannerTable(id=t.id, capacity=t.capacity) for t in tables]
    return planner_people, planner_tables


def _plan_key(
    cafe: Cafe,
    number: int,
    total: int,
    people: Sequence[Person],
    tables: list[CafeTable],
    now_at: Mapping[int, int],
) -> tuple[Hashable, list[PlannerPerson], list[PlannerTable]]:
    """What a seating of round `number` is planned from, as a key, and the planner's input."""
    people_in, tables_in = _planner_input(people, tables, now_at)
    key = (
        cafe.code,
        number,
        total,
        tuple(people_in),
        tuple(tables_in),
        tuple(sorted(now_at.items())),
    )
    return key, people_in, tables_in


def planned_seating(
    *,
    session: Session,
    cafe: Cafe,
    number: int,
    people: Sequence[Person],
    tables: list[CafeTable],
    now_at: Mapping[int, int],
    plans: KnownPlans | None = None,
) -> dict[int, int]:
    """The seating of round `number`, from a plan of the whole rest of the café.

    When the round is not found in `plans`, every round from `number` to the last is planned
    together (`planner.plan_rounds`: jointly, or round by round where that does better) from
    the seatings of the rounds already played, and each planned round is remembered under
    the room it assumes: the same people and tables, and the round before it seated as
    planned. So the café follows one plan while the room stays as it was, and a change (a
    late joiner, someone leaving, a move, a new host, a table or a round added) plans the
    rest of the café afresh from what has happened so far.

    The planner is a pure, seeded function of its input, so a remembered plan is the plan.
    The earlier rounds cannot change once over, so a plan is remembered by the café (its
    code: ids come back in a database emptied for tests), the round, the number of rounds,
    the people and tables, and the seating of the round before it; the history is read only
    when planning. A seating planned ahead (`prepare_next_round`) is found here when nothing
    has changed since."""
    total = max(number, round_count(session=session, cafe=cafe))
    key, people_in, tables_in = _plan_key(cafe, number, total, people, tables, now_at)
    plan = plans.get(key) if plans is not None else None
    if plan is not None:
        return dict(plan)
    history = seating_history(session=session, cafe=cafe, before=number)
    rounds = planner.plan_rounds(
        people=people_in,
        tables=tables_in,
        history=history,
        rounds=total - number + 1,
        seed=cafe.id * 100 + number,
    )
    if plans is not None:
        before: Mapping[int, int] = now_at
        for later, seating in enumerate(rounds, start=number):
            if later > number:
                key = _plan_key(cafe, later, total, people, tables, before)[0]
            plans.put(key, seating)
            before = seating
    return dict(rounds[0])


def prepare_next_round(
    *, session: Session, cafe: Cafe, plans: KnownPlans | None = None
) -> Forecast | None:
    """Plan the next round's seating while this one runs, so that starting it does not wait
    for the planner (a tenth of a second or more for a thousand people). Reads only. Returns
    the round as it will start if nothing changes meanwhile, or None if no plan was made;
    the caller keeps it for the rotation (`rounds.rotate`'s `forecast`)."""
    # The version first: whatever changes after this read moves it on (`Forecast`).
    version = session.scalar(sa_select(col(Cafe.version)).where(col(Cafe.id) == cafe.id))
    if version is None:
        return None
    if cafe.status == CafeStatus.CLOSED or cafe.seating_mode == SeatingMode.FREE:
        return None
    number = cafe.current_round + 1
    nxt = session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == number)
    ).first()
    if nxt is None or nxt.status != RoundStatus.PLANNED:
        return None
    now_at = seats_of(session=session, rnd=current_round(session=session, cafe=cafe))
    people = people_of(session=session, cafe=cafe)
    tables = tables_of(session=session, cafe=cafe)
    try:
        planned = planned_seating(
            session=session,
            cafe=cafe,
            number=number,
            people=people,
            tables=tables,
            now_at=now_at,
            plans=plans,
        )
    except PlanningError:
        return None  # starting the round will say why
    # The café and the round as `rotate` will leave them.
    claimed = row_values(cafe) | {
        "current_round": number,
        "status": CafeStatus.RUNNING,
        "version": cafe.version + 1,
    }
    started = row_values(nxt, *INSTANTS) | {"status": RoundStatus.RUNNING}
    inputs = StateInputs(
        cafe=claimed,
        round=started,
        people=people,
        tables=[row_values(t) for t in tables],
        questions=table_questions(session=session, rnd=nxt),
        seats=planned,
        previous=now_at,
        total_rounds=round_count(session=session, cafe=cafe),
    )
    return Forecast(inputs=inputs, tables=tables, version=version)
