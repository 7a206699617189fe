"""Thirty-two people at eight tables of four for up to ten rounds without a repeated meeting:
a resolvable packing built over the field with eight elements.

Table hopping (:func:`app.services.rotation.constructions.field_start`) gives nine such
rounds at most, and the search alone leaves a dozen or more repeats in the tenth; this
construction reaches ten (every person then misses exactly one other person).

The people are 4 orbits of 8: person ``(v, i)`` for ``v`` in GF(8) and orbit ``i``; every
round is a union of translates (``v -> v + a``) of a few base tables, so two people meet as
often as their difference ``w - v`` (and their orbits) occurs in the base tables:

* six rounds translate the table ``{(x_0, 0), (x_1, 1), (x_2, 2), (x_3, 3)}`` with
  ``x_i = lambda_i * alpha**k`` (``alpha`` a primitive element, ``k = 0..4``) or all
  ``x_i = 0``: orbits ``i`` and ``j`` meet at differences ``0`` and
  ``(lambda_j - lambda_i) * alpha**k``, six distinct ones;
* three rounds pair the orbits up (``{01, 23}``, ``{02, 13}``, ``{03, 12}``): orbits ``i``
  and ``j`` sit at tables ``{(a, i), (a + h, i), (a + e, j), (a + e + h, j)}``, where
  ``{e, e + h}`` are the two differences the first six rounds left them; inside an orbit
  this meets difference ``h``, which differs for the three partners when the ``lambda``
  are not an affine plane;
* one round splits every orbit into the two cosets of a subgroup of order 4 avoiding the
  three differences ``h`` that orbit met.
"""

from __future__ import annotations

import itertools

from app.services.rotation.field import finite_field

ROUNDS = 10
PEOPLE = 32
TABLE_SIZE = 4
# lambda: four distinct field elements whose sum is not zero (not an affine plane)
_LAMBDA = (0, 1, 2, 4)
_PAIRINGS = (((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2)))


def golfer_rounds() -> list[list[list[int]]]:
    """The ten rounds, each as 8 tables of 4 people numbered ``8 * orbit + v``."""
    field = finite_field(8)
    assert field is not None
    add, mul = field
    alpha = next(a for a in range(2, 8) if len({_power(mul, a, k) for k in range(7)}) == 7)
    powers = [_power(mul, alpha, k) for k in range(7)]

    def person(v: int, orbit: int) -> int:
        return 8 * orbit + v

    def translates(base: list[tuple[int, int]], shifts: list[int]) -> list[list[int]]:
        return [sorted(person(add[v][a], i) for v, i in base) for a in shifts]

    rounds: list[list[list[int]]] = []
    starts = [[0, 0, 0, 0]] + [[mul[lam][powers[k]] for lam in _LAMBDA] for k in range(5)]
    for xs in starts:
        rounds.append(translates([(x, i) for i, x in enumerate(xs)], list(range(8))))
    met: dict[int, set[int]] = {i: set() for i in range(4)}
    for pairing in _PAIRINGS:
        tables: list[list[int]] = []
        for i, j in pairing:
            seen = {add[xs[j]][xs[i]] for xs in starts}  # characteristic 2: minus is plus
            e, f = (d for d in range(8) if d not in seen)
            h = add[e][f]
            met[i].add(h)
            met[j].add(h)
            shifts = _transversal(add, [0, h])
            tables += translates([(0, i), (h, i), (e, j), (f, j)], shifts)
        rounds.append(tables)
    last: list[list[int]] = []
    for i in range(4):
        group = _subgroup_avoiding(add, met[i])
        last += translates([(g, i) for g in group], _transversal(add, group))
    rounds.append(last)
    return rounds


def _power(mul: list[list[int]], a: int, k: int) -> int:
    x = 1
    for _ in range(k):
        x = mul[x][a]
    return x


def _transversal(add: list[list[int]], group: list[int]) -> list[int]:
    """One element of every coset of ``group`` (a subgroup of the field's addition)."""
    out: list[int] = []
    covered: set[int] = set()
    for a in range(8):
        if a not in covered:
            out.append(a)
            covered.update(add[a][g] for g in group)
    return out


def _subgroup_avoiding(add: list[list[int]], avoid: set[int]) -> list[int]:
    """The first subgroup of order 4 of the field's addition without an element of ``avoid``."""
    for a, b in itertools.combinations(range(1, 8), 2):
        group = [0, a, b, add[a][b]]
        if not avoid & set(group):
            return group
    raise AssertionError("no subgroup of order 4 avoids the differences")  # pragma: no cover
