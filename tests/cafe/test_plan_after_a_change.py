"""When the room changes mid-café, the rest of it is planned again from the plan it was
following (`planner.plan_rounds`'s `earlier`, read from the kept `seat_plan`): someone
leaving changes nobody else's seats, and a newcomer is fitted into the plan."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from app.live import plans
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.services.cafe import participants as participant_service
from app.services.cafe import seating as seating_service
from app.services.rotation import planner
from app.services.rotation.costs import repeated_meetings
from tests.factories import make_cafe, make_participant


def rounds(count: int) -> list[dict[str, Any]]:
    return [{"question": f"Question {n}", "minutes": 10} for n in range(1, count + 1)]


@pytest.fixture
def plans_made(monkeypatch: pytest.MonkeyPatch) -> list[list[dict[int, int]]]:
    """The plans the planner works out, with the plan each started from."""
    calls: list[list[dict[int, int]]] = []
    real = planner.plan_rounds

    def counted(*args: Any, **kwargs: Any) -> list[dict[int, int]]:
        plan = real(*args, **kwargs)
        calls.append(plan)
        return plan

    monkeypatch.setattr(planner, "plan_rounds", counted)
    plans.PLANS.clear()
    return calls


def test_someone_leaving_changes_nobody_elses_seats(
    session: Session, facilitator: Facilitator, plans_made: list[list[dict[int, int]]]
) -> None:
    """32 people at 8 tables of 4 over 10 rounds meet nobody twice; one leaves after round 2,
    and another process (nothing in memory) seats round 3: everyone else sits where the
    café's plan said, in round 3 and after, and still nobody meets anyone twice (planned
    afresh from the history alone, the other 31 met again 15 times)."""
    cafe = make_cafe(session, facilitator, table_count=8, table_capacity=4, rounds=rounds(10))
    people = [make_participant(session, cafe, f"Person {n}") for n in range(32)]
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    (whole,) = plans_made
    assert repeated_meetings(whole) == 0
    gone = people[5]
    participant_service.leave(session=session, person=gone, now=utcnow())
    plans.PLANS.clear()  # as in another worker
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    assert len(plans_made) == 2  # the room changed: planned again
    again = plans_made[1]
    stay = {p.id for p in people} - {gone.id}
    assert [{i: s[i] for i in stay} for s in again] == [{i: s[i] for i in stay} for s in whole[2:]]
    for _later in range(4, 11):
        plans.PLANS.clear()
        plans.rotate(session=session, cafe=cafe, now=utcnow())
    assert len(plans_made) == 2
    played = seating_service.seating_history(session=session, cafe=cafe, before=11)
    assert repeated_meetings(played) == 0
    assert all(gone.id not in seating for seating in played[2:])


def test_a_newcomer_is_fitted_into_the_plan_and_meets_nobody_twice(
    session: Session, facilitator: Facilitator, plans_made: list[list[dict[int, int]]]
) -> None:
    """15 people at 4 tables of 4: a 16th joins after round 2 and takes the free seats of
    the café's plan; they meet nobody twice and nobody else meets anyone twice either."""
    cafe = make_cafe(session, facilitator, table_count=4, table_capacity=4, rounds=rounds(5))
    for n in range(15):
        make_participant(session, cafe, f"Person {n}")
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    late = make_participant(session, cafe, "Late joiner")
    plans.PLANS.clear()
    for _later in (3, 4, 5):
        plans.rotate(session=session, cafe=cafe, now=utcnow())
    assert len(plans_made) == 2
    played = seating_service.seating_history(session=session, cafe=cafe, before=6)
    assert all(late.id in seating for seating in played[2:])
    met = [
        other
        for seating in played[2:]
        for other, table in seating.items()
        if other != late.id and table == seating[late.id]
    ]
    assert len(met) == len(set(met)) >= 3 * 2
    assert repeated_meetings(played) == 0
