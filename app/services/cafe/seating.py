"""Who sits where: seats read, late joiners seated, a table chosen or a person moved by hand,
the seating of a round and of every earlier one."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.cafe import (
    Cafe,
    CafeTable,
    Participant,
    Round,
    RoundStatus,
    Seat,
    SeatingMode,
    SeatingPublic,
    SeatPublic,
)
from app.services.cafe.cafes import current_round, tables_of
from app.services.cafe.people import people_of
from app.services.errors import Conflict, Forbidden, NotFound


def seat_of(*, session: Session, rnd: Round | None, person: Participant) -> CafeTable | None:
    if rnd is None:
        return None
    seat = session.exec(
        select(Seat).where(Seat.round_id == rnd.id, Seat.participant_id == person.id)
    ).first()
    return session.get(CafeTable, seat.table_id) if seat else None


def seats_of(*, session: Session, rnd: Round | None) -> dict[int, int]:
    """Person id -> table id in a round."""
    if rnd is None:
        return {}
    rows = session.exec(
        select(Seat.participant_id, Seat.table_id).where(Seat.round_id == rnd.id)
    ).all()
    return dict(rows)


def occupancy(*, session: Session, rnd: Round) -> dict[int, int]:
    rows = session.exec(
        select(Seat.table_id, func.count())
        .where(Seat.round_id == rnd.id)
        .join(Participant, col(Participant.id) == Seat.participant_id)
        .where(col(Participant.left_at).is_(None))
        .group_by(col(Seat.table_id))
    )
    return dict(rows.all())


def seat_late_joiner(*, session: Session, cafe: Cafe, rnd: Round, person: Participant) -> None:
    """Someone who joins a running round of a planned café: a seat at the emptiest table
    (not committed; the join commits it)."""
    tables = tables_of(session=session, cafe=cafe)
    counts = occupancy(session=session, rnd=rnd)
    open_tables = [t for t in tables if counts.get(t.id, 0) < t.capacity]
    if not open_tables:
        return  # every table is full: they wait as "unseated" for the facilitator
    # The emptiest table, then the one whose share of their role is smallest.
    roles = _roles_at(session, rnd)
    best = min(
        open_tables,
        key=lambda t: (
            counts.get(t.id, 0) / t.capacity,
            roles[t.id].count(person.role),
            t.number,
        ),
    )
    session.add(Seat(round_id=rnd.id, participant_id=person.id, table_id=best.id))


def _roles_at(session: Session, rnd: Round) -> dict[int, list[str | None]]:
    rows = session.exec(
        select(Seat.table_id, Participant.role)
        .join(Participant, col(Participant.id) == Seat.participant_id)
        .where(Seat.round_id == rnd.id)
    )
    roles: dict[int, list[str | None]] = defaultdict(list)
    for table_id, role in rows:
        roles[table_id].append(role)
    return roles


def choose_table(*, session: Session, cafe: Cafe, person: Participant, table_id: int) -> CafeTable:
    """Free seating: the person picks a table with room."""
    if cafe.seating_mode != SeatingMode.FREE:
        raise Forbidden(_("In this café the facilitator plans the seating."))
    rnd = current_round(session=session, cafe=cafe)
    if rnd is None or rnd.status == RoundStatus.ENDED:
        raise Conflict(_("Tables open when the next round starts."))
    if person.is_host:
        raise Conflict(_("Hosts stay at their table."))
    # Choices made at the same moment wait for each other: the person's row (one phone,
    # two taps) and then the table's (several phones, one table) are locked until the
    # commit, so the count below sees every seat taken before it. PostgreSQL needs the
    # locks; SQLite writes one transaction at a time anyway (and has no FOR UPDATE). The
    # café's row first: the seat moves its version on at the commit, and every other writer
    # (a rotation's claim above all) takes that row before any person's or table's.
    session.exec(select(Cafe.id).where(Cafe.id == cafe.id).with_for_update())
    session.exec(select(Participant.id).where(Participant.id == person.id).with_for_update())
    table = session.exec(
        select(CafeTable)
        .where(CafeTable.id == table_id, CafeTable.cafe_id == cafe.id)
        .with_for_update()
    ).first()
    if table is None:
        raise NotFound(_("No such table in this café."))
    existing = session.exec(
        select(Seat).where(Seat.round_id == rnd.id, Seat.participant_id == person.id)
    ).first()
    if existing is not None and existing.table_id == table.id:
        return table
    if occupancy(session=session, rnd=rnd).get(table_id, 0) >= table.capacity:
        raise Conflict(_("%(table)s is full. Please choose another table.", table=table.name))
    if existing is not None:
        existing.table_id = table_id
        session.add(existing)
    else:
        session.add(Seat(round_id=rnd.id, participant_id=person.id, table_id=table_id))
    session.commit()
    return table


def move_person(*, session: Session, cafe: Cafe, participant_id: int, table_id: int) -> Participant:
    """The facilitator moves someone by hand in the current round (capacity may be exceeded
    on purpose: the facilitator can see the room)."""
    person = session.get(Participant, participant_id)
    if person is None or person.cafe_id != cafe.id:
        raise NotFound(_("No such participant in this café."))
    table = session.get(CafeTable, table_id)
    if table is None or table.cafe_id != cafe.id:
        raise NotFound(_("No such table in this café."))
    rnd = current_round(session=session, cafe=cafe)
    if rnd is None:
        raise Conflict(_("Seats are given when the first round starts."))
    seat = session.exec(
        select(Seat).where(Seat.round_id == rnd.id, Seat.participant_id == participant_id)
    ).first()
    if seat is None:
        seat = Seat(round_id=rnd.id, participant_id=participant_id, table_id=table_id)
    seat.table_id = table_id
    session.add(seat)
    if person.is_host:
        person.home_table_id = table_id
        session.add(person)
    session.commit()
    return person


def seating(*, session: Session, cafe: Cafe, round_number: int | None) -> SeatingPublic:
    number = cafe.current_round if round_number is None else round_number
    rnd = session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == number)
    ).first()
    if rnd is None:
        raise NotFound(_("This café has no round %(number)s.", number=number))
    tables = {t.id: t for t in tables_of(session=session, cafe=cafe)}
    people = {p.id: p for p in people_of(session=session, cafe=cafe)}
    seats = []
    seated: set[int] = set()
    for seat in session.exec(select(Seat).where(Seat.round_id == rnd.id).order_by(col(Seat.id))):
        person = people.get(seat.participant_id)
        table = tables[seat.table_id]
        if person is None:
            continue
        seated.add(seat.participant_id)
        seats.append(
            SeatPublic(
                participant_id=seat.participant_id,
                display_name=person.display_name,
                role=person.role,
                is_host=person.is_host,
                table_id=seat.table_id,
                table_number=table.number,
                table_name=table.name,
            )
        )
    unseated = [pid for pid in people if pid not in seated]
    return SeatingPublic(cafe_id=cafe.id, round=number, seats=seats, unseated=unseated)


def seating_history(*, session: Session, cafe: Cafe, before: int) -> list[dict[int, int]]:
    rows = session.exec(
        select(Round.number, Seat.participant_id, Seat.table_id)
        .join(Round, col(Round.id) == Seat.round_id)
        .where(Round.cafe_id == cafe.id, Round.number < before)
        .order_by(col(Round.number))
    )
    by_round: dict[int, dict[int, int]] = defaultdict(dict)
    for number, person_id, table_id in rows:
        by_round[number][person_id] = table_id
    return [by_round[n] for n in sorted(by_round)]
