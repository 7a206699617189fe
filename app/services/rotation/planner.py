"""The planner's entry points: the seating of the next round, or of several rounds at once."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from app.services.rotation import constructions, search
from app.services.rotation.costs import role_cost, schedule_repeat_cost
from app.services.rotation.model import PlannerPerson, PlannerTable, PlanningError, Seating
from app.services.rotation.problem import validate
from app.services.rotation.schedule import Schedule


class _Solved(NamedTuple):
    seatings: list[Seating]
    # no repeated meeting, and the role mix at its lower bound; or the café's plan carried on
    # whole (``earlier``), which nothing is tried against
    unbeatable: bool


def _solve(
    people: Sequence[PlannerPerson],
    tables: Sequence[PlannerTable],
    history: Sequence[Mapping[int, int]],
    rounds: int,
    seed: int,
    effort: float,
    earlier: Sequence[Mapping[int, int]] = (),
) -> _Solved:
    rng = random.Random(seed)
    schedule = Schedule(people, tables, history, rounds, rng)
    if rounds <= 0:
        return _Solved([], True)
    movable = max(1, len(schedule.movable))
    effort = max(0.0, effort)
    # Budgets in iterations (or search nodes), scaled with the size of the schedule and with
    # ``effort``; never wall-clock, so that a seed always gives the same plan.
    anneal_iters = int(effort * (5000 + 50 * movable * rounds))
    polish_iters = int(effort * max(100_000, 50 * movable * rounds))
    # exact searches and tabu only where they pay (recursion depth = movable people)
    small = movable <= 200 and movable * schedule.t <= 4000
    hopeful = small and schedule.zero_repeats_possible()
    exact_nodes = int(effort * 1000) if hopeful else 0
    backtracks = int(effort * 10) if hopeful else 0
    tabu_iters = int(effort * 1_000_000 / (search.SAMPLE * movable)) if small else 0
    restarts = max(1, int(effort * 2)) if rounds > 1 and hopeful else 1
    # the plan the café was following, changed as little as the room's change needs: where
    # it still has no repeat it is taken as it is (nobody's seats change); else it is
    # repaired last, if the usual attempts leave repeats (so never a worse plan)
    kept = constructions.plan_start(schedule, earlier) if earlier else None
    if kept is not None:
        schedule.restore(kept)
        constructions.fit_sizes(schedule)
        if schedule.repeat_cost() == 0 and schedule.seat == kept:
            return _Solved(schedule.seatings(kept), True)
    start = _structured_start(schedule, effort) if hopeful else None
    attempts: list[list[list[int]] | None] = [None] * restarts
    if start is not None:
        # a structured start gets the whole budget; a single round also gets a greedy build
        tabu_iters *= restarts
        attempts = [start, None] if rounds == 1 else [start]
    if kept is not None:
        attempts.append(kept)
    best_cost: tuple[int, int] | None = None
    best_seats: list[list[int]] = []
    for seats in attempts:
        if seats is kept and best_cost is not None and best_cost[0] == 0:
            break
        if seats is not None:
            schedule.restore(seats)
            constructions.fit_sizes(schedule)
        else:
            constructions.build(schedule=schedule, exact_nodes=exact_nodes, backtracks=backtracks)
        if schedule.repeat_cost() > 0:
            search.anneal(schedule=schedule, iterations=anneal_iters, temp_start=0.6, temp_end=0.02)
            if schedule.repeat_cost() > 0 and tabu_iters > 0:
                search.tabu(schedule=schedule, iterations=tabu_iters, role_steps=tabu_iters // 2)
        elif seats is not None and history and schedule.seat == seats:
            # a table-hopping pattern carried on intact from earlier rounds stays as it is: the
            # later rounds rely on it, and the speeds were chosen with the role mix in mind
            best_cost, best_seats = (0, schedule.role_cost()), schedule.snapshot()
            break
        search.polish(schedule=schedule, iterations=polish_iters, temp_start=2.0, temp_end=0.05)
        cost = (schedule.repeat_cost(), schedule.role_cost())
        if best_cost is None or cost < best_cost:
            best_cost, best_seats = cost, schedule.snapshot()
        if cost[0] == 0 and (
            seats is None or len(attempts) == 1 or cost[1] <= schedule.role_floor()
        ):
            break
    schedule.restore(best_seats)
    unbeatable = (
        best_cost is not None and best_cost[0] == 0 and best_cost[1] <= schedule.role_floor()
    )
    return _Solved(schedule.seatings(best_seats), unbeatable)


def _structured_start(schedule: Schedule, effort: float) -> list[list[int]] | None:
    """A schedule without repeats by construction, where one applies: table hopping over a
    finite field, the 32-people construction, or a cyclic schedule found by search."""
    start = constructions.field_start(schedule)
    if start is None:
        start = constructions.golfer_start(schedule)
    if start is None and schedule.rounds > 1 and schedule.fresh():
        # search nodes cost about (people x tables) steps each
        nodes = int(effort * 20_000_000 / (schedule.n * schedule.t))
        start = constructions.cyclic_start(schedule=schedule, node_budget=nodes, restart_nodes=1000)
    return start


def plan_next_round(
    *,
    people: Sequence[PlannerPerson],
    tables: Sequence[PlannerTable],
    history: Sequence[Mapping[int, int]],
    seed: int = 0,
    effort: float = 1.0,
) -> Seating:
    """Seating (person id -> table id) for the next round.

    ``history`` holds the seatings of the rounds already played, oldest first; it may mention
    people who have left (ignored) and lack people who just arrived (they have met nobody).
    Raises :class:`PlanningError` when there are not enough seats or fixed people overflow a table.
    """
    if not people:
        validate(people=people, tables=tables)
        return {}
    return _solve(people, tables, history, 1, seed, effort).seatings[0]


def plan_rounds(
    *,
    people: Sequence[PlannerPerson],
    tables: Sequence[PlannerTable],
    history: Sequence[Mapping[int, int]],
    rounds: int,
    seed: int = 0,
    effort: float = 1.0,
    earlier: Sequence[Mapping[int, int]] = (),
) -> list[Seating]:
    """Seatings for the next ``rounds`` rounds (as if each were appended to ``history``
    before planning the next).  Fixed people keep one table throughout.

    ``earlier`` is the plan the café followed for these rounds before the room changed (a
    join, a leave, a move): it is tried first, with newcomers fitted in where they meet the
    fewest people again, and kept as it is when it still has no repeated meeting.

    The rounds are searched jointly, which can undo a choice in an early round that blocks a
    later one; they are also planned one round at a time, and the better of the two plans is
    returned (fewer repeated meetings, then the better role mix; the joint plan on a tie), so
    that planning ahead is never worse than not."""
    if rounds < 0:
        raise PlanningError("rounds must not be negative")
    if not people:
        validate(people=people, tables=tables)
        return [{} for _ in range(rounds)]
    joint = _solve(people, tables, history, rounds, seed, effort, earlier)
    if rounds <= 1 or joint.unbeatable:
        return joint.seatings
    played: list[Seating] = []
    for number in range(rounds):
        played += _solve(people, tables, [*history, *played], 1, seed + number, effort).seatings
    return min(joint.seatings, played, key=lambda plan: _plan_cost(plan, people, history))


def _plan_cost(
    plan: Sequence[Seating], people: Sequence[PlannerPerson], history: Sequence[Mapping[int, int]]
) -> tuple[int, int]:
    """What the planner minimises over several rounds: repeats, then the role mix."""
    repeats = schedule_repeat_cost(rounds=plan, history=history)
    return repeats, sum(role_cost(seating=seating, people=people) for seating in plan)
