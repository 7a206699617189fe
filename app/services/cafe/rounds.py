"""Rounds and their shared clock: starting the next round (the rotation, which seats
everyone), extending, pausing, resuming and ending the one running."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.cafe import (
    Cafe,
    CafeStatus,
    CafeTable,
    Person,
    Round,
    RoundStatus,
    Seat,
    SeatingMode,
)
from app.services.cafe.cafes import current_round, round_count, table_questions, tables_of
from app.services.cafe.forecast import (
    INSTANTS,
    Forecast,
    KnownPlans,
    StateInputs,
    keep_plan,
    planned_seating,
    row_values,
)
from app.services.cafe.people import people_of
from app.services.cafe.seating import seats_of
from app.services.cafe.state import CafeState, assemble_state
from app.services.errors import Conflict, Invalid
from app.services.rotation.model import PlanningError


@dataclass
class Rotation:
    """A round just started, and the café as it left it: the live views are drawn from this
    state without reading again what the rotation has in hand."""

    round: Round
    state: CafeState
    inputs: StateInputs


class Seated(NamedTuple):
    """What seating a round read and wrote."""

    people: list[Person]
    tables: list[CafeTable]
    before: dict[int, int]  # person id -> table id in the round before
    seats: dict[int, int]  # person id -> table id in the new round


def start_next_round(
    *, session: Session, cafe: Cafe, now: datetime, from_round: int | None = None
) -> Round:
    """Seat everyone for the next round and start its clock."""
    return rotate(session=session, cafe=cafe, now=now, from_round=from_round).round


def rotation_from(*, cafe: Cafe, from_round: int | None) -> int:
    """The round a rotation moves on from; refused (before anything is read) when the café
    is closed or has moved on from `from_round` already."""
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict(_("The café is closed."))
    expected = cafe.current_round if from_round is None else from_round
    if expected != cafe.current_round:
        raise Conflict(
            _(
                "Round %(number)s has already started; refresh to see the latest state.",
                number=cafe.current_round,
            )
        )
    return expected


def rotate(
    *,
    session: Session,
    cafe: Cafe,
    now: datetime,
    from_round: int | None = None,
    forecast: Forecast | None = None,
    plans: KnownPlans | None = None,
) -> Rotation:
    """`start_next_round`, also giving the café state after it.

    If the round was planned ahead (`forecast`, from `prepare_next_round`) and the café's
    version has not moved since, the forecast's seating is the plan and what it read is
    what would be read now: the rotation writes without reading them again (about half of
    its time for a thousand people). Otherwise the round is planned, and `plans` looked in
    first."""
    expected = rotation_from(cafe=cafe, from_round=from_round)
    nxt = session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == expected + 1)
    ).first()
    if nxt is None:
        raise Conflict(_("That was the last round. You can close the café now."))
    # Read before the claim below: it moves the café's round number on, in memory too.
    previous = current_round(session=session, cafe=cafe) if expected else None
    # Claim the rotation atomically: a second request for the same step updates no row.
    claimed = session.execute(
        update(Cafe)
        .where(col(Cafe.id) == cafe.id, col(Cafe.current_round) == expected)
        .values(current_round=expected + 1, status=CafeStatus.RUNNING, version=Cafe.version + 1)
        .returning(col(Cafe.version))
    ).first()
    if claimed is None:
        session.rollback()
        raise Conflict(_("Another rotation is already under way."))
    # The version before this claim: what it was when the forecast was read, if unchanged.
    if forecast is not None and (
        forecast.version != claimed[0] - 1 or forecast.inputs.round.get("id") != nxt.id
    ):
        forecast = None
    if previous is not None and previous.status != RoundStatus.ENDED:
        previous.status, previous.ended_at = RoundStatus.ENDED, now
        if previous.ends_at is None or previous.ends_at > now:
            previous.ends_at = now
        previous.paused_at = None
        session.add(previous)
    if forecast is not None:
        seated = _seat_as_forecast(session, nxt, forecast)
        questions, total_rounds = forecast.inputs.questions, forecast.inputs.total_rounds
    else:
        seated = _seat_round(session, cafe, nxt, previous, plans)
        questions = table_questions(session=session, rnd=nxt)
        total_rounds = round_count(session=session, cafe=cafe)
    if cafe.seating_mode != SeatingMode.FREE:
        # The plan of the rounds after this one, for whichever process seats the next.
        keep_plan(
            session=session,
            cafe=cafe,
            number=nxt.number,
            people=seated.people,
            tables=seated.tables,
            seated=seated.seats,
            plans=plans,
        )
    nxt.status = RoundStatus.RUNNING
    nxt.starts_at = now
    nxt.ends_at = now + timedelta(minutes=nxt.minutes)
    session.add(nxt)
    session.commit()
    session.refresh(cafe)
    return _rotation(cafe, nxt, seated, questions, total_rounds, now)


def _rotation(
    cafe: Cafe,
    nxt: Round,
    seated: Seated,
    questions: Mapping[int, str],
    total_rounds: int,
    now: datetime,
) -> Rotation:
    """The round just started, with the state it leaves and what that was assembled from."""
    inputs = StateInputs(
        cafe=row_values(cafe),
        round=row_values(nxt, *INSTANTS),
        people=seated.people,
        tables=[row_values(t) for t in seated.tables],
        questions=questions,
        seats=seated.seats,
        previous=seated.before,
        total_rounds=total_rounds,
    )
    state = assemble_state(
        cafe=cafe,
        rnd=nxt,
        people=seated.people,
        tables=seated.tables,
        questions=questions,
        seats=seated.seats,
        previous=seated.before,
        total_rounds=total_rounds,
        now=now,
    )
    return Rotation(round=nxt, state=state, inputs=inputs)


def _seat_round(
    session: Session, cafe: Cafe, nxt: Round, previous: Round | None, plans: KnownPlans | None
) -> Seated:
    tables = tables_of(session=session, cafe=cafe)
    people = people_of(session=session, cafe=cafe)
    now_at = seats_of(session=session, rnd=previous)
    if cafe.seating_mode == SeatingMode.FREE:
        # Hosts and people who can't move keep their place; everyone else picks.
        kept: dict[int, int] = {}
        for person in people:
            home = person.home_table_id or (now_at.get(person.id) if person.cannot_move else None)
            if (person.is_host or person.cannot_move) and home is not None:
                kept[person.id] = home
        if kept:
            _insert_seats(session, nxt.id, kept)
        return Seated(people, tables, now_at, kept)
    try:
        planned = planned_seating(
            session=session,
            cafe=cafe,
            number=nxt.number,
            people=people,
            tables=tables,
            now_at=now_at,
            plans=plans,
        )
    except PlanningError as exc:
        raise Conflict(
            _(
                "The seating cannot be planned: more hosts or people who can't move are at one "
                "table than it has seats (%(detail)s). Move someone by hand or change a host.",
                detail=exc,
            )
        ) from exc
    if planned:
        _insert_seats(session, nxt.id, planned)
    return Seated(people, tables, now_at, planned)


def _seat_as_forecast(session: Session, nxt: Round, forecast: Forecast) -> Seated:
    """The seating planned ahead, written: the café is as the forecast read it."""
    inputs = forecast.inputs
    planned = dict(inputs.seats)
    if planned:
        _insert_seats(session, nxt.id, planned)
    return Seated(list(inputs.people), list(forecast.tables), dict(inputs.previous), planned)


# The start of the seats' bulk insert.
_INSERT_SEATS = (
    f"INSERT INTO {Seat.__tablename__} "  # not shown to people
    "(round_id, participant_id, table_id) "
)


def _insert_seats(session: Session, round_id: int, seats: Mapping[int, int]) -> None:
    """A round's seats straight to the driver: the ORM's bulk insert of a thousand rows costs
    more than the planning, and Core's still works every row's parameters through its bind
    processing (1,000 seats: 5.2-7.5 -> 2.9-4.6 ms on SQLite, 42-44 -> 23-39 ms on PostgreSQL,
    here). On PostgreSQL in ONE statement, the people and their tables as two arrays, not one
    execution per seat (1,000 seats in a rotation: 17-19.5 -> 12.4-12.5 ms, most of the rest
    being the foreign keys' checks); elsewhere one executemany."""
    conn = session.connection()
    rows = seats.items()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            _INSERT_SEATS + "SELECT %s, person_id, table_id "
            "FROM unnest(%s::integer[], %s::integer[]) AS seat(person_id, table_id)",
            (round_id, [person for person, _ in rows], [table for _, table in rows]),
        )
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        _INSERT_SEATS + f"VALUES ({mark}, {mark}, {mark})",
        [(round_id, person_id, table_id) for person_id, table_id in rows],
    )


