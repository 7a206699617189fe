"""The next round planned ahead: the planned seating (`planned_seating`), what a café state
is assembled from (`StateInputs`) and the café as its next round will start (`Forecast`,
`prepare_next_round`). The plans and forecasts are kept by the caller (`app.live.plans`)."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import delete as sa_delete
from sqlalchemy import insert as sa_insert
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
    SeatPlan,
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
    """Plans already made, by everything each round's was planned from (`planned_rounds`):
    the seatings of that round and of every round after it. The app keeps them per process
    (`app.live.plans.PLANS`); the database keeps the café's current plan for every process
    (`SeatPlan`)."""

    def get(self, key: Hashable) -> list[dict[int, int]] | None: ...

    def put(self, key: Hashable, value: list[dict[int, int]]) -> None: ...


def _waiting_in_turn(people: Sequence[Person], seats: int, number: int) -> list[Person]:
    """More people than seats: who is seated in round `number`. Hosts and people who can't
    move always are; the others wait in turn, a window of them moving along the joining
    order with every round, so that nobody waits a second round before everyone has waited
    once (while the room stays the same size; issue 26: with 13 people and 12 seats the same
    person waited all three rounds)."""
    fixed = [p for p in people if p.is_host or p.cannot_move]
    # The last to join wait first (they came to a full room), then the ones before them.
    movable = sorted((p for p in people if not (p.is_host or p.cannot_move)), key=lambda p: -p.id)
    room = max(0, seats - len(fixed))
    waiting = len(movable) - room
    if waiting > 0:
        start = ((number - 1) * waiting) % len(movable)
        out = {(start + i) % len(movable) for i in range(waiting)}
        movable = [p for i, p in enumerate(movable) if i not in out]
    # In the order the planner was always given them: the fixed first, then by joining.
    return sorted([*fixed, *movable], key=lambda p: (not (p.is_host or p.cannot_move), p.id))[
        :seats
    ]


def _planner_input(
    people: Sequence[Person], tables: list[CafeTable], now_at: Mapping[int, int], number: int
) -> tuple[list[PlannerPerson], list[PlannerTable]]:
    """The people the planner is given (with where they sit now) and the tables."""
    seats = sum(t.capacity for t in tables)
    if len(people) > seats:
        # More people than seats: plan those seated this round (`_waiting_in_turn`); the
        # rest wait unseated for the facilitator to place by hand or to add a table.
        people = _waiting_in_turn(people, seats, number)
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
    people_in, tables_in = _planner_input(people, tables, now_at, number)
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
    """The seating of round `number`, from the café's plan (`planned_rounds`)."""
    return dict(
        planned_rounds(
            session=session,
            cafe=cafe,
            number=number,
            people=people,
            tables=tables,
            now_at=now_at,
            plans=plans,
        )[0]
    )


def planned_rounds(
    *,
    session: Session,
    cafe: Cafe,
    number: int,
    people: Sequence[Person],
    tables: list[CafeTable],
    now_at: Mapping[int, int],
    plans: KnownPlans | None = None,
) -> list[dict[int, int]]:
    """The seatings of round `number` and of every round after it: the café's plan.

    The café follows one plan while the room stays as it was: the plan is looked for under
    the room round `number` would start in (the same people and tables, and the round before
    it seated as `now_at`), in `plans` and then in the database (`SeatPlan`, kept there by
    the rotation: `keep_plan`). Failing that (round 1, a late joiner, someone leaving, a move,
    a new host, a table or a round added), every round from `number` to the last is planned
    together (`planner.plan_rounds`: jointly, or round by round where that does better) from
    the seatings of the rounds already played, and remembered in `plans` for each of them
    under the room it assumes.

    The planner is a pure, seeded function of its input, so a remembered plan is the plan.
    The earlier rounds cannot change once over, so a plan is remembered by the café (its
    code: ids come back in a database emptied for tests), the round, the number of rounds,
    the people and tables, and the seating of the round before it; the history is read only
    when planning. A seating planned ahead (`prepare_next_round`) is found here when nothing
    has changed since."""
    total = max(number, round_count(session=session, cafe=cafe))
    key, people_in, tables_in = _plan_key(cafe, number, total, people, tables, now_at)
    found = plans.get(key) if plans is not None else None
    earlier: list[dict[int, int]] = []
    if found is None:
        found, earlier = _kept_plan(session, cafe, number, total, people, tables, now_at)
        if found is not None and plans is not None:
            _remember(plans, cafe, number, total, people, tables, now_at, found)
    if found is not None:
        return [dict(seating) for seating in found]
    history = seating_history(session=session, cafe=cafe, before=number)
    # More people than seats: who waits changes every round, so plan one round at a time.
    overflow = len(people_in) < len(people)
    rounds = planner.plan_rounds(
        people=people_in,
        tables=tables_in,
        history=history,
        rounds=1 if overflow else total - number + 1,
        seed=cafe.id * 100 + number,
        earlier=earlier,
    )
    if plans is not None:
        _remember(plans, cafe, number, total, people, tables, now_at, rounds)
    return [dict(seating) for seating in rounds]


