"""Python's garbage collector, tuned for a room full of phones: objects made at start-up
frozen and young objects collected in bulk (`tune_gc`), and held back while one event wakes
a café's phones (`hold`/`release`, called by the hub)."""

from __future__ import annotations

import gc

# Python's cyclic garbage collector, at its default thresholds, ran about 1,200 times in a
# minute of a busy café (1,000 phones, 100 posts a second): 4 s of one CPU, with pauses up
# to 0.46 s during which no phone was answered. Objects made at start-up (modules, templates,
# the app) are moved out of its way, and young objects are collected after 50,000 net
# allocations instead of 700: 8 collections, 0.2 s in all, the longest 33 ms
# (bench/README.md, "Where the time goes"). Cycles are still collected, later and in bulk.
GC_THRESHOLDS = (50_000, 20, 100)
_gc_tuned = False


def tune_gc() -> None:
    """Once per process, when the first app starts."""
    global _gc_tuned
    if _gc_tuned:
        return
    _gc_tuned = True
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


# An event handed to this many local subscribers at once (a round start to a café's phones)
# holds Python's garbage collector back until each of them has had its first turn. The app
# runs the collector after 50,000 allocations (`GC_THRESHOLDS`); a fan-out to 1,000
# phones makes a good share of that, so about one round start in three met a collection,
# 11-22 ms during which no phone was sent its table. Held, the collection comes just after.
FAN_OUT = 64
_held = False


def hold() -> bool:
    """Turn the collector off if it is on; True if this call did (and must release it)."""
    global _held
    if _held or not gc.isenabled():
        return False
    gc.disable()
    _held = True
    return True


def release() -> None:
    """Turn the collector back on if `hold` turned it off."""
    global _held
    if _held:
        _held = False
        gc.enable()
