"""What a seating costs: pair meetings and repeats, the role mix, and the weights between them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from app.services.rotation.model import LIVED_EXPERIENCE, PlannerPerson, PlannerTable, role_of

# Weight of one unit of repeat cost against role cost, so that the scalar objective
# ``repeats * REPEAT_WEIGHT + roles`` is lexicographic for every single move.
REPEAT_WEIGHT = 1 << 20
# Extra role cost of a table without a lived-experience voice when there are enough of them.
MISSING_VOICE_PENALTY = 8


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _tables_of(seating: Mapping[int, int]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for pid in sorted(seating):
        groups.setdefault(seating[pid], []).append(pid)
    return groups


def pair_counts(history: Iterable[Mapping[int, int]]) -> Counter[tuple[int, int]]:
    """How many times each pair ``(low id, high id)`` has sat at the same table."""
    counts: Counter[tuple[int, int]] = Counter()
    for seating in history:
        for members in _tables_of(seating).values():
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    counts[_pair(a, b)] += 1
    return counts


def repeated_meetings(history: Iterable[Mapping[int, int]]) -> int:
    """Pair meetings beyond the first: ``sum(max(0, times_met - 1))`` over all pairs."""
    return sum(c - 1 for c in pair_counts(history).values() if c > 1)


def schedule_repeat_cost(
    *, rounds: Iterable[Mapping[int, int]], history: Iterable[Mapping[int, int]] = ()
) -> int:
    """The planner's repeat objective over several rounds: the sum of :func:`repeat_cost` of
    each round in ``rounds`` against ``history`` plus the rounds before it."""
    seen = list(history)
    total = 0
    for seating in rounds:
        total += repeat_cost(seating=seating, history=seen)
        seen.append(seating)
    return total


def max_pair_count(history: Iterable[Mapping[int, int]]) -> int:
    """The most times any one pair has sat together (0 for no meetings at all)."""
    return max(pair_counts(history).values(), default=0)


def repeat_cost(*, seating: Mapping[int, int], history: Iterable[Mapping[int, int]]) -> int:
    """Sum over pairs at the same table of (times they already met in ``history``) squared."""
    counts = pair_counts(history)
    total = 0
    for members in _tables_of(seating).values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                total += counts.get(_pair(a, b), 0) ** 2
    return total


def role_cost(*, seating: Mapping[int, int], people: Sequence[PlannerPerson]) -> int:
    """Secondary objective: sum over tables and declared roles of (people of that role)^2, plus a
    penalty per occupied table without a lived-experience voice when there are enough of them."""
    roles = {p.id: role_of(p) for p in people}
    per_table: dict[int, Counter[str]] = {}
    for pid, tid in seating.items():
        role = roles.get(pid)
        bucket = per_table.setdefault(tid, Counter())
        if role is not None:
            bucket[role] += 1
    total = sum(c * c for bucket in per_table.values() for c in bucket.values())
    voices = sum(1 for pid in seating if roles.get(pid) == LIVED_EXPERIENCE)
    if voices >= len(per_table):
        total += MISSING_VOICE_PENALTY * sum(
            1 for bucket in per_table.values() if bucket[LIVED_EXPERIENCE] == 0
        )
    return total


def seating_cost(
    *,
    seating: Mapping[int, int],
    people: Sequence[PlannerPerson],
    history: Iterable[Mapping[int, int]],
) -> tuple[int, int]:
    """``(repeat_cost, role_cost)``: the planner minimises this lexicographically."""
    return repeat_cost(seating=seating, history=history), role_cost(seating=seating, people=people)


def role_mix_violations(
    *,
    seating: Mapping[int, int],
    people: Sequence[PlannerPerson],
    tables: Sequence[PlannerTable],
) -> int:
    """How far a seating is from a perfect role mix.

    Only occupied tables count.  For every declared role with ``k`` people seated over ``t``
    occupied tables each table should hold between ``k // t`` and ``ceil(k / t)`` of them; the
    result is the total shortfall/excess over all (role, table) pairs.  With at least ``t``
    lived-experience people this includes every table lacking a lived-experience voice.  Zero means
    a perfect mix (it may be unreachable when fixed people or table sizes get in the way).
    """
    roles = {p.id: role_of(p) for p in people}
    table_ids = {t.id for t in tables}
    occupied = sorted({tid for tid in seating.values() if tid in table_ids})
    if not occupied:
        return 0
    per_role: dict[str, Counter[int]] = {}
    for pid, tid in seating.items():
        role = roles.get(pid)
        if role is not None and tid in table_ids:
            per_role.setdefault(role, Counter())[tid] += 1
    violations = 0
    n_tables = len(occupied)
    for role in sorted(per_role):
        counts = per_role[role]
        total = sum(counts.values())
        low, high = total // n_tables, -(-total // n_tables)
        for tid in occupied:
            c = counts[tid]
            violations += max(0, low - c) + max(0, c - high)
    return violations
