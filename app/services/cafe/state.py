"""The live café as its views read it: the café state read in one go (`CafeState`), its
tables (`TableView`), and each person's view of it (`Moment`, `ParticipantState`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlmodel import Session, col, select

from app.models.cafe import (
    Cafe,
    CafeStatus,
    CafeTable,
    Participant,
    Person,
    Round,
    RoundStatus,
    Seat,
    SeatingMode,
    Someone,
)
from app.services.cafe.cafes import (
    current_round,
    round_count,
    seconds_left,
    table_questions,
    tables_of,
)
from app.services.cafe.people import people_of, some_people_of
from app.services.cafe.seating import seats_of

MOVE_CALL_SECONDS = 120  # how long "Go to Table N" stays prominent after a rotation


@dataclass
class TableView:
    table: CafeTable
    people: list[Person] = field(default_factory=list)
    question: str = ""

    @property
    def has_room(self) -> bool:
        return len(self.people) < self.table.capacity


@dataclass
class Moment:
    """What a participant's view holds besides the person: the same for everyone who sits
    at the same table now and either stayed there from the round before or did not."""

    cafe: Cafe
    round: Round | None
    table: CafeTable | None
    question: str
    seconds_left: int | None
    tablemates: list[Person]
    move_call: int  # seconds "Go to Table N" still shows (0: not at all)
    open_tables: list[TableView]
    stay_call: int  # seconds "Stay at Table N" still shows, for who did not move


@dataclass
class CafeState:
    """Everything the live views of one café need, read in one go.

    Built once per event per process and shared by every connection of that café, so a
    rotation costs a handful of queries however many phones are watching.
    """

    cafe: Cafe
    round: Round | None
    seconds_left: int | None
    read_at: datetime
    tables: list[TableView]
    unseated: list[Person]
    late_joiners: set[int]
    total_rounds: int
    participants: int
    table_of: dict[int, int] = field(default_factory=dict)
    previous_table_of: dict[int, int] = field(default_factory=dict)
    # Before the first round: its question, for the projector while people join.
    first_question: str = ""

    @property
    def next_round_exists(self) -> bool:
        return self.cafe.current_round < self.total_rounds

    # Participant views worked out once per (table, stayed there) after an event.
    moments: dict[tuple[int | None, bool], Moment] = field(default_factory=dict, repr=False)

    @cached_property
    def table_rows(self) -> list[CafeTable]:
        return [v.table for v in self.tables]

    # Plain values every phone reads at every event: an ORM attribute is a descriptor call.
    @cached_property
    def round_id(self) -> int | None:
        return self.round.id if self.round is not None else None

    @cached_property
    def free_seating(self) -> bool:
        return self.cafe.seating_mode == SeatingMode.FREE

    @cached_property
    def people_by_id(self) -> dict[int, Person]:
        """Everyone in the café, seated or not, by id: each phone looks itself up."""
        people = {p.id: p for p in self.unseated}
        for view in self.tables:
            people.update((p.id, p) for p in view.people)
        return people

    @cached_property
    def _views_by_id(self) -> dict[int | None, TableView]:
        return {v.table.id: v for v in self.tables}

    def table_view(self, table_id: int | None) -> TableView | None:
        # Every phone asks this twice per event: a dict, not a scan of every table.
        return self._views_by_id.get(table_id) if table_id is not None else None

    def move_call_seconds(self, now: datetime) -> int:
        """How much longer the call to move stays up after a round starts (0: it is down).
        The page's script takes it down when the time is up; without a script, the next
        refresh does."""
        rnd = self.round
        if rnd is None or rnd.status == RoundStatus.ENDED or rnd.starts_at is None:
            return 0
        return max(0, math.ceil(MOVE_CALL_SECONDS - (now - rnd.starts_at).total_seconds()))

    def seconds_left_now(self, now: datetime) -> int | None:
        if self.seconds_left is None or self.round is None:
            return None
        if self.round.status != RoundStatus.RUNNING:
            return self.seconds_left
        return max(0, self.seconds_left - int((now - self.read_at).total_seconds()))


def cafe_state(*, session: Session, cafe: Cafe, now: datetime) -> CafeState:
    rnd = current_round(session=session, cafe=cafe)
    seats: dict[int, int] = {}
    previous: dict[int, int] = {}
    questions: dict[int, str] = {}
    first_question = ""
    if rnd is None:
        first_question = (
            session.exec(
                select(Round.question).where(Round.cafe_id == cafe.id, Round.number == 1)
            ).first()
            or ""
        )
    else:
        questions = table_questions(session=session, rnd=rnd)
        seats = seats_of(session=session, rnd=rnd)
        if rnd.number > 1:
            previous = dict(
                session.exec(
                    select(Seat.participant_id, Seat.table_id)
                    .join(Round, col(Round.id) == Seat.round_id)
                    .where(Round.cafe_id == cafe.id, Round.number == rnd.number - 1)
                ).all()
            )
    return assemble_state(
        cafe=cafe,
        rnd=rnd,
        people=people_of(session=session, cafe=cafe),
        tables=tables_of(session=session, cafe=cafe),
        questions=questions,
        seats=seats,
        previous=previous,
        total_rounds=round_count(session=session, cafe=cafe),
        now=now,
        first_question=first_question,
    )


def person_state(
    *,
    session: Session,
    cafe: Cafe,
    person_id: int,
    now: datetime,
    known: Participant | None = None,
) -> CafeState:
    """The café state as one person's own page needs it (`participant_view`): the round and
    the tables, and of the people only those at this person's table. A page load then reads
    a table's worth of rows, not the whole room's: when a room of 1,000 joins at once, every
    new phone's first page read everyone (O(n) each, the largest cost of a join; 2026-12-06).
    Free seating shows who is at every table, so there it is the whole `cafe_state`."""
    if cafe.seating_mode == SeatingMode.FREE:
        return cafe_state(session=session, cafe=cafe, now=now)
    rnd = current_round(session=session, cafe=cafe)
    seats: dict[int, int] = {}
    previous: dict[int, int] = {}
    questions: dict[int, str] = {}
    mine: int | None = None
    if rnd is not None:
        questions = table_questions(session=session, rnd=rnd)
        mine = session.exec(
            select(Seat.table_id).where(Seat.round_id == rnd.id, Seat.participant_id == person_id)
        ).first()
        if mine is not None:
            seats = dict(
                session.exec(
                    select(Seat.participant_id, Seat.table_id).where(
                        Seat.round_id == rnd.id, Seat.table_id == mine
                    )
                ).all()
            )
        if rnd.number > 1:
            before = session.exec(
                select(Seat.table_id)
                .join(Round, col(Round.id) == Seat.round_id)
                .where(
                    Round.cafe_id == cafe.id,
                    Round.number == rnd.number - 1,
                    Seat.participant_id == person_id,
                )
            ).first()
            previous = {} if before is None else {person_id: before}
    return assemble_state(
        cafe=cafe,
        rnd=rnd,
        people=_people_at(session, cafe, person_id, seats, known),
        # Their own table only: the others are shown only under free seating.
        tables=[table] if mine is not None and (table := session.get(CafeTable, mine)) else [],
        questions=questions,
        seats=seats,
        previous=previous,
        total_rounds=round_count(session=session, cafe=cafe),
        now=now,
    )


def _people_at(
    session: Session,
    cafe: Cafe,
    person_id: int,
    seats: Mapping[int, int],
    known: Participant | None,
) -> list[Person]:
    """The person and those at their table. Someone not seated (before the first round, or
    joined since it started) is alone: `known`, their row as the request already read it
    (still in the café), needs no second read."""
    if not (set(seats) - {person_id}) and known is not None and known.id == person_id:
        if known.left_at is None:
            return [Person._make(getattr(known, name) for name in Person._fields)]
    return some_people_of(session=session, cafe=cafe, ids=[person_id, *seats])


def assemble_state(
    *,
    cafe: Cafe,
    rnd: Round | None,
    people: list[Person],
    tables: list[CafeTable],
    questions: Mapping[int, str],
    seats: Mapping[int, int],
    previous: dict[int, int],
    total_rounds: int,
    now: datetime,
    first_question: str = "",
) -> CafeState:
    """The café state from what was read (or, after a rotation, just written): the one
    place that decides what the live views are given."""
    views = {t.id: TableView(table=t) for t in tables}
    table_of: dict[int, int] = {}
    late: set[int] = set()
    if rnd is not None:
        for view in views.values():
            view.question = questions.get(view.table.id, rnd.question)
        by_id = {p.id: p for p in people}
        for participant_id, table_id in seats.items():
            person = by_id.get(participant_id)
            if person is not None and table_id in views:
                views[table_id].people.append(person)
                table_of[participant_id] = table_id
        for view in views.values():
            view.people.sort()  # by id, the first field
        if rnd.starts_at is not None:
            late = {p.id for p in people if p.joined_at > rnd.starts_at}
    return CafeState(
        cafe=cafe,
        round=rnd,
        seconds_left=seconds_left(rnd=rnd, now=now) if rnd else None,
        read_at=now,
        tables=list(views.values()),
        unseated=[p for p in people if p.id not in table_of],
        late_joiners=late,
        total_rounds=total_rounds,
        participants=len(people),
        table_of=table_of,
        previous_table_of=previous,
        first_question=first_question,
    )


@dataclass
class ParticipantState(Moment):
    """One person's view: the moment at their table, and who they are."""

    person: Someone


