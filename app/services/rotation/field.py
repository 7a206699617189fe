"""Finite field arithmetic: the addition and multiplication tables behind table hopping."""

from __future__ import annotations

import functools
from collections.abc import Sequence


@functools.cache
def finite_field(q: int) -> tuple[list[list[int]], list[list[int]]] | None:
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
