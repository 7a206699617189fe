"""Benchmark of the rotation planner: ``.venv/bin/python bench/rotation.py``.

For each instance the planner plans all rounds at once (``plan_rounds``: jointly, or round by
round where that does better), as the live café now does when its first round starts and
again whenever the room changes, and the table shows the pair meetings beyond the first, the
most times any pair met, the role-mix violations summed over the rounds and the CPU time
(the machine is shared: CPU seconds, not wall-clock ones, say what planning costs).  A
second table plans the same instances one round at a time with ``plan_next_round``, as the
live café did before (the seconds are those of the slowest round).  Then a café where
someone joins after round 2: the rest of the café is planned again with them (from the plan
it was following, as the live café does), and the line shows the repeated meetings the
newcomer is given (none is needed: they have met nobody).
Then 32 people at 8 tables of 4 over 10 rounds where one leaves after round 3, planned
again with and without the plan the café was following.  Finally it times
``plan_next_round`` for 500 people (CPU and wall-clock).
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.services.rotation.costs import (  # noqa: E402
    max_pair_count,
    repeated_meetings,
    role_mix_violations,
)
from app.services.rotation.model import ROLES, PlannerPerson, PlannerTable  # noqa: E402
from app.services.rotation.planner import plan_next_round, plan_rounds  # noqa: E402


@dataclass(frozen=True)
class Instance:
    name: str
    people: list[PlannerPerson]
    tables: list[PlannerTable]
    rounds: int


def _roles(n: int, rng: random.Random) -> list[str | None]:
    """A realistic mix: a fifth lived experience, some undeclared, the rest spread."""
    pool: list[str | None] = [*ROLES, None]
    weights = [5, 2, 3, 2, 1, 1, 1, 1, 2]
    return [rng.choices(pool, weights)[0] for _ in range(n)]


def _plain(n: int, tables: int, size: int, rounds: int) -> Instance:
    return Instance(
        f"{n} people / {tables}x{size} / {rounds} rounds",
        [PlannerPerson(i) for i in range(n)],
        [PlannerTable(100 + t, size) for t in range(tables)],
        rounds,
    )


def _hosted() -> Instance:
    rng = random.Random(60)
    caps = [6, 7, 8, 8, 8, 8, 9, 10]
    tables = [PlannerTable(100 + t, c) for t, c in enumerate(caps)]
    roles = _roles(60, rng)
    people = [
        PlannerPerson(i, role=roles[i], is_host=i < 8, current_table=100 + i if i < 8 else None)
        for i in range(60)
    ]
    return Instance("60 people / 8 uneven, 8 hosts, roles / 4 rounds", people, tables, 4)


def _large() -> Instance:
    rng = random.Random(500)
    roles = _roles(500, rng)
    people = [PlannerPerson(i, role=roles[i]) for i in range(500)]
    tables = [PlannerTable(100 + t, 7) for t in range(80)]
    return Instance("500 people / 80x7, roles / 5 rounds", people, tables, 5)


def main() -> None:
    instances = [
        _plain(16, 4, 4, 5),
        _plain(28, 7, 4, 9),
        _plain(32, 8, 4, 8),
        _plain(24, 6, 4, 7),
        _plain(30, 6, 5, 6),
        _plain(32, 8, 4, 10),
        _plain(20, 5, 4, 6),
        _plain(36, 9, 4, 8),
        _plain(48, 8, 6, 6),
        _plain(60, 10, 6, 5),
        _hosted(),
        _large(),
    ]
    header = (
        f"{'live café (plan_rounds)':<50} {'repeats':>7} {'worst':>5} {'roles':>5} {'cpu s':>7}"
    )
    print(header)
    print("-" * len(header))
    for inst in instances:
        start = time.process_time()
        plan = plan_rounds(
            people=inst.people, tables=inst.tables, history=[], rounds=inst.rounds, seed=0
        )
        elapsed = time.process_time() - start
        violations = sum(
            role_mix_violations(seating=s, people=inst.people, tables=inst.tables) for s in plan
        )
        print(
            f"{inst.name:<50} {repeated_meetings(plan):>7} {max_pair_count(plan):>5} "
            f"{violations:>5} {elapsed:>7.2f}"
        )
    print(f"\n{'round by round (plan_next_round)':<50} {'':>7} {'':>5} {'':>5} {'slowest':>7}")
    print("-" * len(header))
    for inst in instances:
        played: list[dict[int, int]] = []
        slowest = 0.0
        for number in range(inst.rounds):
            start = time.process_time()
            played.append(
                plan_next_round(people=inst.people, tables=inst.tables, history=played, seed=number)
            )
            slowest = max(slowest, time.process_time() - start)
        violations = sum(
            role_mix_violations(seating=s, people=inst.people, tables=inst.tables) for s in played
        )
        print(
            f"{inst.name:<50} {repeated_meetings(played):>7} {max_pair_count(played):>5} "
            f"{violations:>5} {slowest:>7.2f}"
        )
    _late_joiner()
    _leaver()
    large = _large()
    history = plan_rounds(people=large.people, tables=large.tables, history=[], rounds=3, seed=1)
    start, cpu = time.perf_counter(), time.process_time()
    seating = plan_next_round(people=large.people, tables=large.tables, history=history, seed=0)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    extra = repeated_meetings([*history, seating]) - repeated_meetings(history)
    violations = role_mix_violations(seating=seating, people=large.people, tables=large.tables)
    print(
        f"\nplan_next_round, 500 people / 80 tables after 3 rounds: {cpu:.2f} s CPU "
        f"({elapsed:.2f} s wall-clock), "
        f"{extra} new repeated meetings, {violations} role-mix violations"
    )


def _late_joiner() -> None:
    """24 people at 6 tables of 5 for 6 rounds; a 25th joins after round 2."""
    people = [PlannerPerson(i) for i in range(24)]
    tables = [PlannerTable(100 + t, 5) for t in range(6)]
    plan = plan_rounds(people=people, tables=tables, history=[], rounds=6, seed=101)
    played = plan[:2]
    newcomer = PlannerPerson(24)
    start = time.process_time()
    rest = plan_rounds(
        people=[*people, newcomer],
        tables=tables,
        history=played,
        rounds=4,
        seed=103,
        earlier=plan[2:],  # as the live café does: from the plan it was following
    )
    elapsed = time.process_time() - start
    met = [
        other
        for seating in rest
        for other, table in seating.items()
        if other != newcomer.id and table == seating[newcomer.id]
    ]
    again = len(met) - len(set(met))
    print(
        f"\n24 people / 6x5 / 6 rounds, a 25th joining after round 2: planned again in "
        f"{elapsed:.2f} s CPU; the newcomer meets {len(set(met))} people, {again} of them twice; "
        f"{repeated_meetings([*played, *rest])} repeated meetings in all"
    )


def _leaver() -> None:
    """32 people / 8x4 / 10 rounds; one leaves after round 3: the other 31 are planned again
    from the history alone, and from the plan the café was following (``earlier``)."""
    people = [PlannerPerson(i) for i in range(32)]
    tables = [PlannerTable(100 + t, 4) for t in range(8)]
    plan = plan_rounds(people=people, tables=tables, history=[], rounds=10, seed=0)
    played, stay = plan[:3], people[1:]
    for label, earlier in (("from the history alone", []), ("from the kept plan", plan[3:])):
        start = time.process_time()
        rest = plan_rounds(
            people=stay, tables=tables, history=played, rounds=7, seed=3, earlier=earlier
        )
        elapsed = time.process_time() - start
        moved = sum(
            1
            for new, old in zip(rest, plan[3:], strict=True)
            for p in stay
            if new[p.id] != old[p.id]
        )
        print(
            f"32 people / 8x4 / 10 rounds, one leaving after round 3, planned again {label}: "
            f"{elapsed:.2f} s CPU, {repeated_meetings([*played, *rest])} repeated meetings, "
            f"{moved} seats changed"
        )


if __name__ == "__main__":
    main()