def participant_view(*, state: CafeState, person: Someone, now: datetime) -> ParticipantState:
    """One person's view, derived from the shared café state."""
    pid = person.id
    table_id = state.table_of.get(pid)
    previous_id = state.previous_table_of.get(pid)
    stayed = previous_id is not None and previous_id == table_id
    # After an event every phone draws as of the state's reading: what a person sees then
    # depends only on their table and whether they just moved to it, so the people who
    # arrive at a table share one working-out and those who stayed share another.
    shared = now is state.read_at
    moment = state.moments.get((table_id, stayed)) if shared else None
    if moment is None:
        moment = _moment(state, table_id, stayed, now)
        if shared:
            state.moments[(table_id, stayed)] = moment
    return ParticipantState(person=person, **vars(moment))


def _moment(state: CafeState, table_id: int | None, stayed: bool, now: datetime) -> Moment:
    """Everything of a participant's view but the person."""
    rnd, cafe = state.round, state.cafe
    view = state.table_view(table_id)
    table = view.table if view else None
    running = rnd is not None and rnd.status != RoundStatus.ENDED
    open_tables = (
        state.tables
        if running and cafe.seating_mode == SeatingMode.FREE and cafe.status != CafeStatus.CLOSED
        else []
    )
    call = state.move_call_seconds(now) if table is not None else 0
    move_call, stay_call = (0, call) if stayed else (call, 0)
    return Moment(
        cafe=cafe,
        round=rnd,
        table=table,
        question=(view.question if view else rnd.question) if rnd else "",
        seconds_left=state.seconds_left_now(now),
        tablemates=view.people if view else [],
        move_call=move_call,
        open_tables=open_tables,
        stay_call=stay_call,
    )
