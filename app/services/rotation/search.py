"""Rotation planner for World Café rounds.

Pure functions over plain dataclasses: no database, no web framework.  Given the people in the
room, the tables and the seatings of the rounds already played, the planner decides where everyone
sits next.  Rules, in priority order:

1. Hosts and people who cannot move stay where they are (their ``current_table``; failing that the
   table they had in the most recent round of ``history``; failing that they are spread over the
   tables before anyone else is placed and then stay there).
2. No table is over capacity and table sizes are balanced: see :func:`size_bounds`.
3. As few repeated encounters as possible: a pair seated together costs ``m ** 2`` where ``m`` is
   the number of times they have already met (a first meeting costs nothing).
4. Roles are mixed: every role is spread as evenly as possible over the tables, and every table gets
   a lived-experience voice when there are at least as many lived-experience people as tables.
   This is a secondary cost, strictly below repeats.
5. Only the people given are seated: late joiners simply have no history and leavers are ignored.
6. Deterministic for a given ``seed``: only a private ``random.Random(seed)`` is used, and every
   collection is walked in sorted order.  Search budgets are counted in iterations, never in time.

The search (all budgets in iterations or search nodes, scaled with the size of the problem):

* structured start: with a prime-power number of tables, table hopping over a finite field (each
  person has a start table and a speed; nobody meets anyone twice for up to that many rounds),
  repaired to the size bounds.  Earlier rounds are read as the start of such a pattern and
  carried on, so that planning one round at a time (as the live café does) keeps it too.  Failing
  that, when several rounds are planned and nobody present has met before, a cyclic schedule
  found by a depth-first search over its first round (this reaches resolvable designs such as 28
  people meeting everyone exactly once over 9 rounds);
* otherwise construction round by round: greedy (most-met people first, each to the table adding
  the least cost, within the size bounds); where that repeats a meeting on a small instance, a
  randomised depth-first search looks for a round without repeats, and if none exists some of the
  latest rounds are thrown away and rebuilt (bounded backtracking over rounds);
* while repeats remain: simulated annealing over swaps (and moves, where the size bounds leave
  slack) of movable people between tables of the same round, lexicographic on (repeats, roles),
  then on small instances a conflict-directed tabu search over the whole schedule in the manner of
  Dotú and Van Hentenryck for the social golfer problem, with moves priced in constant time, which
  goes on for a while after the last repeat is gone to improve the role mix;
* finally the role mix is polished by annealing on the role cost alone, never accepting a move
  that adds a repeat; with no earlier meetings this includes exchanging two people's whole
  itineraries, which leaves every pair count as it was.

:func:`plan_rounds` searches all remaining rounds jointly, so it can undo a choice in an early
round that blocks a later one; :func:`plan_next_round` is the one-round case.
"""

from __future__ import annotations

import functools
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "LIVED_EXPERIENCE",
    "ROLES",
    "PlannerPerson",
    "PlannerTable",
    "PlanningError",
    "Seating",
    "max_pair_count",
    "pair_counts",
    "plan_next_round",
    "plan_rounds",
    "repeat_cost",
    "repeated_meetings",
    "role_cost",
    "role_mix_violations",
    "schedule_repeat_cost",
    "seating_cost",
    "size_bounds",
]

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
"""Person id -> table id for one round."""

# Weight of one unit of repeat cost against role cost, so that the scalar objective
# ``repeats * _REPEAT_WEIGHT + roles`` is lexicographic for every single move.
_REPEAT_WEIGHT = 1 << 20
# Extra role cost of a table without a lived-experience voice when there are enough of them.
_MISSING_VOICE_PENALTY = 8


class PlanningError(ValueError):
    """The request cannot be planned (not enough seats, fixed people overflow a table, ...)."""


@dataclass(frozen=True)
class PlannerPerson:
    id: int
    role: str | None = None
    is_host: bool = False
    cannot_move: bool = False
    current_table: int | None = None
    """Table the person sits at now; ``None`` for people not yet seated (late joiners)."""

    @property
    def is_fixed(self) -> bool:
        return self.is_host or self.cannot_move


@dataclass(frozen=True)
class PlannerTable:
    id: int
    capacity: int


# --------------------------------------------------------------------------------------------
# Metrics (public helpers used by tests, the bench and the app)
# --------------------------------------------------------------------------------------------


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
    rounds: Iterable[Mapping[int, int]], history: Iterable[Mapping[int, int]] = ()
) -> int:
    """The planner's repeat objective over several rounds: the sum of :func:`repeat_cost` of
    each round in ``rounds`` against ``history`` plus the rounds before it."""
    seen = list(history)
    total = 0
    for seating in rounds:
        total += repeat_cost(seating, seen)
        seen.append(seating)
    return total


def max_pair_count(history: Iterable[Mapping[int, int]]) -> int:
    """The most times any one pair has sat together (0 for no meetings at all)."""
    return max(pair_counts(history).values(), default=0)


def repeat_cost(seating: Mapping[int, int], history: Iterable[Mapping[int, int]]) -> int:
    """Sum over pairs at the same table of (times they already met in ``history``) squared."""
    counts = pair_counts(history)
    total = 0
    for members in _tables_of(seating).values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                total += counts.get(_pair(a, b), 0) ** 2
    return total


def _role_of(person: PlannerPerson) -> str | None:
    return person.role or None


def role_cost(seating: Mapping[int, int], people: Sequence[PlannerPerson]) -> int:
    """Secondary objective: sum over tables and declared roles of (people of that role)^2, plus a
    penalty per occupied table without a lived-experience voice when there are enough of them."""
    roles = {p.id: _role_of(p) for p in people}
    per_table: dict[int, Counter[str]] = {}
    for pid, tid in seating.items():
        role = roles.get(pid)
        bucket = per_table.setdefault(tid, Counter())
        if role is not None:
            bucket[role] += 1
    total = sum(c * c for bucket in per_table.values() for c in bucket.values())
    voices = sum(1 for pid in seating if roles.get(pid) == LIVED_EXPERIENCE)
    if voices >= len(per_table):
        total += _MISSING_VOICE_PENALTY * sum(
            1 for bucket in per_table.values() if bucket[LIVED_EXPERIENCE] == 0
        )
    return total


def seating_cost(
    seating: Mapping[int, int],
    people: Sequence[PlannerPerson],
    history: Iterable[Mapping[int, int]],
) -> tuple[int, int]:
    """``(repeat_cost, role_cost)``: the planner minimises this lexicographically."""
    return repeat_cost(seating, history), role_cost(seating, people)


