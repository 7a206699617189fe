"""The live café's planner on issue 26's hard instances: 32 people at 8 tables of 4 for 10
rounds (the social golfer problem 8-4-10), 20 at 5 tables of 4 for 6 rounds, the 500-person
round's CPU time. Bounded in size so that the file runs in seconds."""

from __future__ import annotations

import random
import time
from collections import Counter

from app.services.rotation.costs import max_pair_count, pair_counts, repeated_meetings
from app.services.rotation.golfers import golfer_rounds
from app.services.rotation.model import ROLES, PlannerPerson, PlannerTable
from app.services.rotation.planner import plan_next_round, plan_rounds


def grid(n: int, tables: int, size: int) -> tuple[list[PlannerPerson], list[PlannerTable]]:
    return [PlannerPerson(i) for i in range(n)], [
        PlannerTable(100 + t, size) for t in range(tables)
    ]


def test_the_construction_seats_32_people_for_10_rounds_meeting_nobody_twice() -> None:
    rounds = golfer_rounds()
    assert len(rounds) == 10
    seatings = []
    for tables in rounds:
        assert len(tables) == 8 and all(len(t) == 4 for t in tables)
        assert sorted(p for t in tables for p in t) == list(range(32))
        seatings.append({p: k for k, t in enumerate(tables) for p in t})
    counts = pair_counts(seatings)
    assert max(counts.values()) == 1
    # 480 of the 496 pairs meet: everyone misses exactly one other person
    missed = Counter(
        p for p in range(32) for q in range(32) if p != q and (min(p, q), max(p, q)) not in counts
    )
    assert len(counts) == 480 and set(missed.values()) == {1}


def test_a_live_cafe_of_32_at_8_tables_of_4_for_10_rounds_has_no_repeat() -> None:
    people, tables = grid(32, 8, 4)
    for seed in range(3):
        plan = plan_rounds(people=people, tables=tables, history=[], rounds=10, seed=seed)
        assert repeated_meetings(plan) == 0
        assert max_pair_count(plan) == 1
        for seating in plan:
            assert sorted(seating) == list(range(32))
            assert sorted(Counter(seating.values()).values()) == [4] * 8
    again = plan_rounds(people=people, tables=tables, history=[], rounds=10, seed=7)
    assert again == plan_rounds(people=people, tables=tables, history=[], rounds=10, seed=7)


def test_roles_do_not_bring_repeats_back_on_32_at_8_tables_of_4() -> None:
    rng = random.Random(5)
    pool: list[str | None] = [*ROLES, None]
    people = [
        PlannerPerson(i, role=rng.choices(pool, [5, 2, 3, 2, 1, 1, 1, 1, 2])[0]) for i in range(32)
    ]
    tables = [PlannerTable(100 + t, 4) for t in range(8)]
    plan = plan_rounds(people=people, tables=tables, history=[], rounds=10, seed=0, effort=0.2)
    assert repeated_meetings(plan) == 0


def test_the_construction_is_not_used_where_it_does_not_fit() -> None:
    # a host who never moves, or a ninth table: the planner still plans, hosts stay, sizes
    # stay balanced
    people, tables = grid(32, 8, 4)
    people[0] = PlannerPerson(0, is_host=True, current_table=100)
    plan = plan_rounds(people=people, tables=tables, history=[], rounds=10, seed=0, effort=0.1)
    assert all(seating[0] == 100 for seating in plan)
    assert all(sorted(Counter(s.values()).values()) == [4] * 8 for s in plan)
    people, tables = grid(32, 9, 4)
    plan = plan_rounds(people=people, tables=tables, history=[], rounds=3, seed=0, effort=0.1)
    assert all(sorted(Counter(s.values()).values()) == [3, 3, 3, 3] + [4] * 5 for s in plan)


def test_20_people_at_5_tables_of_4_for_6_rounds_meet_again_at_most_6_times() -> None:
    people, tables = grid(20, 5, 4)
    plan = plan_rounds(people=people, tables=tables, history=[], rounds=6, seed=0)
    assert repeated_meetings(plan) <= 6


def test_the_500_person_round_plans_in_under_2_cpu_seconds() -> None:
    rng = random.Random(500)
    pool: list[str | None] = [*ROLES, None]
    people = [
        PlannerPerson(i, role=rng.choices(pool, [5, 2, 3, 2, 1, 1, 1, 1, 2])[0]) for i in range(500)
    ]
    tables = [PlannerTable(100 + t, 7) for t in range(80)]
    history = plan_rounds(people=people, tables=tables, history=[], rounds=3, seed=1)
    start = time.process_time()
    seating = plan_next_round(people=people, tables=tables, history=history, seed=0)
    assert time.process_time() - start < 2.0
    assert repeated_meetings([*history, seating]) == repeated_meetings(history) == 0
