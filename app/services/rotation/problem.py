"""Setting a planning problem up: validation, the tables of fixed people, balanced size bounds."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence

from app.i18n import _
from app.services.rotation.costs import pair_counts
from app.services.rotation.model import PlannerPerson, PlannerTable, PlanningError


def validate(*, people: Sequence[PlannerPerson], tables: Sequence[PlannerTable]) -> None:
    """Raise :class:`PlanningError` for duplicate ids, negative capacities or too few seats."""
    ids = [p.id for p in people]
    if len(set(ids)) != len(ids):
        raise PlanningError("duplicate person ids")
    tids = [t.id for t in tables]
    if len(set(tids)) != len(tids):
        raise PlanningError("duplicate table ids")
    for t in tables:
        if t.capacity < 0:
            raise PlanningError(_("table %(table)s has negative capacity", table=t.id))
    seats = sum(t.capacity for t in tables)
    if seats < len(people):
        raise PlanningError(
            _("%(people)s people but only %(seats)s seats", people=len(people), seats=seats)
        )


def anchor_tables(
    *,
    people: Sequence[PlannerPerson],
    tables: Sequence[PlannerTable],
    history: Sequence[Mapping[int, int]],
    counts: Counter[tuple[int, int]],
    rng: random.Random,
) -> dict[int, int]:
    """Table id for every fixed person (host or cannot-move).

    ``current_table`` wins; otherwise the table of the most recent history round they sat in.
    Fixed people with neither are spread first: fewest fixed people, then fewest earlier meetings
    with them, then most capacity.  Raises :class:`PlanningError` if a table's fixed people exceed
    its capacity.
    """
    capacity = {t.id: t.capacity for t in tables}
    anchors: dict[int, int] = {}
    floating: list[int] = []
    for person in sorted(people, key=lambda p: p.id):
        if not person.is_fixed:
            continue
        tid = person.current_table
        if tid is None or tid not in capacity:
            tid = None
            for seating in reversed(history):
                if person.id in seating:
                    if seating[person.id] in capacity:
                        tid = seating[person.id]
                    break
        if tid is None:
            floating.append(person.id)
        else:
            anchors[person.id] = tid
    fixed_at: dict[int, list[int]] = {t: [] for t in sorted(capacity)}
    for pid, tid in sorted(anchors.items()):
        fixed_at[tid].append(pid)
    for tid, members in fixed_at.items():
        if len(members) > capacity[tid]:
            raise PlanningError(
                _(
                    "table %(table)s has %(people)s fixed people but capacity %(seats)s",
                    table=tid,
                    people=len(members),
                    seats=capacity[tid],
                )
            )
    for pid in floating:
        best: tuple[int, int, int, float] | None = None
        best_tid = -1
        for tid, members in fixed_at.items():
            if len(members) >= capacity[tid]:
                continue
            met = sum(counts.get((min(pid, o), max(pid, o)), 0) ** 2 for o in members)
            key = (len(members), met, -capacity[tid], rng.random())
            if best is None or key < best:
                best, best_tid = key, tid
        if best is None:  # pragma: no cover - excluded by the seat count check
            raise PlanningError("no room for fixed people")
        anchors[pid] = best_tid
        fixed_at[best_tid].append(pid)
    return anchors


def balanced_bounds(
    *, capacities: Sequence[int], fixed: Sequence[int], n: int
) -> list[tuple[int, int]]:
    """Water-filling size bounds for ``n`` people, table by table: see :func:`size_bounds`."""

    def filled(level: int) -> int:
        return sum(min(c, max(f, level)) for c, f in zip(capacities, fixed, strict=True))

    lo, hi = 0, max(capacities, default=0)
    # largest level with filled(level) <= n; filled(0) = sum(fixed) <= n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if filled(mid) <= n:
            lo = mid
        else:
            hi = mid - 1
    level = lo
    bounds: list[tuple[int, int]] = []
    exact = filled(level) == n
    for c, f in zip(capacities, fixed, strict=True):
        base = min(c, max(f, level))
        if not exact and f <= level < c:
            bounds.append((level, level + 1))
        else:
            bounds.append((base, base))
    return bounds


def size_bounds(
    *,
    people: Sequence[PlannerPerson],
    tables: Sequence[PlannerTable],
    history: Sequence[Mapping[int, int]] = (),
    seed: int = 0,
) -> dict[int, tuple[int, int]]:
    """Allowed ``(min, max)`` number of people per table id for the next round.

    Balanced fill ("water filling"): with ``f`` fixed people and capacity ``c`` a table gets
    ``min(c, max(f, level))`` people for a common level, where the level is either ``L`` or ``L+1``
    for tables that can take it, so that the sizes add up to the number of people.  Consequently,
    whenever one table has two or more people more than another, the bigger one holds only fixed
    people or the smaller one is full.
    """
    validate(people=people, tables=tables)
    rng = random.Random(seed)
    anchors = anchor_tables(
        people=people, tables=tables, history=history, counts=pair_counts(history), rng=rng
    )
    ordered = sorted(tables, key=lambda t: t.id)
    fixed = Counter(anchors.values())
    caps = [t.capacity for t in ordered]
    bounds = balanced_bounds(capacities=caps, fixed=[fixed[t.id] for t in ordered], n=len(people))
    return {t.id: b for t, b in zip(ordered, bounds, strict=True)}