def role_mix_violations(
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
    roles = {p.id: _role_of(p) for p in people}
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


# --------------------------------------------------------------------------------------------
# Problem set-up: validation, anchors of fixed people, balanced size bounds
# --------------------------------------------------------------------------------------------


def _validate(people: Sequence[PlannerPerson], tables: Sequence[PlannerTable]) -> None:
    ids = [p.id for p in people]
    if len(set(ids)) != len(ids):
        raise PlanningError("duplicate person ids")
    tids = [t.id for t in tables]
    if len(set(tids)) != len(tids):
        raise PlanningError("duplicate table ids")
    for t in tables:
        if t.capacity < 0:
            raise PlanningError(f"table {t.id} has negative capacity")
    seats = sum(t.capacity for t in tables)
    if seats < len(people):
        raise PlanningError(f"{len(people)} people but only {seats} seats")


def _anchors(
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
                f"table {tid} has {len(members)} fixed people but capacity {capacity[tid]}"
            )
    for pid in floating:
        best: tuple[int, int, int, float] | None = None
        best_tid = -1
        for tid, members in fixed_at.items():
            if len(members) >= capacity[tid]:
                continue
            met = sum(counts.get(_pair(pid, other), 0) ** 2 for other in members)
            key = (len(members), met, -capacity[tid], rng.random())
            if best is None or key < best:
                best, best_tid = key, tid
        if best is None:  # pragma: no cover - excluded by the seat count check
            raise PlanningError("no room for fixed people")
        anchors[pid] = best_tid
        fixed_at[best_tid].append(pid)
    return anchors


def _bounds(capacities: Sequence[int], fixed: Sequence[int], n: int) -> list[tuple[int, int]]:
    """Water-filling size bounds: see :func:`size_bounds`."""

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
    people: Sequence[PlannerPerson],
    tables: Sequence[PlannerTable],
    history: Sequence[Mapping[int, int]] = (),
    *,
    seed: int = 0,
) -> dict[int, tuple[int, int]]:
    """Allowed ``(min, max)`` number of people per table id for the next round.

    Balanced fill ("water filling"): with ``f`` fixed people and capacity ``c`` a table gets
    ``min(c, max(f, level))`` people for a common level, where the level is either ``L`` or ``L+1``
    for tables that can take it, so that the sizes add up to the number of people.  Consequently,
    whenever one table has two or more people more than another, the bigger one holds only fixed
    people or the smaller one is full.
    """
    _validate(people, tables)
    rng = random.Random(seed)
    anchors = _anchors(people, tables, history, pair_counts(history), rng)
    ordered = sorted(tables, key=lambda t: t.id)
    fixed = Counter(anchors.values())
    caps = [t.capacity for t in ordered]
    bounds = _bounds(caps, [fixed[t.id] for t in ordered], len(people))
    return {t.id: b for t, b in zip(ordered, bounds, strict=True)}


# --------------------------------------------------------------------------------------------
# Structured starts: table hopping over a finite field, and cyclic schedules
# --------------------------------------------------------------------------------------------


