"""Schedule constructions the search starts from: table hopping over a finite field, cyclic
schedules found by a search over their first round, and rounds built one by one (greedy, an
exact search for a round without repeats, backtracking); and the repair to the size bounds."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence

from app.services.rotation.costs import REPEAT_WEIGHT
from app.services.rotation.field import finite_field
from app.services.rotation.golfers import PEOPLE, ROUNDS, TABLE_SIZE, golfer_rounds
from app.services.rotation.model import PlanningError
from app.services.rotation.schedule import Schedule

Slot = tuple[int, int]
"""A place in table hopping: start table ``g`` and speed ``j`` (field elements)."""


def _sizes(schedule: Schedule) -> list[int]:
    """One table size vector within the bounds, used for every round of a cyclic schedule."""
    sizes = list(schedule.lo)
    extra = schedule.n - sum(sizes)
    for t in range(schedule.t):
        if extra and sizes[t] < schedule.hi[t]:
            sizes[t] += 1
            extra -= 1
    return sizes


def _role_order(schedule: Schedule, people: list[int]) -> list[int]:
    """People grouped by role (biggest groups first), in random order within a group, so that
    filling structured slots in this order keeps each speed or orbit to one role."""
    role = schedule.role
    order = list(people)
    schedule.rng.shuffle(order)
    size = Counter(role[i] for i in order)
    order.sort(key=lambda i: (role[i] < 0, -size[role[i]], role[i]))
    return order


# ---- table hopping over a finite field ---------------------------------------------------


class _Hopping:
    """Table hopping over GF(q) on the ``q`` open tables: slot ``(g, j)`` sits at table
    ``g + r * j`` in round ``r`` and, in the extra round ``q``, at table ``j``."""

    def __init__(self, open_tables: list[int], add: list[list[int]], mul: list[list[int]]) -> None:
        q = len(open_tables)
        self.open_tables, self.q, self.add, self.mul = open_tables, q, add, mul
        self.neg = [add[x].index(0) for x in range(q)]
        self.inv = [0, *(mul[x].index(1) for x in range(1, q))]
        self.element = {t: e for e, t in enumerate(open_tables)}
        # speed 0 (staying put) last: moving speeds first when choosing
        self.speeds = [*range(1, q), 0]

    def table_of(self, slot: Slot, r: int) -> int:
        g, j = slot
        return self.open_tables[self.add[g][self.mul[r][j]] if r < self.q else j]

    def start_of(self, r: int, t: int, j: int) -> int:
        """The start of the slot of speed ``j`` that sits at element ``t`` in round ``r``."""
        return self.add[t][self.neg[self.mul[r][j]]]

    def slot_through(self, seats: list[tuple[int, int]]) -> Slot | None:
        """The slot through the first two ``(round, element)`` seats, if it holds them all."""
        add, mul, neg = self.add, self.mul, self.neg
        (r0, t0), (r1, t1) = seats[0], seats[1]
        j = mul[add[t1][neg[t0]]][self.inv[add[r1][neg[r0]]]]
        g = add[t0][neg[mul[r0][j]]]
        if all(add[g][mul[r][j]] == t for r, t in seats):
            return g, j
        return None


def _seen_seats(schedule: Schedule, hop: _Hopping) -> dict[int, list[tuple[int, int]]]:
    """``(round, element)`` of every earlier seat of each movable person, in role order; people
    who sat at a table now closed are left out."""
    seen: dict[int, list[tuple[int, int]]] = {}
    for i in _role_order(schedule, schedule.movable):
        seats = [(r, past[i]) for r, past in enumerate(schedule.past) if past[i] != -1]
        if all(t in hop.element for _, t in seats):
            seen[i] = [(r, hop.element[t]) for r, t in seats]
    return seen


def _slots(
    schedule: Schedule, hop: _Hopping, fixed: list[int], seen: dict[int, list[tuple[int, int]]]
) -> list[Slot | None]:
    """A slot for everyone who fits one: fixed people speed 0 at their table, people seen twice
    the slot their seats determine, the rest a free slot where their role is common."""
    role = schedule.role
    slot: list[Slot | None] = [None] * schedule.n
    taken: set[Slot] = set()
    roles_of_speed: list[Counter[int]] = [Counter() for _ in range(hop.q)]
    for i in fixed:
        slot[i] = (hop.element[schedule.anchor[i]], 0)
        taken.add((hop.element[schedule.anchor[i]], 0))
    for i, seats in seen.items():
        if len(seats) > 1:
            s = hop.slot_through(seats)
            if s is not None and s not in taken:
                slot[i] = s
                taken.add(s)
                roles_of_speed[s[1]][role[i]] += 1
    rank = {j: k for k, j in enumerate(hop.speeds)}
    for i, seats in seen.items():
        if len(seats) > 1:
            continue
        if seats:
            r0, t0 = seats[0]
            options = [(hop.start_of(r0, t0, j), j) for j in hop.speeds]
        else:
            options = [(g, j) for j in hop.speeds for g in range(hop.q)]
        options = [o for o in options if o not in taken]
        if options:
            ri = role[i]
            g, j = min(options, key=lambda o: (-roles_of_speed[o[1]][ri], rank[o[1]], o[0]))
            slot[i] = (g, j)
            taken.add((g, j))
            roles_of_speed[j][ri] += 1
    return slot


def _roles_ahead(
    schedule: Schedule, hop: _Hopping, slot: list[Slot | None], ahead: range
) -> list[list[list[int]]]:
    """Role counts per table in each round of ``ahead``, as the slots seat people."""
    rc = [[[0] * schedule.nroles for _ in range(schedule.t)] for _ in ahead]
    for i, s in enumerate(slot):
        if s is not None and schedule.role[i] >= 0:
            for k, r in enumerate(ahead):
                rc[k][hop.table_of(s, r)][schedule.role[i]] += 1
    return rc


def _trade(
    schedule: Schedule,
    hop: _Hopping,
    slot: list[Slot | None],
    ahead: range,
    rc: list[list[list[int]]],
    trade: tuple[int, int, int],
) -> bool:
    """``(g, a, b)``: let ``a`` and ``b``, both of start ``g``, trade speeds if that improves
    the role mix ahead."""
    g, a, b = trade
    ra, rb = schedule.role[a], schedule.role[b]
    sa, sb = slot[a], slot[b]
    if ra == rb or sa is None or sb is None:
        return False
    delta = 0
    for k, r in enumerate(ahead):
        ca, cb = rc[k][hop.table_of(sa, r)], rc[k][hop.table_of(sb, r)]
        delta += schedule.role_remove(ca, ra) + schedule.role_add(cb, ra)
        delta += schedule.role_remove(cb, rb) + schedule.role_add(ca, rb)
    if delta >= 0:
        return False
    for k, r in enumerate(ahead):
        ta, tb = hop.table_of(sa, r), hop.table_of(sb, r)
        for role, old, new in ((ra, ta, tb), (rb, tb, ta)):
            if role >= 0:
                rc[k][old][role] -= 1
                rc[k][new][role] += 1
    slot[a], slot[b] = (g, sb[1]), (g, sa[1])
    return True


def _trade_speeds(
    schedule: Schedule,
    hop: _Hopping,
    slot: list[Slot | None],
    seen: dict[int, list[tuple[int, int]]],
    ahead: range,
) -> None:
    """People who sat together in the one round so far may trade speeds: keep trades that
    improve the role mix of the ``ahead`` rounds."""
    rc = _roles_ahead(schedule, hop, slot, ahead)
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
                    if _trade(schedule, hop, slot, ahead, rc, (g, a, b)):
                        traded = True
        if not traded:
            break


def _hopping_round(
    schedule: Schedule, hop: _Hopping, slot: list[Slot | None], lost: list[int], r: int
) -> list[int]:
    """Round ``r`` of the table hopping; people without a slot where there is most room (the
    search does the rest)."""
    seat = [-1] * schedule.n
    for i, s in enumerate(slot):
        if s is not None:
            seat[i] = hop.table_of(s, r)
    size = Counter(seat)
    for i in lost:
        t = max(range(schedule.t), key=lambda t: (schedule.hi[t] - size[t], -t))
        seat[i] = t
        size[t] += 1
    return seat


def field_start(schedule: Schedule) -> list[list[int]] | None:
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
    are repaired afterwards by :func:`fit_sizes`; both are left to the search.
    """
    open_tables = [t for t in range(schedule.t) if schedule.hi[t] > 0]
    q, done = len(open_tables), len(schedule.past)
    fixed = [i for i in range(schedule.n) if schedule.anchor[i] >= 0]
    last = q + (0 if fixed else 1)
    if done + schedule.rounds > last or q > 64:
        return None
    field = finite_field(q)
    if field is None:
        return None
    hop = _Hopping(open_tables, *field)
    seen = _seen_seats(schedule, hop)
    slot = _slots(schedule, hop, fixed, seen)
    lost = [i for i in schedule.movable if slot[i] is None]
    if len(lost) > max(2, len(schedule.movable) // 4):
        return None
    if done == 1:
        _trade_speeds(schedule, hop, slot, seen, range(done, min(last, done + 3)))
    return [
        _hopping_round(schedule, hop, slot, lost, r) for r in range(done, done + schedule.rounds)
    ]


# ---- an earlier plan, for the room as it is now ------------------------------------------


def plan_start(schedule: Schedule, plan: Sequence[Mapping[int, int]]) -> list[list[int]] | None:
    """The rounds of an earlier plan (person id -> table id), carried over to the room as it
    is now, or ``None`` when the plan has fewer rounds than are being planned.

    Everyone the plan seats at a table still open keeps that seat and fixed people sit at
    their table; people the plan lacks (newcomers, or their table closed) are seated, one
    by one and round by round, where they meet the fewest people again, then the fewest
    already there.  Sizes the change breaks are repaired by :func:`fit_sizes` afterwards.
    People who have left are simply not there: a plan without repeats stays without them."""
    if len(plan) < schedule.rounds:
        return None
    n, nt = schedule.n, schedule.t
    tindex = {t.id: k for k, t in enumerate(schedule.tables)}
    schedule.cnt = list(schedule.base)
    schedule.seat, schedule.members, schedule.rc = [], [], []
    for seating in plan[: schedule.rounds]:
        seat = [-1] * n
        size = [0] * nt
        for i, person in enumerate(schedule.people):
            t = schedule.anchor[i]
            if t < 0:
                t = tindex.get(seating.get(person.id, -1), -1)
                if t >= 0 and schedule.hi[t] <= 0:
                    t = -1
            if t >= 0:
                seat[i] = t
                size[t] += 1
        cnt = schedule.cnt
        for i in range(n):
            if seat[i] >= 0:
                continue
            row = i * n
            best: tuple[int, int, int] | None = None
            for t in range(nt):
                if size[t] >= schedule.hi[t]:
                    continue
                met = sum(cnt[row + x] ** 2 for x in range(n) if seat[x] == t)
                key = (met, size[t], t)
                if best is None or key < best:
                    best = key
            t = best[2] if best is not None else max(range(nt), key=lambda t: schedule.hi[t])
            seat[i] = t
            size[t] += 1
        schedule.push_round(seat)
    return schedule.snapshot()


# ---- thirty-two people at eight tables of four -------------------------------------------


def golfer_start(schedule: Schedule) -> list[list[int]] | None:
    """Up to ten rounds without a repeat for 32 people at 8 tables of 4 (see
    :mod:`app.services.rotation.golfers`), or ``None`` where that does not apply: somebody
    fixed, somebody who met somebody before, another number of people or other table sizes.
    People are taken in role order, so that each of the construction's four orbits (one
    person of each at every table of six rounds) holds as few roles as it can."""
    open_tables = [t for t in range(schedule.t) if schedule.hi[t] > 0]
    if (
        schedule.n != PEOPLE
        or not 0 < schedule.rounds <= ROUNDS
        or len(schedule.movable) != schedule.n
        or not schedule.fresh()
        or len(open_tables) * TABLE_SIZE != PEOPLE
        or any(schedule.lo[t] != TABLE_SIZE for t in open_tables)
    ):
        return None
    person = _role_order(schedule, schedule.movable)
    seats: list[list[int]] = []
    for tables in golfer_rounds()[: schedule.rounds]:
        seat = [-1] * schedule.n
        for t, members in zip(open_tables, tables, strict=True):
            for point in members:
                seat[person[point]] = t
        seats.append(seat)
    return seats


# ---- cyclic schedules ----------------------------------------------------------------------


def _difference_classes(n: int, nf: int, rounds: int) -> tuple[list[int], list[int], int]:
    """For every pair of points ``(a, b)`` (``a * n + b``): its difference class, the meetings
    one occurrence of that class in round 0 makes over the cycle, and the number of classes.

    Points below ``nf`` stay at one table; the others form orbits of ``rounds`` points."""
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
    return klass, mult, len(ids)


class _RoundZero:
    """Depth-first search for round 0 of a cyclic schedule in which no difference class occurs
    twice: most constrained point first, to the fullest table first, with forward checking."""

    def __init__(
        self,
        n: int,
        classes: tuple[list[int], list[int], int],
        sizes: list[int],
        free: list[int],
        rng: random.Random,
    ) -> None:
        self.klass, self.mult, count = classes
        self.n = n
        self.nt = nt = len(sizes)
        self.sizes, self.rng = sizes, rng
        self.used = [0] * count
        self.pairs: list[list[tuple[int, int]]] = [[] for _ in range(count)]
        for a in range(n):
            for b in range(n):
                if a != b:
                    self.pairs[self.klass[a * n + b]].append((a, b))
        self.table = [-1] * n
        self.size = [0] * nt
        self.members: list[list[int]] = [[] for _ in range(nt)]
        # barred[p * nt + b]: reasons why point p cannot join table b (forward checking)
        self.barred = [0] * (n * nt)
        self.trail: list[list[int]] = []
        self.free = free
        self.unplaced = set(free)
        self.nodes = 0
        self.limit = 0
        self.order: list[int] = []

    def place(self, x: int, b: int) -> None:
        klass, mult, used, table, barred = self.klass, self.mult, self.used, self.table, self.barred
        n, nt, members = self.n, self.nt, self.members
        marks: list[int] = []
        row = x * n
        table[x] = b
        for y in members[b]:
            k = klass[row + y]
            fresh = used[k] == 0
            used[k] += mult[row + y]
            if fresh:  # every unplaced point meeting a placed one in class k is now barred
                for p, q in self.pairs[k]:
                    if table[p] < 0 and table[q] >= 0:
                        i = p * nt + table[q]
                        barred[i] += 1
                        marks.append(i)
        for p in self.unplaced:
            k = klass[p * n + x]
            if used[k] or mult[p * n + x] > 1 or any(klass[p * n + y] == k for y in members[b]):
                i = p * nt + b
                barred[i] += 1
                marks.append(i)
        members[b].append(x)
        self.size[b] += 1
        self.trail.append(marks)

    def unplace(self, x: int) -> None:
        klass, mult, used, barred = self.klass, self.mult, self.used, self.barred
        b = self.table[x]
        for i in self.trail.pop():
            barred[i] -= 1
        members = self.members[b]
        members.remove(x)
        self.size[b] -= 1
        row = x * self.n
        for y in members:
            used[klass[row + y]] -= mult[row + y]
        self.table[x] = -1

    def search(self) -> bool:
        unplaced = self.unplaced
        if not unplaced:
            return True
        self.nodes += 1
        if self.nodes > self.limit:
            return False
        table, size, sizes, barred, nt = self.table, self.size, self.sizes, self.barred, self.nt
        best_p, best_opts = -1, list[int]()
        for p in self.order:
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
        self.rng.shuffle(best_opts)
        best_opts.sort(key=lambda b: -size[b])  # complete the fullest table first
        tried_empty: set[int] = set()
        unplaced.discard(best_p)
        for b in best_opts:
            if not self.members[b]:
                if sizes[b] in tried_empty:
                    continue
                tried_empty.add(sizes[b])
            self.place(best_p, b)
            if self.search():
                return True
            self.unplace(best_p)
        unplaced.add(best_p)
        return False

    def run(self, node_budget: int, restart_nodes: int) -> list[int] | None:
        """The table of every point in round 0, restarting with a new random order every
        ``restart_nodes`` nodes; ``None`` when ``node_budget`` runs out first."""
        while self.nodes < node_budget:
            self.limit = min(node_budget, self.nodes + restart_nodes)
            self.order = list(self.free)
            self.rng.shuffle(self.order)
            if self.search():
                return self.table
        return None


def _orbit_seats(
    schedule: Schedule, table: list[int], person: list[int], nf: int
) -> list[list[int]]:
    """Every round of the cyclic schedule: point ``k`` is person ``person[k]``; the first ``nf``
    stay at their table, point ``(o, x)`` of orbit ``o`` sits where ``(o, x - r)`` sits in
    round 0."""
    rounds = schedule.rounds
    seats: list[list[int]] = []
    for r in range(rounds):
        seat = [-1] * schedule.n
        for point, i in enumerate(person):
            if point < nf:
                seat[i] = table[point]
            else:
                o, x = divmod(point - nf, rounds)
                seat[i] = table[nf + o * rounds + (x - r) % rounds]
        seats.append(seat)
    return seats


def cyclic_start(
    *, schedule: Schedule, node_budget: int, restart_nodes: int
) -> list[list[int]] | None:
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
    rounds = schedule.rounds
    if rounds < 2 or node_budget <= 0:
        return None
    fixed_at = Counter(a for a in schedule.anchor if a >= 0)
    if any(c > 1 for c in fixed_at.values()):
        return None
    movable = _role_order(schedule, schedule.movable)
    orbits, rem = divmod(len(movable), rounds)
    sizes = _sizes(schedule)
    if len(fixed_at) + rem > sum(1 for s in sizes if s > 0):
        return None
    # points: fixed people, then stayers (movable, table chosen by the search), then orbits
    fixed = [i for i in range(schedule.n) if schedule.anchor[i] >= 0]
    stayers, moving = movable[:rem], movable[rem:]
    nf = len(fixed) + rem
    n = nf + orbits * rounds
    classes = _difference_classes(n, nf, rounds)
    search = _RoundZero(n, classes, sizes, list(range(len(fixed), n)), schedule.rng)
    for point, i in enumerate(fixed):
        search.place(point, schedule.anchor[i])
    table = search.run(node_budget, restart_nodes)
    if table is None:
        return None
    return _orbit_seats(schedule, table, fixed + stayers + moving, nf)


# ---- round by round ------------------------------------------------------------------------


def build(*, schedule: Schedule, exact_nodes: int = 0, backtracks: int = 0) -> None:
    """Construct every round, each seeing the meetings of the earlier ones.

    A round is built greedily; if that repeats a meeting and ``exact_nodes`` allows, a
    depth-first search looks for a round without repeats instead.  When even that fails, up to
    ``backtracks`` times some of the latest rounds are thrown away and built afresh.
    """
    schedule.cnt = list(schedule.base)
    schedule.seat, schedule.members, schedule.rc = [], [], []
    while len(schedule.seat) < schedule.rounds:
        _greedy_round(schedule)
        if exact_nodes <= 0 or not _round_repeats(schedule, len(schedule.seat) - 1):
            continue
        sizes = [len(m) for m in schedule.members[-1]]
        schedule.pop_round()
        found = None
        for _ in range(8):
            found = _exact_round(schedule, sizes, exact_nodes // 8)
            if found is not None:
                break
        if found is not None:
            schedule.push_round(found)
        elif backtracks > 0 and schedule.seat:
            backtracks -= 1
            for _ in range(schedule.rng.randint(1, max(1, len(schedule.seat) // 2))):
                schedule.pop_round()
        else:
            _greedy_round(schedule)
            exact_nodes = 0 if backtracks <= 0 else exact_nodes


def _round_repeats(schedule: Schedule, r: int) -> bool:
    n, cnt = schedule.n, schedule.cnt
    for members in schedule.members[r]:
        for i, a in enumerate(members):
            row = a * n
            for b in members[i + 1 :]:
                if cnt[row + b] > 1:
                    return True
    return False


def _exact_round(schedule: Schedule, sizes: list[int], node_limit: int) -> list[int] | None:
    """Depth-first search for a round of the given table sizes in which nobody meets anyone
    they have met before (fixed people excepted among themselves).  Most constrained person
    first; empty interchangeable tables are tried once.  ``None`` if not found in budget."""
    n, nt, cnt, rng = schedule.n, schedule.t, schedule.cnt, schedule.rng
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
        t = schedule.anchor[i]
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

    order = list(schedule.movable)
    rng.shuffle(order)
    if search(order):
        return seat
    return None


def _greedy_round(schedule: Schedule) -> None:
    """Append a round built greedily: most-met people first, each to the table adding the least
    cost within the size bounds."""
    n, nt, cnt, rng = schedule.n, schedule.t, schedule.cnt, schedule.rng
    lo, hi, place, role_add = schedule.lo, schedule.hi, schedule.place, schedule.role_add
    seat = [-1] * n
    members: list[list[int]] = [[] for _ in range(nt)]
    rc = [[0] * schedule.nroles for _ in range(nt)]
    for i in range(n):
        a = schedule.anchor[i]
        if a >= 0:
            place(i, a, seat, members, rc)
    order = list(schedule.movable)
    rng.shuffle(order)
    # most-met people first: they have the fewest good tables left
    order.sort(key=lambda i: -sum(cnt[i * n : i * n + n]))
    need = sum(max(0, lo[t] - len(members[t])) for t in range(nt))
    left = len(order)
    for i in order:
        free_extra = left - 1 >= need
        best: tuple[int, int, float] | None = None
        best_t = -1
        role = schedule.role[i]
        row = i * n
        for t in range(nt):
            size = len(members[t])
            if size >= hi[t] or (size >= lo[t] and not free_extra):
                continue
            rep = 0
            for x in members[t]:
                c = cnt[row + x]
                rep += c * c
            key = (rep * REPEAT_WEIGHT + role_add(rc[t], role), size, rng.random())
            if best is None or key < best:
                best, best_t = key, t
        if best_t < 0:  # pragma: no cover - bounds always leave a seat
            raise PlanningError("internal error: no seat left")
        if len(members[best_t]) < lo[best_t]:
            need -= 1
        left -= 1
        place(i, best_t, seat, members, rc)
    schedule.seat.append(seat)
    schedule.members.append(members)
    schedule.rc.append(rc)


def fit_sizes(schedule: Schedule) -> None:
    """Bring every round within the size bounds by moving movable people, each time the move
    that costs least (repeats, then roles)."""
    lo, hi, nt = schedule.lo, schedule.hi, schedule.t
    for r in range(schedule.rounds):
        members = schedule.members[r]
        while True:
            size = [len(m) for m in members]
            over = [t for t in range(nt) if size[t] > hi[t]]
            under = [t for t in range(nt) if size[t] < lo[t]]
            if over:
                donors = over
                takers = under or [t for t in range(nt) if size[t] < hi[t]]
            elif under:
                donors = [t for t in range(nt) if size[t] > lo[t]]
                takers = under
            else:
                break
            best: tuple[int, int] | None = None
            move = (-1, -1)
            for a in donors:
                for p in members[a]:
                    if schedule.anchor[p] >= 0:
                        continue
                    for b in takers:
                        if b != a:
                            key = schedule.move_delta(r, p, b)
                            if best is None or key < best:
                                best, move = key, (p, b)
            if best is None:  # pragma: no cover - the bounds always leave a move
                raise PlanningError("internal error: cannot fit table sizes")
            schedule.move(r, move[0], move[1])
