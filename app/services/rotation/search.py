"""The local search over a whole schedule: simulated annealing on (repeats, roles), a
conflict-directed tabu search with moves priced in constant time, and the role-mix polish."""

from __future__ import annotations

import math
from collections import Counter

from app.services.rotation.costs import REPEAT_WEIGHT
from app.services.rotation.schedule import Schedule

# Share of annealing proposals taken from people meeting someone again.
FOCUS = 0.8
# Tabu search: candidates per step, the range of a tabu tenure, and the random swaps of a kick
# after a stall (the stall limit grows with the number of movable people).
SAMPLE = 20
TENURE = (2, 10)
KICK = 3


def _conflicted(schedule: Schedule) -> list[tuple[int, int]]:
    """(round, person) for every movable person meeting someone again in that round."""
    n, cnt = schedule.n, schedule.cnt
    out: list[tuple[int, int]] = []
    for r in range(schedule.rounds):
        seat, members = schedule.seat[r], schedule.members[r]
        for p in schedule.movable:
            row = p * n
            for x in members[seat[p]]:
                if x != p and cnt[row + x] > 1:
                    out.append((r, p))
                    break
    return out


def anneal(*, schedule: Schedule, iterations: int, temp_start: float, temp_end: float) -> None:
    """Simulated annealing, lexicographic on (repeats, roles); leaves the best state found.

    A move that changes the repeat cost is accepted by the Metropolis rule on that change
    (never once repeats are down to zero); a move that leaves it unchanged is accepted when
    it does not worsen the role mix.  Proposals favour people who meet someone again.
    """
    rng = schedule.rng
    movable = schedule.movable
    if len(movable) < 2 and not (schedule.slack and movable):
        return
    rounds, nt = schedule.rounds, schedule.t
    rep_cost = schedule.repeat_cost()
    role_cost = schedule.role_cost()
    best = (rep_cost, role_cost)
    best_seats: list[list[int]] = []
    at_best = True
    conflicts = _conflicted(schedule) if rep_cost else []
    refresh = max(50, len(movable) // 2)
    ratio = (temp_end / temp_start) ** (1.0 / max(1, iterations)) if temp_start > 0 else 0.0
    temp = temp_start
    rand = rng.random
    randrange = rng.randrange
    nmov = len(movable)
    focus = FOCUS
    for it in range(iterations):
        temp *= ratio
        if rep_cost and it % refresh == 0 and it:
            conflicts = _conflicted(schedule)
        if conflicts and rand() < focus:
            r, p = conflicts[randrange(len(conflicts))]
        else:
            r, p = randrange(rounds), movable[randrange(nmov)]
        seat = schedule.seat[r]
        if schedule.slack and rand() < 0.2:
            a = seat[p]
            b = randrange(nt)
            if b == a or len(schedule.members[r][a]) <= schedule.lo[a]:
                continue
            if len(schedule.members[r][b]) >= schedule.hi[b]:
                continue
            d_rep, d_role = schedule.move_delta(r, p, b)
            q = -1
        else:
            q = movable[randrange(nmov)]
            if seat[q] == seat[p]:
                continue
            d_rep, d_role = schedule.swap_delta(r, p, q)
            b = -1
        if d_rep > 0:
            if rep_cost == 0 or temp <= 0 or rand() >= math.exp(-d_rep / temp):
                continue
        elif d_rep == 0 and d_role > 0:
            continue
        if at_best and (d_rep, d_role) > (0, 0):
            best_seats = schedule.snapshot()
            at_best = False
        if q >= 0:
            a = seat[p]
            bq = seat[q]
            schedule.move(r, p, bq)
            schedule.move(r, q, a)
        else:
            schedule.move(r, p, b)
        rep_cost += d_rep
        role_cost += d_role
        if (rep_cost, role_cost) <= best:
            best = (rep_cost, role_cost)
            at_best = True
            if rep_cost == 0:
                conflicts = []
    if not at_best:
        schedule.restore(best_seats)


def tabu(*, schedule: Schedule, iterations: int, role_steps: int = 0) -> None:
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
    movable = schedule.movable
    if len(movable) < 2 or iterations <= 0:
        return
    rng = schedule.rng
    n, nt = schedule.n, schedule.t
    gains = _Gains(schedule)
    cnt, seat_all, members_all, rc_all = schedule.cnt, schedule.seat, schedule.members, schedule.rc
    role, lo, hi, slack = schedule.role, schedule.lo, schedule.hi, schedule.slack
    role_add, role_remove = schedule.role_add, schedule.role_remove
    weight = REPEAT_WEIGHT
    cost = schedule.repeat_cost() * weight + schedule.role_cost()
    best = cost
    best_seats = schedule.snapshot()
    until: dict[int, int] = {}
    stall = 0
    stall_limit = 300 + 2 * len(movable)
    tenure_lo, tenure_hi = TENURE
    sample = SAMPLE
    floor = schedule.role_floor()
    for it in range(iterations):
        if cost < weight:
            if role_steps <= 0 or cost <= floor:
                break
            role_steps -= 1
            conflicts = _role_conflicts(schedule)
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
            best_seats = schedule.snapshot()
            stall = 0
        else:
            stall += 1
            if stall > stall_limit:
                stall = 0
                schedule.restore(best_seats)
                _perturb(schedule, KICK)
                gains = _Gains(schedule)
                cnt, seat_all = schedule.cnt, schedule.seat
                members_all, rc_all = schedule.members, schedule.rc
                cost = schedule.repeat_cost() * weight + schedule.role_cost()
                until.clear()
    schedule.restore(best_seats)


def polish(*, schedule: Schedule, iterations: int, temp_start: float, temp_end: float) -> None:
    """Improve the role mix without adding a repeat.

    Simulated annealing on the role cost over moves that do not raise the repeat cost (and
    gladly over those that lower it): swaps and moves within a round and, when nobody
    present has met before, exchanges of two people's whole itineraries, which leave every
    pair count as it was.  Stops once the role cost reaches :meth:`Schedule.role_floor`.
    """
    movable = schedule.movable
    if len(movable) < 2 or iterations <= 0 or schedule.nroles == 0:
        return
    rng = schedule.rng
    rand, randrange = rng.random, rng.randrange
    whole = schedule.rounds > 1 and schedule.fresh()
    role = schedule.role
    rounds, nt, nmov = schedule.rounds, schedule.t, len(movable)
    rep_cost, role_cost = schedule.repeat_cost(), schedule.role_cost()
    floor = schedule.role_floor()
    best = (rep_cost, role_cost)
    best_seats: list[list[int]] = []
    at_best = True
    ratio = (temp_end / temp_start) ** (1.0 / max(1, iterations)) if temp_start > 0 else 0.0
    temp = temp_start
    swap_role = schedule.swap_role_delta
    for _ in range(iterations):
        if at_best and role_cost <= floor:
            break
        temp *= ratio
        p, q = movable[randrange(nmov)], movable[randrange(nmov)]
        kind = randrange(4)
        r = randrange(rounds)
        seat = schedule.seat[r]
        b = -1
        if kind == 1 and schedule.slack:
            a, b = seat[p], randrange(nt)
            if b == a or len(schedule.members[r][a]) <= schedule.lo[a]:
                continue
            if len(schedule.members[r][b]) >= schedule.hi[b]:
                continue
            d_rep, d_role = schedule.move_delta(r, p, b)
        elif role[p] == role[q]:
            continue
        elif kind == 0 and whole:
            d_rep = 0
            d_role = sum(swap_role(rr, p, q) for rr in range(rounds))
        else:
            if seat[p] == seat[q]:
                continue
            d_rep, d_role = schedule.swap_delta(r, p, q)
        if d_rep > 0:
            continue
        if d_rep == 0 and d_role > 0 and (temp <= 0 or rand() >= math.exp(-d_role / temp)):
            continue
        if at_best and (d_rep, d_role) > (0, 0):
            best_seats = schedule.snapshot()
            at_best = False
        if b >= 0:
            schedule.move(r, p, b)
        else:
            for rr in range(rounds) if kind == 0 and whole else (r,):
                s = schedule.seat[rr]
                a, c = s[p], s[q]
                if a != c:
                    schedule.move(rr, p, c)
                    schedule.move(rr, q, a)
        rep_cost += d_rep
        role_cost += d_role
        if (rep_cost, role_cost) <= best:
            best = (rep_cost, role_cost)
            at_best = True
    if not at_best:
        schedule.restore(best_seats)


def _role_conflicts(schedule: Schedule) -> list[tuple[int, int]]:
    """(round, person) for every movable person whose role has more people at their table
    than an even spread would give every table."""
    role = schedule.role
    totals = Counter(r for r in role if r >= 0)
    out: list[tuple[int, int]] = []
    rounds = zip(schedule.seat, schedule.members, schedule.rc, strict=True)
    for r, (seat, members, rc) in enumerate(rounds):
        occupied = max(1, sum(1 for m in members if m))
        even = {k: total // occupied for k, total in totals.items()}
        out.extend(
            (r, p)
            for p in schedule.movable
            if role[p] >= 0 and rc[seat[p]][role[p]] > even[role[p]]
        )
    return out


def _perturb(schedule: Schedule, swaps: int) -> None:
    rng, movable = schedule.rng, schedule.movable
    for _ in range(swaps):
        r = rng.randrange(schedule.rounds)
        p, q = movable[rng.randrange(len(movable))], movable[rng.randrange(len(movable))]
        a, b = schedule.seat[r][p], schedule.seat[r][q]
        if a != b:
            schedule.move(r, p, b)
            schedule.move(r, q, a)


class _Gains:
    """Incremental move evaluation for :func:`tabu`.

    For round ``r``, person ``p`` and table ``t``: ``u[r][p * T + t]`` is the repeat cost ``p``
    would add by joining the people at ``t`` (the sum of ``met ** 2`` over them) and ``v[r][p]``
    the repeat cost ``p`` saves by leaving their own table (the sum of ``(met - 1) ** 2``), where
    ``met`` counts the meetings of the pair over history and the whole planned schedule.  A swap
    or a move is then priced in constant time; :meth:`move` keeps the tables (and the schedule's
    seating, pair counts and role counts) up to date.
    """

    def __init__(self, schedule: Schedule) -> None:
        self.e = schedule
        n, nt, cnt = schedule.n, schedule.t, schedule.cnt
        self.u: list[list[int]] = []
        self.v: list[list[int]] = []
        for seat in schedule.seat:
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