@functools.cache
def _field(q: int) -> tuple[list[list[int]], list[list[int]]] | None:
    """Addition and multiplication tables of the finite field with ``q`` elements, or ``None``
    when ``q`` is not a prime power.  Elements are ``0..q-1``, read as polynomials over GF(p)
    with base-``p`` digits as coefficients, multiplied modulo the first monic polynomial of the
    right degree whose quotient ring has no zero divisors (that is, an irreducible one).
    Cached: the tables are shared and never changed."""
    if q < 2:
        return None
    p = next(d for d in range(2, q + 1) if q % d == 0)
    k, rest = 0, q
    while rest % p == 0:
        rest //= p
        k += 1
    if rest != 1:
        return None

    def digits(x: int) -> list[int]:
        return [(x // p**i) % p for i in range(k)]

    def number(ds: Sequence[int]) -> int:
        return sum(d * p**i for i, d in enumerate(ds))

    add = [
        [number([(a + b) % p for a, b in zip(digits(x), digits(y), strict=True)]) for y in range(q)]
        for x in range(q)
    ]
    for low in range(p**k):  # the modulus is x^k + (low, as digits)
        modulus = digits(low)
        mul = [[0] * q for _ in range(q)]
        for x in range(q):
            dx = digits(x)
            for y in range(q):
                prod = [0] * (2 * k)
                for i, a in enumerate(dx):
                    for j, b in enumerate(digits(y)):
                        prod[i + j] = (prod[i + j] + a * b) % p
                for top in range(2 * k - 1, k - 1, -1):  # reduce: x^k = -(low)
                    c = prod[top]
                    if c:
                        prod[top] = 0
                        for i, m in enumerate(modulus):
                            prod[top - k + i] = (prod[top - k + i] - c * m) % p
                mul[x][y] = number(prod[:k])
        if all(mul[x][y] for x in range(1, q) for y in range(1, q)):
            return add, mul
    return None  # pragma: no cover - an irreducible polynomial of every degree exists


# --------------------------------------------------------------------------------------------
# Search engine
# --------------------------------------------------------------------------------------------


class _Engine:
    """Mutable schedule of ``rounds`` rounds over indexed people and tables."""

    def __init__(
        self,
        people: Sequence[PlannerPerson],
        tables: Sequence[PlannerTable],
        history: Sequence[Mapping[int, int]],
        rounds: int,
        rng: random.Random,
    ) -> None:
        _validate(people, tables)
        self.rng = rng
        self.people = sorted(people, key=lambda p: p.id)
        self.tables = sorted(tables, key=lambda t: t.id)
        self.n = n = len(self.people)
        self.t = len(self.tables)
        self.rounds = rounds
        pindex = {p.id: i for i, p in enumerate(self.people)}
        tindex = {t.id: i for i, t in enumerate(self.tables)}
        counts = pair_counts(history)
        # table index of every person in every earlier round: -1 absent, -2 at a table now gone
        self.past = [
            [tindex.get(seating[p.id], -2) if p.id in seating else -1 for p in self.people]
            for seating in history
        ]
        anchors = _anchors(self.people, self.tables, history, counts, rng)
        self.anchor = [tindex[anchors[p.id]] if p.id in anchors else -1 for p in self.people]
        self.movable = [i for i in range(n) if self.anchor[i] < 0]
        # pair meeting counts: history plus every planned round (kept in sync by the moves)
        self.base = [0] * (n * n)
        for (a, b), c in counts.items():
            ia, ib = pindex.get(a), pindex.get(b)
            if ia is not None and ib is not None:
                self.base[ia * n + ib] = c
                self.base[ib * n + ia] = c
        role_names = sorted({r for p in self.people if (r := _role_of(p)) is not None})
        rindex = {r: i for i, r in enumerate(role_names)}
        self.nroles = len(role_names)
        self.role = [rindex[r] if (r := _role_of(p)) is not None else -1 for p in self.people]
        fixed = [0] * self.t
        for a in self.anchor:
            if a >= 0:
                fixed[a] += 1
        bounds = _bounds([t.capacity for t in self.tables], fixed, n)
        self.lo = [b[0] for b in bounds]
        self.hi = [b[1] for b in bounds]
        self.slack = any(lo < hi for lo, hi in bounds)
        voices = sum(1 for p in self.people if _role_of(p) == LIVED_EXPERIENCE)
        needy = sum(1 for lo in self.lo if lo > 0)
        self.voice_role = rindex.get(LIVED_EXPERIENCE, -1) if voices >= needy else -1
        self.cnt: list[int] = []
        self.seat: list[list[int]] = []
        self.members: list[list[list[int]]] = []
        self.rc: list[list[list[int]]] = []
        # search tunables: share of annealing proposals taken from people meeting someone
        # again; tabu candidates per step, stall limit, tenure range and perturbation size
        self.focus = 0.8
        self.sample = 20
        self.stall_limit = 300 + 2 * len(self.movable)
        self.tenure = (2, 10)
        self.kick = 3

    # ---- construction ---------------------------------------------------------------------

    def build(self, exact_nodes: int = 0, backtracks: int = 0) -> None:
        """Construct every round, each seeing the meetings of the earlier ones.

        A round is built greedily; if that repeats a meeting and ``exact_nodes`` allows, a
        depth-first search looks for a round without repeats instead.  When even that fails, up to
        ``backtracks`` times some of the latest rounds are thrown away and built afresh.
        """
        self.cnt = list(self.base)
        self.seat, self.members, self.rc = [], [], []
        while len(self.seat) < self.rounds:
            self._build_round()
            if exact_nodes <= 0 or not self._round_repeats(len(self.seat) - 1):
                continue
            sizes = [len(m) for m in self.members[-1]]
            self._pop_round()
            found = None
            for _ in range(8):
                found = self._exact_round(sizes, exact_nodes // 8)
                if found is not None:
                    break
            if found is not None:
                self._push_round(found)
            elif backtracks > 0 and self.seat:
                backtracks -= 1
                for _ in range(self.rng.randint(1, max(1, len(self.seat) // 2))):
                    self._pop_round()
            else:
                self._build_round()
                exact_nodes = 0 if backtracks <= 0 else exact_nodes

    def _round_repeats(self, r: int) -> bool:
        n, cnt = self.n, self.cnt
        for members in self.members[r]:
            for i, a in enumerate(members):
                row = a * n
                for b in members[i + 1 :]:
                    if cnt[row + b] > 1:
                        return True
        return False

    def _pop_round(self) -> None:
        n, cnt = self.n, self.cnt
        self.seat.pop()
        self.rc.pop()
        for members in self.members.pop():
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    cnt[a * n + b] -= 1
                    cnt[b * n + a] -= 1

    def _push_round(self, seat_of: list[int]) -> None:
        seat = [-1] * self.n
        members: list[list[int]] = [[] for _ in range(self.t)]
        rc = [[0] * self.nroles for _ in range(self.t)]
        for i in range(self.n):
            self._place(i, seat_of[i], seat, members, rc)
        self.seat.append(seat)
        self.members.append(members)
        self.rc.append(rc)

    def _exact_round(self, sizes: list[int], node_limit: int) -> list[int] | None:
        """Depth-first search for a round of the given table sizes in which nobody meets anyone
        they have met before (fixed people excepted among themselves).  Most constrained person
        first; empty interchangeable tables are tried once.  ``None`` if not found in budget."""
        n, nt, cnt, rng = self.n, self.t, self.cnt, self.rng
        met = [0] * n
        for a in range(n):
            row = a * n
            mask = 1 << a
            for b in range(n):
                if cnt[row + b]:
                    mask |= 1 << b
            met[a] = mask
        full = (1 << n) - 1
        allowed = [full] * nt
        size = [0] * nt
        seat = [-1] * n
        for i in range(n):
            t = self.anchor[i]
            if t >= 0:
                seat[i] = t
                size[t] += 1
                allowed[t] &= ~met[i]
        empty_key = [sizes[t] if size[t] == 0 else -1 for t in range(nt)]
        nodes = 0

        def search(unplaced: list[int]) -> bool:
            nonlocal nodes
            if not unplaced:
                return True
            nodes += 1
            if nodes > node_limit:
                return False
            best_p, best_opts = -1, list[int]()
            for p in unplaced:
                opts = [t for t in range(nt) if size[t] < sizes[t] and (allowed[t] >> p) & 1]
                if best_p < 0 or len(opts) < len(best_opts):
                    best_p, best_opts = p, opts
                    if len(opts) <= 1:
                        break
            if not best_opts:
                return False
            rng.shuffle(best_opts)
            rest = [q for q in unplaced if q != best_p]
            tried_empty: set[int] = set()
            for t in best_opts:
                if size[t] == 0 and empty_key[t] >= 0:
                    if empty_key[t] in tried_empty:
                        continue
                    tried_empty.add(empty_key[t])
                old = allowed[t]
                allowed[t] = old & ~met[best_p]
                size[t] += 1
                seat[best_p] = t
                if search(rest):
                    return True
                allowed[t] = old
                size[t] -= 1
                seat[best_p] = -1
            return False

        order = list(self.movable)
        rng.shuffle(order)
        if search(order):
            return seat
        return None

    def _build_round(self) -> None:
        n, nt, cnt, rng = self.n, self.t, self.cnt, self.rng
        seat = [-1] * n
        members: list[list[int]] = [[] for _ in range(nt)]
        rc = [[0] * self.nroles for _ in range(nt)]
        for i in range(n):
            a = self.anchor[i]
            if a >= 0:
                self._place(i, a, seat, members, rc)
        order = list(self.movable)
        rng.shuffle(order)
        # most-met people first: they have the fewest good tables left
        order.sort(key=lambda i: -sum(cnt[i * n : i * n + n]))
        need = sum(max(0, self.lo[t] - len(members[t])) for t in range(nt))
        left = len(order)
        for i in order:
            free_extra = left - 1 >= need
            best: tuple[int, int, float] | None = None
            best_t = -1
            role = self.role[i]
            row = i * n
            for t in range(nt):
                size = len(members[t])
                if size >= self.hi[t] or (size >= self.lo[t] and not free_extra):
                    continue
                rep = 0
                for x in members[t]:
                    c = cnt[row + x]
                    rep += c * c
                key = (rep * _REPEAT_WEIGHT + self._role_add(rc[t], role), size, rng.random())
                if best is None or key < best:
                    best, best_t = key, t
            if best_t < 0:  # pragma: no cover - bounds always leave a seat
                raise PlanningError("internal error: no seat left")
            if len(members[best_t]) < self.lo[best_t]:
                need -= 1
            left -= 1
            self._place(i, best_t, seat, members, rc)
        self.seat.append(seat)
        self.members.append(members)
        self.rc.append(rc)

    def _place(
        self, i: int, t: int, seat: list[int], members: list[list[int]], rc: list[list[int]]
    ) -> None:
        n, cnt = self.n, self.cnt
        for x in members[t]:
            cnt[i * n + x] += 1
            cnt[x * n + i] += 1
        seat[i] = t
        members[t].append(i)
        if self.role[i] >= 0:
            rc[t][self.role[i]] += 1

    def _role_add(self, counts: list[int], role: int) -> int:
        if role < 0:
            return 0
        c = counts[role]
        d = 2 * c + 1
        if role == self.voice_role and c == 0:
            d -= _MISSING_VOICE_PENALTY
        return d

    def _role_remove(self, counts: list[int], role: int) -> int:
        if role < 0:
            return 0
        c = counts[role]
        d = 1 - 2 * c
        if role == self.voice_role and c == 1:
            d += _MISSING_VOICE_PENALTY
        return d

    def zero_repeats_possible(self) -> bool:
        """False when some movable person must meet someone again: in every round they meet at
        least (smallest table - 1) people, more than the people they have not met yet; or, over
        two or more rounds, some table must seat more people than there are tables (a table can
        take at most one person from each table of the round before)."""
        sizes = [lo for lo in self.lo if lo > 0]
        if not sizes:
            return True
        if self.rounds > 1 and max(sizes) > sum(1 for hi in self.hi if hi > 0):
            return False
        per_round = min(sizes) - 1
        n, base = self.n, self.base
        for p in self.movable:
            unmet = sum(1 for c in base[p * n : p * n + n] if c == 0) - 1
            if per_round * self.rounds > unmet:
                return False
        return True

    # ---- structured starts ----------------------------------------------------------------

    def fresh(self) -> bool:
        """True when no two people present have met before (the history is irrelevant)."""
        return not any(self.base)

    def _sizes(self) -> list[int]:
        """One table size vector within the bounds, used for every round of a cyclic schedule."""
        sizes = list(self.lo)
        extra = self.n - sum(sizes)
        for t in range(self.t):
            if extra and sizes[t] < self.hi[t]:
                sizes[t] += 1
                extra -= 1
        return sizes

    def _role_order(self, people: list[int]) -> list[int]:
        """People grouped by role (biggest groups first), in random order within a group, so that
        filling structured slots in this order keeps each speed or orbit to one role."""
        rng = self.rng
        order = list(people)
        rng.shuffle(order)
        size = Counter(self.role[i] for i in order)
        order.sort(key=lambda i: (self.role[i] < 0, -size[self.role[i]], self.role[i]))
        return order

    def field_start(self) -> list[list[int]] | None:
        """Table hopping over a finite field, or ``None`` where it does not apply.

        With ``q`` open tables (``q`` a prime power) every person gets a start table ``g`` and a
        speed ``j`` and sits at ``g + r * j`` in round ``r`` (field arithmetic).  Two people
        with different speeds meet in exactly one of the ``q`` rounds and people with the same
        speed never meet, so up to ``q`` rounds have no repeats (and a round ``q + 1`` that
        seats each speed at its own table, when nobody is fixed).  Fixed people have speed 0 at
        their table.  Earlier rounds are read as the first rounds of such a schedule: a person's
        start and speed follow from two of their seats, a person seen once chooses a speed, and
        a newcomer takes a free slot; choices group each role in as few speeds as possible, so
        that every table gets a similar mix.  The few people whose seats fit no free slot are
        seated where there is room, and sizes the construction gets wrong (uneven capacities)
        are repaired afterwards by :meth:`fit_sizes`; both are left to the search.
        """
        open_tables = [t for t in range(self.t) if self.hi[t] > 0]
        q, done = len(open_tables), len(self.past)
        fixed = [i for i in range(self.n) if self.anchor[i] >= 0]
        last = q + (0 if fixed else 1)
        if done + self.rounds > last or q > 64:
            return None
        field = _field(q)
        if field is None:
            return None
        add, mul = field
        neg = [add[x].index(0) for x in range(q)]
        inv = [0, *(mul[x].index(1) for x in range(1, q))]
        element = {t: e for e, t in enumerate(open_tables)}
        speeds = [*range(1, q), 0]
        rank = {j: k for k, j in enumerate(speeds)}
        slot: list[tuple[int, int] | None] = [None] * self.n
        taken: set[tuple[int, int]] = set()
        members: list[Counter[int]] = [Counter() for _ in range(q)]  # roles per speed
        for i in fixed:
            slot[i] = (element[self.anchor[i]], 0)
            taken.add((element[self.anchor[i]], 0))
        seen: dict[int, list[tuple[int, int]]] = {}
        for i in self._role_order(self.movable):
            seats = [(r, past[i]) for r, past in enumerate(self.past) if past[i] != -1]
            if all(t in element for _, t in seats):  # else they sat at a table now closed
                seen[i] = [(r, element[t]) for r, t in seats]
        # people seen twice or more: their start and speed are determined
        for i, seats in seen.items():
            if len(seats) > 1:
                (r0, t0), (r1, t1) = seats[0], seats[1]
                j = mul[add[t1][neg[t0]]][inv[add[r1][neg[r0]]]]
                g = add[t0][neg[mul[r0][j]]]
                if (g, j) not in taken and all(add[g][mul[r][j]] == t for r, t in seats):
                    slot[i] = (g, j)
                    taken.add((g, j))
                    members[j][self.role[i]] += 1
        # people seen once choose a speed, newcomers a free slot: where their role is common
        for i, seats in seen.items():
            if len(seats) > 1:
                continue
            if seats:
                r0, t0 = seats[0]
                options = [(add[t0][neg[mul[r0][j]]], j) for j in speeds]
            else:
                options = [(g, j) for j in speeds for g in range(q)]
            options = [o for o in options if o not in taken]
            if options:
                role = self.role[i]
                g, j = min(options, key=lambda o: (-members[o[1]][role], rank[o[1]], o[0]))
                slot[i] = (g, j)
                taken.add((g, j))
                members[j][role] += 1
        lost = [i for i in self.movable if slot[i] is None]
        if len(lost) > max(2, len(self.movable) // 4):
            return None

        def table_of(s: tuple[int, int], r: int) -> int:
            g, j = s
            return open_tables[add[g][mul[r][j]] if r < q else j]

        if done == 1:
            # people who sat together in the one round so far may trade speeds: keep trades
            # that improve the role mix of the next few rounds
            ahead = range(done, min(last, done + 3))
            rc = [[[0] * self.nroles for _ in range(self.t)] for _ in ahead]
            for i, s in enumerate(slot):
                if s is not None and self.role[i] >= 0:
                    for k, r in enumerate(ahead):
                        rc[k][table_of(s, r)][self.role[i]] += 1
            groups: dict[int, list[int]] = {}
            for i, seats in seen.items():
                s = slot[i]
                if len(seats) == 1 and s is not None:
                    groups.setdefault(s[0], []).append(i)
            for _ in range(4):
                traded = False
                for g in sorted(groups):
                    group = groups[g]
                    for x, a in enumerate(group):
                        for b in group[x + 1 :]:
                            ra, rb = self.role[a], self.role[b]
                            sa, sb = slot[a], slot[b]
                            if ra == rb or sa is None or sb is None:
                                continue
                            delta = 0
                            for k, r in enumerate(ahead):
                                ca, cb = rc[k][table_of(sa, r)], rc[k][table_of(sb, r)]
                                delta += self._role_remove(ca, ra) + self._role_add(cb, ra)
                                delta += self._role_remove(cb, rb) + self._role_add(ca, rb)
                            if delta >= 0:
                                continue
                            for k, r in enumerate(ahead):
                                ta, tb = table_of(sa, r), table_of(sb, r)
                                for role, old, new in ((ra, ta, tb), (rb, tb, ta)):
                                    if role >= 0:
                                        rc[k][old][role] -= 1
                                        rc[k][new][role] += 1
                            slot[a], slot[b] = (g, sb[1]), (g, sa[1])
                            traded = True
                if not traded:
                    break
        seats_out: list[list[int]] = []
        for r in range(done, done + self.rounds):
            seat = [-1] * self.n
            for i, s in enumerate(slot):
                if s is not None:
                    seat[i] = table_of(s, r)
            size = Counter(seat)
            for i in lost:  # seated where there is most room; the search does the rest
                t = max(range(self.t), key=lambda t: (self.hi[t] - size[t], -t))
                seat[i] = t
                size[t] += 1
            seats_out.append(seat)
        return seats_out

    def cyclic_start(self, node_budget: int, restart_nodes: int) -> list[list[int]] | None:
        """A cyclic schedule without repeats, found by depth-first search, or ``None``.

        Movable people form orbits of ``R`` (the number of rounds): person ``(i, x)`` of orbit
        ``i`` sits in round ``r`` where ``(i, x - r mod R)`` sits in round 0.  Fixed people, and
        the few movable people left over, stay at one table.  Two people then meet as often as
        their "difference class" occurs in round 0, so only round 0 is searched: most
        constrained person first, to the fullest table first, with forward checking, restarted
        with a new random order every ``restart_nodes`` nodes.  This reaches designs local
        search finds hard, such as 28 people at 7 tables of 4 meeting every other person
        exactly once over 9 rounds.
        """
        rounds, nt = self.rounds, self.t
        if rounds < 2 or node_budget <= 0:
            return None
        fixed_at = Counter(a for a in self.anchor if a >= 0)
        if any(c > 1 for c in fixed_at.values()):
            return None
        movable = self._role_order(self.movable)
        orbits, rem = divmod(len(movable), rounds)
        sizes = self._sizes()
        if len(fixed_at) + rem > sum(1 for s in sizes if s > 0):
            return None
        # points: fixed people, then stayers (movable, table chosen by the search), then orbits
        fixed = [i for i in range(self.n) if self.anchor[i] >= 0]
        stayers, moving = movable[:rem], movable[rem:]
        nf = len(fixed) + rem
        n = nf + orbits * rounds
        # difference classes: pair of points -> class id and meetings per occurrence in round 0
        klass = [0] * (n * n)
        mult = [0] * (n * n)
        ids: dict[tuple[int, ...], int] = {}
        key: tuple[int, ...]
        for a in range(n):
            for b in range(a + 1, n):
                if b < nf:
                    key, m = (0, a, b), rounds
                elif a < nf:
                    key, m = (1, a, (b - nf) // rounds), 1
                else:
                    i, x = divmod(a - nf, rounds)
                    j, y = divmod(b - nf, rounds)
                    d = (y - x) % rounds
                    if i == j:
                        d = min(d, rounds - d)
                        key, m = (2, i, d), 2 if 2 * d == rounds else 1
                    else:
                        key, m = (3, i, j, d), 1
                k = ids.setdefault(key, len(ids))
                klass[a * n + b] = klass[b * n + a] = k
                mult[a * n + b] = mult[b * n + a] = m
        used = [0] * len(ids)
        pairs: list[list[tuple[int, int]]] = [[] for _ in ids]
        for a in range(n):
            for b in range(n):
                if a != b:
                    pairs[klass[a * n + b]].append((a, b))
        table = [-1] * n
        size = [0] * nt
        members: list[list[int]] = [[] for _ in range(nt)]
        # barred[p * nt + b]: reasons why point p cannot join table b (forward checking)
        barred = [0] * (n * nt)
        trail: list[list[int]] = []

        def place(x: int, b: int) -> None:
            marks: list[int] = []
            row = x * n
            table[x] = b
            for y in members[b]:
                k = klass[row + y]
                fresh = used[k] == 0
                used[k] += mult[row + y]
                if fresh:  # every unplaced point meeting a placed one in class k is now barred
                    for p, q in pairs[k]:
                        if table[p] < 0 and table[q] >= 0:
                            i = p * nt + table[q]
                            barred[i] += 1
                            marks.append(i)
            for p in unplaced_set:
                k = klass[p * n + x]
                if used[k] or mult[p * n + x] > 1 or any(klass[p * n + y] == k for y in members[b]):
                    i = p * nt + b
                    barred[i] += 1
                    marks.append(i)
            members[b].append(x)
            size[b] += 1
            trail.append(marks)

        def unplace(x: int) -> None:
            b = table[x]
            for i in trail.pop():
                barred[i] -= 1
            members[b].remove(x)
            size[b] -= 1
            row = x * n
            for y in members[b]:
                used[klass[row + y]] -= mult[row + y]
            table[x] = -1

        free = list(range(len(fixed), n))
        unplaced_set = set(free)
        for point, i in enumerate(fixed):
            place(point, self.anchor[i])
        rng = self.rng
        nodes = 0
        limit = 0
        order: list[int] = []

        def search() -> bool:
            nonlocal nodes
            if not unplaced_set:
                return True
            nodes += 1
            if nodes > limit:
                return False
            best_p, best_opts = -1, list[int]()
            for p in order:
                if table[p] >= 0:
                    continue
                base = p * nt
                opts = [b for b in range(nt) if size[b] < sizes[b] and not barred[base + b]]
                if best_p < 0 or len(opts) < len(best_opts):
                    best_p, best_opts = p, opts
                    if len(opts) <= 1:
                        break
            if not best_opts:
                return False
            rng.shuffle(best_opts)
            best_opts.sort(key=lambda b: -size[b])  # complete the fullest table first
            tried_empty: set[int] = set()
            unplaced_set.discard(best_p)
            for b in best_opts:
                if not members[b]:
                    if sizes[b] in tried_empty:
                        continue
                    tried_empty.add(sizes[b])
                place(best_p, b)
                if search():
                    return True
                unplace(best_p)
            unplaced_set.add(best_p)
            return False

        while nodes < node_budget:
            limit = min(node_budget, nodes + restart_nodes)
            order = list(free)
            rng.shuffle(order)
            if search():
                break
        else:
            return None
        person = fixed + stayers + moving
        seats: list[list[int]] = []
        for r in range(rounds):
            seat = [-1] * self.n
            for point, i in enumerate(person):
                if point < nf:
                    seat[i] = table[point]
                else:
                    o, x = divmod(point - nf, rounds)
                    seat[i] = table[nf + o * rounds + (x - r) % rounds]
            seats.append(seat)
        return seats

    def fit_sizes(self) -> None:
        """Bring every round within the size bounds by moving movable people, each time the move
        that costs least (repeats, then roles)."""
        lo, hi = self.lo, self.hi
        for r in range(self.rounds):
            members = self.members[r]
            while True:
                size = [len(m) for m in members]
                over = [t for t in range(self.t) if size[t] > hi[t]]
                under = [t for t in range(self.t) if size[t] < lo[t]]
                if over:
                    donors = over
                    takers = under or [t for t in range(self.t) if size[t] < hi[t]]
                elif under:
                    donors = [t for t in range(self.t) if size[t] > lo[t]]
                    takers = under
                else:
                    break
                best: tuple[int, int] | None = None
                move = (-1, -1)
                for a in donors:
                    for p in members[a]:
                        if self.anchor[p] >= 0:
                            continue
                        for b in takers:
                            if b != a:
                                key = self._move_delta(r, p, b)
                                if best is None or key < best:
                                    best, move = key, (p, b)
                if best is None:  # pragma: no cover - the bounds always leave a move
                    raise PlanningError("internal error: cannot fit table sizes")
                self._move(r, move[0], move[1])

    def polish(self, iterations: int, temp_start: float, temp_end: float) -> None:
        """Improve the role mix without adding a repeat.

        Simulated annealing on the role cost over moves that do not raise the repeat cost (and
        gladly over those that lower it): swaps and moves within a round and, when nobody
        present has met before, exchanges of two people's whole itineraries, which leave every
        pair count as it was.  Stops once the role cost reaches :meth:`role_floor`.
        """
        movable = self.movable
        if len(movable) < 2 or iterations <= 0 or self.nroles == 0:
            return
        rng = self.rng
        rand, randrange = rng.random, rng.randrange
        whole = self.rounds > 1 and self.fresh()
        role = self.role
        rounds, nt, nmov = self.rounds, self.t, len(movable)
        rep_cost, role_cost = self.repeat_cost(), self.role_cost()
        floor = self.role_floor()
        best = (rep_cost, role_cost)
        best_seats: list[list[int]] = []
        at_best = True
        ratio = (temp_end / temp_start) ** (1.0 / max(1, iterations)) if temp_start > 0 else 0.0
        temp = temp_start
        swap_role = self._swap_role_delta
        for _ in range(iterations):
            if at_best and role_cost <= floor:
                break
            temp *= ratio
            p, q = movable[randrange(nmov)], movable[randrange(nmov)]
            kind = randrange(4)
            r = randrange(rounds)
            seat = self.seat[r]
            b = -1
            if kind == 1 and self.slack:
                a, b = seat[p], randrange(nt)
                if b == a or len(self.members[r][a]) <= self.lo[a]:
                    continue
                if len(self.members[r][b]) >= self.hi[b]:
                    continue
                d_rep, d_role = self._move_delta(r, p, b)
            elif role[p] == role[q]:
                continue
            elif kind == 0 and whole:
                d_rep = 0
                d_role = sum(swap_role(rr, p, q) for rr in range(rounds))
            else:
                if seat[p] == seat[q]:
                    continue
                d_rep, d_role = self._swap_delta(r, p, q)
            if d_rep > 0:
                continue
            if d_rep == 0 and d_role > 0 and (temp <= 0 or rand() >= math.exp(-d_role / temp)):
                continue
            if at_best and (d_rep, d_role) > (0, 0):
                best_seats = self.snapshot()
                at_best = False
            if b >= 0:
                self._move(r, p, b)
            else:
                for rr in range(rounds) if kind == 0 and whole else (r,):
                    s = self.seat[rr]
                    a, c = s[p], s[q]
                    if a != c:
                        self._move(rr, p, c)
                        self._move(rr, q, a)
            rep_cost += d_rep
            role_cost += d_role
            if (rep_cost, role_cost) <= best:
                best = (rep_cost, role_cost)
                at_best = True
        if not at_best:
            self.restore(best_seats)

    def _swap_role_delta(self, r: int, p: int, q: int) -> int:
        """Change of the role cost when ``p`` and ``q`` swap tables in round ``r``."""
        ra, rb = self.role[p], self.role[q]
        a, b = self.seat[r][p], self.seat[r][q]
        if ra == rb or a == b:
            return 0
        rca, rcb = self.rc[r][a], self.rc[r][b]
        d = self._role_remove(rca, ra) + self._role_add(rcb, ra)
        return d + self._role_remove(rcb, rb) + self._role_add(rca, rb)

    def role_floor(self) -> int:
        """A lower bound of :meth:`role_cost`: every role spread perfectly over the occupied
        tables of each round and every table with a lived-experience voice where possible."""
        total = 0
        counts = Counter(r for r in self.role if r >= 0)
        for members in self.members:
            occupied = sum(1 for m in members if m)
            empty = self.t - occupied
            for role, k in counts.items():
                q, rem = divmod(k, occupied)
                total += (occupied - rem) * q * q + rem * (q + 1) * (q + 1)
                if role == self.voice_role:
                    total += _MISSING_VOICE_PENALTY * (empty + max(0, occupied - k))
        return total

    # ---- costs ----------------------------------------------------------------------------

    def repeat_cost(self) -> int:
        """Sum over pairs of sum_{j < planned meetings} (history + j)^2.

        Only pairs seated together in a planned round have planned meetings, so those are
        the pairs visited (a few thousand for 1,000 people, not half a million)."""
        n, cnt, base = self.n, self.cnt, self.base
        total = 0
        seen: set[int] = set()
        for tables in self.members:
            for members in tables:
                for i, a in enumerate(members):
                    for b in members[i + 1 :]:
                        key = a * n + b if a < b else b * n + a
                        if key in seen:
                            continue
                        seen.add(key)
                        for m in range(base[key], cnt[key]):
                            total += m * m
        return total

    def role_cost(self) -> int:
        total = 0
        for r in range(self.rounds):
            for t in range(self.t):
                counts = self.rc[r][t]
                total += sum(c * c for c in counts)
                if self.voice_role >= 0 and counts[self.voice_role] == 0:
                    total += _MISSING_VOICE_PENALTY
        return total

    def snapshot(self) -> list[list[int]]:
        return [list(s) for s in self.seat]

    def seatings(self, seats: list[list[int]]) -> list[Seating]:
        return [{p.id: self.tables[s[i]].id for i, p in enumerate(self.people)} for s in seats]

    # ---- moves ----------------------------------------------------------------------------

    def _swap_delta(self, r: int, p: int, q: int) -> tuple[int, int]:
        n, cnt = self.n, self.cnt
        a, b = self.seat[r][p], self.seat[r][q]
        mem_a, mem_b = self.members[r][a], self.members[r][b]
        rep = 0
        rp, rq = p * n, q * n
        for x in mem_b:
            if x != q:
                c = cnt[rp + x]
                rep += c * c
                c = cnt[rq + x] - 1
                rep -= c * c
        for x in mem_a:
            if x != p:
                c = cnt[rq + x]
                rep += c * c
                c = cnt[rp + x] - 1
                rep -= c * c
        role = 0
        ra, rb = self.role[p], self.role[q]
        if ra != rb:
            rca, rcb = self.rc[r][a], self.rc[r][b]
            role = self._role_remove(rca, ra) + self._role_add(rcb, ra)
            role += self._role_remove(rcb, rb) + self._role_add(rca, rb)
        return rep, role

    def _move_delta(self, r: int, p: int, b: int) -> tuple[int, int]:
        n, cnt = self.n, self.cnt
        a = self.seat[r][p]
        rep = 0
        rp = p * n
        for x in self.members[r][b]:
            c = cnt[rp + x]
            rep += c * c
        for x in self.members[r][a]:
            if x != p:
                c = cnt[rp + x] - 1
                rep -= c * c
        role = 0
        ra = self.role[p]
        if ra >= 0:
            role = self._role_remove(self.rc[r][a], ra) + self._role_add(self.rc[r][b], ra)
        return rep, role

    def _move(self, r: int, p: int, b: int) -> None:
        n, cnt = self.n, self.cnt
        seat, members, rc = self.seat[r], self.members[r], self.rc[r]
        a = seat[p]
        mem_a = members[a]
        mem_a.remove(p)
        for x in mem_a:
            cnt[p * n + x] -= 1
            cnt[x * n + p] -= 1
        if self.role[p] >= 0:
            rc[a][self.role[p]] -= 1
        self._place(p, b, seat, members, rc)

    def _conflicted(self) -> list[tuple[int, int]]:
        n, cnt = self.n, self.cnt
        out: list[tuple[int, int]] = []
        for r in range(self.rounds):
            seat, members = self.seat[r], self.members[r]
            for p in self.movable:
                row = p * n
                for x in members[seat[p]]:
                    if x != p and cnt[row + x] > 1:
                        out.append((r, p))
                        break
        return out

    def anneal(self, iterations: int, temp_start: float, temp_end: float) -> None:
        """Simulated annealing, lexicographic on (repeats, roles); leaves the best state found.

        A move that changes the repeat cost is accepted by the Metropolis rule on that change
        (never once repeats are down to zero); a move that leaves it unchanged is accepted when
        it does not worsen the role mix.  Proposals favour people who meet someone again.
        """
        rng = self.rng
        movable = self.movable
        if len(movable) < 2 and not (self.slack and movable):
            return
        rounds, nt = self.rounds, self.t
        rep_cost = self.repeat_cost()
        role_cost = self.role_cost()
        best = (rep_cost, role_cost)
        best_seats: list[list[int]] = []
        at_best = True
        conflicts = self._conflicted() if rep_cost else []
        refresh = max(50, len(movable) // 2)
        ratio = (temp_end / temp_start) ** (1.0 / max(1, iterations)) if temp_start > 0 else 0.0
        temp = temp_start
        rand = rng.random
        randrange = rng.randrange
        nmov = len(movable)
        focus = self.focus
        for it in range(iterations):
            temp *= ratio
            if rep_cost and it % refresh == 0 and it:
                conflicts = self._conflicted()
            if conflicts and rand() < focus:
                r, p = conflicts[randrange(len(conflicts))]
            else:
                r, p = randrange(rounds), movable[randrange(nmov)]
            seat = self.seat[r]
            if self.slack and rand() < 0.2:
                a = seat[p]
                b = randrange(nt)
                if b == a or len(self.members[r][a]) <= self.lo[a]:
                    continue
                if len(self.members[r][b]) >= self.hi[b]:
                    continue
                d_rep, d_role = self._move_delta(r, p, b)
                q = -1
            else:
                q = movable[randrange(nmov)]
                if seat[q] == seat[p]:
                    continue
                d_rep, d_role = self._swap_delta(r, p, q)
                b = -1
            if d_rep > 0:
                if rep_cost == 0 or temp <= 0 or rand() >= math.exp(-d_rep / temp):
                    continue
            elif d_rep == 0 and d_role > 0:
                continue
            if at_best and (d_rep, d_role) > (0, 0):
                best_seats = self.snapshot()
                at_best = False
            if q >= 0:
                a = seat[p]
                bq = seat[q]
                self._move(r, p, bq)
                self._move(r, q, a)
            else:
                self._move(r, p, b)
            rep_cost += d_rep
            role_cost += d_role
            if (rep_cost, role_cost) <= best:
                best = (rep_cost, role_cost)
                at_best = True
                if rep_cost == 0:
                    conflicts = []
        if not at_best:
            self.restore(best_seats)

    def tabu(self, iterations: int, role_steps: int = 0) -> None:
        """Conflict-directed tabu search over the whole schedule; leaves the best state found.

        In the manner of Dotú and Van Hentenryck: each step looks at people who meet someone
        again (all of them, or a sample on bigger instances), evaluates every swap of such a
        person with someone at another table of that round (and every move, where the size bounds
        leave slack) and applies the best one that is not tabu, even if it is worse.  A person may
        not return to the table they just left in that round for a random tenure, unless that
        gives a new best.  After a stall the search goes back to the best state and kicks it with
        a few random swaps.  Moves are evaluated in constant time from :class:`_Gains`.

        Once nobody meets anyone again, up to ``role_steps`` more steps look at people whose role
        is over-represented at their table instead: the search may then pass through a repeat
        (the least bad move) and repair it, reaching mixes that moves without repeats cannot.
        """
        movable = self.movable
        if len(movable) < 2 or iterations <= 0:
            return
        rng = self.rng
        n, nt = self.n, self.t
        gains = _Gains(self)
        cnt, seat_all, members_all, rc_all = self.cnt, self.seat, self.members, self.rc
        role, lo, hi, slack = self.role, self.lo, self.hi, self.slack
        role_add, role_remove = self._role_add, self._role_remove
        weight = _REPEAT_WEIGHT
        cost = self.repeat_cost() * weight + self.role_cost()
        best = cost
        best_seats = self.snapshot()
        until: dict[int, int] = {}
        stall = 0
        tenure_lo, tenure_hi = self.tenure
        sample = self.sample
        floor = self.role_floor()
        for it in range(iterations):
            if cost < weight:
                if role_steps <= 0 or cost <= floor:
                    break
                role_steps -= 1
                conflicts = self._role_conflicts()
            else:
                conflicts = gains.conflicts()
            if len(conflicts) > sample:
                conflicts = rng.sample(conflicts, sample)
            choice_d = 0
            choice: tuple[int, int, int] | None = None
            ties = 0
            for r, p in conflicts:
                seat, members, rc = seat_all[r], members_all[r], rc_all[r]
                u, v = gains.u[r], gains.v[r]
                a = seat[p]
                vp = v[p]
                prow, crow, trow = p * nt, p * n, (r * n + p) * nt
                rp = role[p]
                rca = rc[a]
                for q in movable:
                    b = seat[q]
                    if b == a:
                        continue
                    c = cnt[crow + q]
                    d = (u[prow + b] + u[q * nt + a] - 2 * c * c - vp - v[q]) * weight
                    rq = role[q]
                    if rp != rq:
                        rcb = rc[b]
                        d += role_remove(rca, rp) + role_add(rcb, rp)
                        d += role_remove(rcb, rq) + role_add(rca, rq)
                    if (
                        until.get(trow + b, -1) >= it or until.get((r * n + q) * nt + a, -1) >= it
                    ) and cost + d >= best:
                        continue
                    if choice is None or d < choice_d:
                        choice, choice_d, ties = (r, p, q), d, 1
                    elif d == choice_d:
                        ties += 1
                        if rng.randrange(ties) == 0:
                            choice = (r, p, q)
                if slack and len(members[a]) > lo[a]:
                    for b in range(nt):
                        if b == a or len(members[b]) >= hi[b]:
                            continue
                        d = (u[prow + b] - vp) * weight
                        if rp >= 0:
                            d += role_remove(rca, rp) + role_add(rc[b], rp)
                        if until.get(trow + b, -1) >= it and cost + d >= best:
                            continue
                        if choice is None or d < choice_d:
                            choice, choice_d, ties = (r, p, -1 - b), d, 1
                        elif d == choice_d:
                            ties += 1
                            if rng.randrange(ties) == 0:
                                choice = (r, p, -1 - b)
            if choice is None:
                continue
            r, p, q = choice
            seat = seat_all[r]
            a = seat[p]
            tenure = rng.randint(tenure_lo, tenure_hi)
            until[(r * n + p) * nt + a] = it + tenure
            if q >= 0:
                b = seat[q]
                until[(r * n + q) * nt + b] = it + tenure
                gains.move(r, p, b)
                gains.move(r, q, a)
            else:
                gains.move(r, p, -1 - q)
            cost += choice_d
            if cost < best:
                best = cost
                best_seats = self.snapshot()
                stall = 0
            else:
                stall += 1
                if stall > self.stall_limit:
                    stall = 0
                    self.restore(best_seats)
                    self._perturb(self.kick)
                    gains = _Gains(self)
                    cnt, seat_all, members_all, rc_all = self.cnt, self.seat, self.members, self.rc
                    cost = self.repeat_cost() * weight + self.role_cost()
                    until.clear()
        self.restore(best_seats)

    def _role_conflicts(self) -> list[tuple[int, int]]:
        """(round, person) for every movable person whose role has more people at their table
        than an even spread would give every table."""
        totals = Counter(r for r in self.role if r >= 0)
        out: list[tuple[int, int]] = []
        for r, (seat, members, rc) in enumerate(zip(self.seat, self.members, self.rc, strict=True)):
            occupied = max(1, sum(1 for m in members if m))
            even = {role: k // occupied for role, k in totals.items()}
            out.extend(
                (r, p)
                for p in self.movable
                if self.role[p] >= 0 and rc[seat[p]][self.role[p]] > even[self.role[p]]
            )
        return out

    def _perturb(self, swaps: int) -> None:
        rng, movable = self.rng, self.movable
        for _ in range(swaps):
            r = rng.randrange(self.rounds)
            p, q = movable[rng.randrange(len(movable))], movable[rng.randrange(len(movable))]
            a, b = self.seat[r][p], self.seat[r][q]
            if a != b:
                self._move(r, p, b)
                self._move(r, q, a)

    def restore(self, seats: list[list[int]]) -> None:
        self.cnt = list(self.base)
        self.seat, self.members, self.rc = [], [], []
        for s in seats:
            seat = [-1] * self.n
            members: list[list[int]] = [[] for _ in range(self.t)]
            rc = [[0] * self.nroles for _ in range(self.t)]
            for i in range(self.n):
                self._place(i, s[i], seat, members, rc)
            self.seat.append(seat)
            self.members.append(members)
            self.rc.append(rc)


class _Gains:
    """Incremental move evaluation for :meth:`_Engine.tabu`.

    For round ``r``, person ``p`` and table ``t``: ``u[r][p * T + t]`` is the repeat cost ``p``
    would add by joining the people at ``t`` (the sum of ``met ** 2`` over them) and ``v[r][p]``
    the repeat cost ``p`` saves by leaving their own table (the sum of ``(met - 1) ** 2``), where
    ``met`` counts the meetings of the pair over history and the whole planned schedule.  A swap
    or a move is then priced in constant time; :meth:`move` keeps the tables (and the engine's
    seating, pair counts and role counts) up to date.
    """

    def __init__(self, engine: _Engine) -> None:
        self.e = engine
        n, nt, cnt = engine.n, engine.t, engine.cnt
        self.u: list[list[int]] = []
        self.v: list[list[int]] = []
        for seat in engine.seat:
            u = [0] * (n * nt)
            v = [0] * n
            for p in range(n):
                row, base, sp = p * n, p * nt, seat[p]
                for x in range(n):
                    c = cnt[row + x]
                    if c and x != p:
                        u[base + seat[x]] += c * c
                        if seat[x] == sp:
                            v[p] += (c - 1) * (c - 1)
            self.u.append(u)
            self.v.append(v)

    def conflicts(self) -> list[tuple[int, int]]:
        """(round, person) for every movable person meeting someone again in that round."""
        out: list[tuple[int, int]] = []
        movable = self.e.movable
        for r, v in enumerate(self.v):
            out.extend((r, p) for p in movable if v[p] > 0)
        return out

    def _bump(self, p: int, x: int, d: int) -> None:
        e = self.e
        n, nt, cnt = e.n, e.t, e.cnt
        c = cnt[p * n + x]
        c2 = c + d
        cnt[p * n + x] = c2
        cnt[x * n + p] = c2
        dw = c2 * c2 - c * c
        dv = dw - 2 * d
        for seat, u, v in zip(e.seat, self.u, self.v, strict=True):
            sp, sx = seat[p], seat[x]
            u[p * nt + sx] += dw
            u[x * nt + sp] += dw
            if sp == sx:
                v[p] += dv
                v[x] += dv

    def move(self, r: int, p: int, b: int) -> None:
        """Move person ``p`` to table ``b`` in round ``r``."""
        e = self.e
        n, nt, cnt = e.n, e.t, e.cnt
        seat, members, rc = e.seat[r], e.members[r], e.rc[r]
        u, v = self.u[r], self.v[r]
        a = seat[p]
        left = members[a]
        left.remove(p)
        for x in left:
            self._bump(p, x, -1)
        row = p * n
        for y in range(n):
            c = cnt[row + y]
            if c and y != p:
                w = c * c
                u[y * nt + a] -= w
                u[y * nt + b] += w
        for x in left:
            c = cnt[row + x] - 1
            v[x] -= c * c
        joined = members[b]
        for x in joined:
            c = cnt[row + x] - 1
            v[x] += c * c
        seat[p] = b
        role = e.role[p]
        if role >= 0:
            rc[a][role] -= 1
            rc[b][role] += 1
        for x in joined:
            self._bump(p, x, 1)
        total = 0
        for x in joined:
            c = cnt[row + x] - 1
            total += c * c
        v[p] = total
        joined.append(p)


def _solve(
    people: Sequence[PlannerPerson],
    tables: Sequence[PlannerTable],
    history: Sequence[Mapping[int, int]],
    rounds: int,
    seed: int,
    effort: float,
) -> list[Seating]:
    rng = random.Random(seed)
    engine = _Engine(people, tables, history, rounds, rng)
    if rounds <= 0:
        return []
    movable = max(1, len(engine.movable))
    effort = max(0.0, effort)
    # Budgets in iterations (or search nodes), scaled with the size of the schedule and with
    # ``effort``; never wall-clock, so that a seed always gives the same plan.
    anneal_iters = int(effort * (5000 + 50 * movable * rounds))
    polish_iters = int(effort * max(100_000, 50 * movable * rounds))
    # exact searches and tabu only where they pay (recursion depth = movable people)
    small = movable <= 200 and movable * engine.t <= 4000
    hopeful = small and engine.zero_repeats_possible()
    exact_nodes = int(effort * 1000) if hopeful else 0
    backtracks = int(effort * 10) if hopeful else 0
    tabu_iters = int(effort * 1_000_000 / (engine.sample * movable)) if small else 0
    restarts = max(1, int(effort * 2)) if rounds > 1 and hopeful else 1
    start: list[list[int]] | None = None
    if hopeful:
        start = engine.field_start()
        if start is None and rounds > 1 and engine.fresh():
            # search nodes cost about (people x tables) steps each
            nodes = int(effort * 20_000_000 / (engine.n * engine.t))
            start = engine.cyclic_start(nodes, 1000)
    attempts: list[list[list[int]] | None] = [None] * restarts
    if start is not None:
        # a structured start gets the whole budget; a single round also gets a greedy build
        tabu_iters *= restarts
        attempts = [start, None] if rounds == 1 else [start]
    best_cost: tuple[int, int] | None = None
    best_seats: list[list[int]] = []
    for seats in attempts:
        if seats is not None:
            engine.restore(seats)
            engine.fit_sizes()
        else:
            engine.build(exact_nodes, backtracks)
        if engine.repeat_cost() > 0:
            engine.anneal(anneal_iters, 0.6, 0.02)
            if engine.repeat_cost() > 0 and tabu_iters > 0:
                engine.tabu(tabu_iters, tabu_iters // 2)
        elif seats is not None and history and engine.seat == seats:
            # a table-hopping pattern carried on intact from earlier rounds stays as it is: the
            # later rounds rely on it, and the speeds were chosen with the role mix in mind
            best_seats = engine.snapshot()
            break
        engine.polish(polish_iters, 2.0, 0.05)
        cost = (engine.repeat_cost(), engine.role_cost())
        if best_cost is None or cost < best_cost:
            best_cost, best_seats = cost, engine.snapshot()
        if cost[0] == 0 and (seats is None or len(attempts) == 1 or cost[1] <= engine.role_floor()):
            break
    return engine.seatings(best_seats)


def plan_next_round(
    people: Sequence[PlannerPerson],
    tables: Sequence[PlannerTable],
    history: Sequence[Mapping[int, int]],
    *,
    seed: int = 0,
    effort: float = 1.0,
) -> Seating:
    """Seating (person id -> table id) for the next round.

    ``history`` holds the seatings of the rounds already played, oldest first; it may mention
    people who have left (ignored) and lack people who just arrived (they have met nobody).
    Raises :class:`PlanningError` when there are not enough seats or fixed people overflow a table.
    """
    if not people:
        _validate(people, tables)
        return {}
    return _solve(people, tables, history, 1, seed, effort)[0]


def plan_rounds(
    people: Sequence[PlannerPerson],
    tables: Sequence[PlannerTable],
    history: Sequence[Mapping[int, int]],
    rounds: int,
    *,
    seed: int = 0,
    effort: float = 1.0,
) -> list[Seating]:
    """Seatings for the next ``rounds`` rounds, planned jointly (as if each were appended to
    ``history`` before planning the next).  Fixed people keep one table throughout."""
    if rounds < 0:
        raise PlanningError("rounds must not be negative")
    if not people:
        _validate(people, tables)
        return [{} for _ in range(rounds)]
    return _solve(people, tables, history, rounds, seed, effort)
