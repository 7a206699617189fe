"""The mutable schedule the constructions and the search work on: who sits where in every
planned round over indexed people and tables, with pair counts and role counts kept in step,
and the moves priced and applied on it."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence

from app.services.rotation.costs import MISSING_VOICE_PENALTY, pair_counts
from app.services.rotation.model import (
    LIVED_EXPERIENCE,
    PlannerPerson,
    PlannerTable,
    Seating,
    role_of,
)
from app.services.rotation.problem import anchor_tables, balanced_bounds, validate


class Schedule:
    """Mutable schedule of ``rounds`` rounds over indexed people and tables.

    People and tables are numbered by sorted id.  ``seat[r][p]`` is the table of person ``p`` in
    round ``r``, ``members[r][t]`` the people at table ``t`` and ``rc[r][t][role]`` how many of
    each role sit there; ``cnt[a * n + b]`` counts the meetings of ``a`` and ``b`` over history
    and every planned round (``base`` over history alone).
    """

    def __init__(
        self,
        people: Sequence[PlannerPerson],
        tables: Sequence[PlannerTable],
        history: Sequence[Mapping[int, int]],
        rounds: int,
        rng: random.Random,
    ) -> None:
        validate(people=people, tables=tables)
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
        anchors = anchor_tables(
            people=self.people, tables=self.tables, history=history, counts=counts, rng=rng
        )
        self.anchor = [tindex[anchors[p.id]] if p.id in anchors else -1 for p in self.people]
        self.movable = [i for i in range(n) if self.anchor[i] < 0]
        # pair meeting counts: history plus every planned round (kept in sync by the moves)
        self.base = [0] * (n * n)
        for (a, b), c in counts.items():
            ia, ib = pindex.get(a), pindex.get(b)
            if ia is not None and ib is not None:
                self.base[ia * n + ib] = c
                self.base[ib * n + ia] = c
        role_names = sorted({r for p in self.people if (r := role_of(p)) is not None})
        rindex = {r: i for i, r in enumerate(role_names)}
        self.nroles = len(role_names)
        self.role = [rindex[r] if (r := role_of(p)) is not None else -1 for p in self.people]
        fixed = [0] * self.t
        for a in self.anchor:
            if a >= 0:
                fixed[a] += 1
        bounds = balanced_bounds(capacities=[t.capacity for t in self.tables], fixed=fixed, n=n)
        self.lo = [b[0] for b in bounds]
        self.hi = [b[1] for b in bounds]
        self.slack = any(lo < hi for lo, hi in bounds)
        voices = sum(1 for p in self.people if role_of(p) == LIVED_EXPERIENCE)
        needy = sum(1 for lo in self.lo if lo > 0)
        self.voice_role = rindex.get(LIVED_EXPERIENCE, -1) if voices >= needy else -1
        self.cnt: list[int] = []
        self.seat: list[list[int]] = []
        self.members: list[list[list[int]]] = []
        self.rc: list[list[list[int]]] = []

    # ---- what the problem allows ----------------------------------------------------------

    def fresh(self) -> bool:
        """True when no two people present have met before (the history is irrelevant)."""
        return not any(self.base)

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

    # ---- rounds in and out ----------------------------------------------------------------

    def place(
        self, i: int, t: int, seat: list[int], members: list[list[int]], rc: list[list[int]]
    ) -> None:
        """Seat person ``i`` at table ``t`` of a round being filled (``seat``, ``members``,
        ``rc``), counting the meetings with the people already there."""
        n, cnt = self.n, self.cnt
        for x in members[t]:
            cnt[i * n + x] += 1
            cnt[x * n + i] += 1
        seat[i] = t
        members[t].append(i)
        if self.role[i] >= 0:
            rc[t][self.role[i]] += 1

    def push_round(self, seat_of: list[int]) -> None:
        """Append a round in which person ``i`` sits at table ``seat_of[i]``."""
        seat = [-1] * self.n
        members: list[list[int]] = [[] for _ in range(self.t)]
        rc = [[0] * self.nroles for _ in range(self.t)]
        for i in range(self.n):
            self.place(i, seat_of[i], seat, members, rc)
        self.seat.append(seat)
        self.members.append(members)
        self.rc.append(rc)

    def pop_round(self) -> None:
        """Drop the latest round and its meetings."""
        n, cnt = self.n, self.cnt
        self.seat.pop()
        self.rc.pop()
        for members in self.members.pop():
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    cnt[a * n + b] -= 1
                    cnt[b * n + a] -= 1

    def snapshot(self) -> list[list[int]]:
        return [list(s) for s in self.seat]

    def restore(self, seats: list[list[int]]) -> None:
        """Make the planned rounds those of ``seats`` (as taken by :meth:`snapshot`)."""
        self.cnt = list(self.base)
        self.seat, self.members, self.rc = [], [], []
        for s in seats:
            self.push_round(s)

    def seatings(self, seats: list[list[int]]) -> list[Seating]:
        return [{p.id: self.tables[s[i]].id for i, p in enumerate(self.people)} for s in seats]

    # ---- costs ----------------------------------------------------------------------------

    def role_add(self, counts: list[int], role: int) -> int:
        """Change of the role cost when someone of ``role`` joins a table with ``counts``."""
        if role < 0:
            return 0
        c = counts[role]
        d = 2 * c + 1
        if role == self.voice_role and c == 0:
            d -= MISSING_VOICE_PENALTY
        return d

    def role_remove(self, counts: list[int], role: int) -> int:
        """Change of the role cost when someone of ``role`` leaves a table with ``counts``."""
        if role < 0:
            return 0
        c = counts[role]
        d = 1 - 2 * c
        if role == self.voice_role and c == 1:
            d += MISSING_VOICE_PENALTY
        return d

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
                    total += MISSING_VOICE_PENALTY
        return total

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
                    total += MISSING_VOICE_PENALTY * (empty + max(0, occupied - k))
        return total

    # ---- moves ----------------------------------------------------------------------------

    def swap_delta(self, r: int, p: int, q: int) -> tuple[int, int]:
        """Change of ``(repeat cost, role cost)`` when ``p`` and ``q`` swap tables in round
        ``r``."""
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
            role = self.role_remove(rca, ra) + self.role_add(rcb, ra)
            role += self.role_remove(rcb, rb) + self.role_add(rca, rb)
        return rep, role

    def swap_role_delta(self, r: int, p: int, q: int) -> int:
        """Change of the role cost when ``p`` and ``q`` swap tables in round ``r``."""
        ra, rb = self.role[p], self.role[q]
        a, b = self.seat[r][p], self.seat[r][q]
        if ra == rb or a == b:
            return 0
        rca, rcb = self.rc[r][a], self.rc[r][b]
        d = self.role_remove(rca, ra) + self.role_add(rcb, ra)
        return d + self.role_remove(rcb, rb) + self.role_add(rca, rb)

    def move_delta(self, r: int, p: int, b: int) -> tuple[int, int]:
        """Change of ``(repeat cost, role cost)`` when ``p`` moves to table ``b`` in round
        ``r``."""
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
            role = self.role_remove(self.rc[r][a], ra) + self.role_add(self.rc[r][b], ra)
        return rep, role

    def move(self, r: int, p: int, b: int) -> None:
        """Move person ``p`` to table ``b`` in round ``r``."""
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
        self.place(p, b, seat, members, rc)