# --- the clock of the round running ------------------------------------------------------


def _running(session: Session, cafe: Cafe) -> Round:
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict(_("The café is closed."))
    rnd = current_round(session=session, cafe=cafe)
    if rnd is None:
        raise Conflict(_("No round has started yet."))
    if rnd.status == RoundStatus.ENDED:
        raise Conflict(
            _(
                "Round %(number)s has ended. Start the next round or close the café.",
                number=rnd.number,
            )
        )
    return rnd


def extend_round(*, session: Session, cafe: Cafe, minutes: int, now: datetime) -> Round:
    """Give the current round more time."""
    if not 1 <= minutes <= 60:
        raise Invalid(_("Extend by 1 to 60 minutes."))
    rnd = _running(session, cafe)
    assert rnd.ends_at is not None
    # A round whose clock already ran out restarts counting from now.
    base = rnd.ends_at if rnd.status == RoundStatus.PAUSED else max(rnd.ends_at, now)
    rnd.ends_at = base + timedelta(minutes=minutes)
    session.add(rnd)
    session.commit()
    return rnd


def pause_round(*, session: Session, cafe: Cafe, now: datetime) -> Round:
    rnd = _running(session, cafe)
    if rnd.status == RoundStatus.PAUSED:
        raise Conflict(_("The round is already paused."))
    rnd.status, rnd.paused_at = RoundStatus.PAUSED, now
    session.add(rnd)
    session.commit()
    return rnd


def resume_round(*, session: Session, cafe: Cafe, now: datetime) -> Round:
    rnd = _running(session, cafe)
    if rnd.status != RoundStatus.PAUSED or rnd.paused_at is None or rnd.ends_at is None:
        raise Conflict(_("The round is not paused."))
    rnd.ends_at = rnd.ends_at + (now - rnd.paused_at)
    rnd.status, rnd.paused_at = RoundStatus.RUNNING, None
    session.add(rnd)
    session.commit()
    return rnd


def end_round(*, session: Session, cafe: Cafe, now: datetime) -> Round:
    """End the current round early; people stay seated until the next one starts."""
    rnd = _running(session, cafe)
    rnd.status, rnd.ended_at, rnd.ends_at, rnd.paused_at = RoundStatus.ENDED, now, now, None
    session.add(rnd)
    session.commit()
    return rnd
