"""Rotation planner for World Café rounds.

Pure functions over plain dataclasses: no database, no web framework.  Given the people in the
room, the tables and the seatings of the rounds already played, the planner decides where everyone
sits next.  Rules, in priority order:

1. Hosts and people who cannot move stay where they are (their ``current_table``; failing that the
   table they had in the most recent round of ``history``; failing that they are spread over the
   tables before anyone else is placed and then stay there).
2. No table is over capacity and table sizes are balanced: see :func:`problem.size_bounds`.
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

``planner.plan_rounds`` searches all remaining rounds jointly, so it can undo a choice in an
early round that blocks a later one; ``planner.plan_next_round`` is the one-round case.

Modules: ``model`` (people, tables, roles, the error), ``costs`` (the metrics and the weights),
``problem`` (validation, fixed people's tables, size bounds), ``schedule`` (the mutable schedule
with its moves), ``field`` (finite fields), ``constructions`` (the starts), ``search`` (annealing,
tabu, polish), ``planner`` (the entry points).
"""