def _chain(
    cafe: Cafe,
    number: int,
    total: int,
    people: Sequence[Person],
    tables: list[CafeTable],
    before: Mapping[int, int],
    seatings: Iterable[Mapping[int, int]],
) -> Iterator[tuple[int, Hashable, Mapping[int, int]]]:
    """Each seating of a plan from round `number` on, with its round and the room it assumes
    (`_plan_key`): the people and tables, and the seating before it (`before` for the first).
    `seatings` may be read lazily: each is asked for once the previous one's key is used."""
    for step, seating in enumerate(seatings, start=number):
        yield step, _plan_key(cafe, step, total, people, tables, before)[0], seating
        before = seating


def _remember(
    plans: KnownPlans,
    cafe: Cafe,
    number: int,
    total: int,
    people: Sequence[Person],
    tables: list[CafeTable],
    now_at: Mapping[int, int],
    rounds: list[dict[int, int]],
) -> None:
    """Each round of a plan, with the rest of it, under the room it assumes."""
    for step, key, _ in _chain(cafe, number, total, people, tables, now_at, rounds):
        plans.put(key, rounds[step - number :])


def _digest(key: Hashable) -> str:
    """A plan's key as stored: the same room gives the same digest in every process."""
    return hashlib.sha256(repr(key).encode()).hexdigest()


def _kept_plan(
    session: Session,
    cafe: Cafe,
    number: int,
    total: int,
    people: Sequence[Person],
    tables: list[CafeTable],
    now_at: Mapping[int, int],
) -> tuple[list[dict[int, int]] | None, list[dict[int, int]]]:
    """The plan kept in the database from round `number` on, if it was made for this room
    (the round before seated as `now_at`); and, whatever room it was made for, the rounds
    it holds from round `number` to the last, for the planner to start from
    (`planner.plan_rounds`'s `earlier`) when the room has changed since."""
    rows = session.exec(
        select(SeatPlan.round_number, SeatPlan.plan_key, SeatPlan.participant_id, SeatPlan.table_id)
        .where(SeatPlan.cafe_id == cafe.id, SeatPlan.round_number >= number)
        .order_by(col(SeatPlan.round_number))
    ).all()
    by_round: dict[int, tuple[str, dict[int, int]]] = {}
    for round_number, plan_key, person_id, table_id in rows:
        by_round.setdefault(round_number, (plan_key, {}))[1][person_id] = table_id
    earlier: list[dict[int, int]] = []
    for later in range(number, total + 1):
        if later not in by_round:
            break
        earlier.append(by_round[later][1])
    rounds: list[dict[int, int]] = []
    for step, key, seating in _chain(cafe, number, total, people, tables, now_at, earlier):
        if by_round[step][0] != _digest(key):
            break
        rounds.append(dict(seating))
    return rounds or None, earlier


def keep_plan(
    *,
    session: Session,
    cafe: Cafe,
    number: int,
    people: Sequence[Person],
    tables: list[CafeTable],
    seated: Mapping[int, int],
    plans: KnownPlans | None,
) -> None:
    """After round `number` was seated as `seated`: keep the plan of the rounds after it in
    the database, for every worker, if it is not there yet (a plan just made, or found in
    this process alone); a plan kept for another room goes. In the rotation's transaction."""
    total = round_count(session=session, cafe=cafe)
    conn = session.connection()
    stale = sa_delete(SeatPlan).where(col(SeatPlan.cafe_id) == cafe.id)
    if number >= total:
        conn.execute(stale)
        return
    key = _plan_key(cafe, number + 1, total, people, tables, seated)[0]
    rest = plans.get(key) if plans is not None else None
    wanted = _digest(key)
    kept = session.exec(
        select(SeatPlan.plan_key)
        .where(SeatPlan.cafe_id == cafe.id, SeatPlan.round_number == number + 1)
        .limit(1)
    ).first()
    if kept == wanted:
        conn.execute(stale.where(col(SeatPlan.round_number) <= number))
        return
    conn.execute(stale)
    if not rest:
        return
    values = []
    for step, plan_key, seating in _chain(cafe, number + 1, total, people, tables, seated, rest):
        digest = _digest(plan_key)
        values += [
            {
                "cafe_id": cafe.id,
                "round_number": step,
                "participant_id": person_id,
                "table_id": table_id,
                "plan_key": digest,
            }
            for person_id, table_id in seating.items()
        ]
    if values:
        conn.execute(sa_insert(SeatPlan), values)


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
