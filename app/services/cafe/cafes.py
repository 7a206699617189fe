"""The live café: creation, joining, rounds with a shared clock, seating and rotation."""

from __future__ import annotations

import math
import secrets
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, Connection, bindparam, func, update
from sqlalchemy import Select as CoreSelect
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import Select

from app.models.accounts import Facilitator
from app.models.base import as_loaded, columns_of
from app.models.cafe import (
    Cafe,
    CafeCreate,
    CafePublic,
    CafeStatus,
    CafeTable,
    CafeUpdate,
    Participant,
    Person,
    Round,
    RoundPublic,
    RoundStatus,
    Seat,
    SeatingMode,
    SeatingPublic,
    SeatPublic,
    Someone,
    StakeholderRole,
    TablePublic,
    TableQuestion,
)
from app.services import rotation
from app.services.errors import Conflict, Forbidden, Invalid, NotFound

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# No 0/O, 1/I/L: codes are read off a projector and typed on small keyboards.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
MOVE_CALL_SECONDS = 120  # how long "Go to Table N" stays prominent after a rotation


def normalise_code(raw: str) -> str:
    """Upper-case, drop spaces and dashes, read look-alikes as the letters we use."""
    cleaned = raw.strip().upper().replace(" ", "").replace("-", "")
    cleaned = cleaned.replace("0", "O").replace("1", "I")
    # O and I are not in the alphabet: a typed O or 0 cannot be part of a code.
    if not cleaned or len(cleaned) > 12 or any(c not in CODE_ALPHABET for c in cleaned):
        return ""
    return cleaned


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# --- creation and reading ----------------------------------------------------------------


def create_cafe(*, session: Session, facilitator: Facilitator, data: CafeCreate) -> Cafe:
    """Create a café with its tables and rounds, all in one transaction."""
    assert facilitator.id is not None
    specs = data.tables or []
    if not specs:
        from app.models.cafe import TableSpec

        specs = [TableSpec(capacity=data.table_capacity) for _ in range(data.table_count or 0)]
    for _attempt in range(10):
        cafe = Cafe(
            facilitator_id=facilitator.id,
            title=data.title.strip(),
            purpose=data.purpose.strip(),
            code=new_code(),
            seating_mode=data.seating_mode,
            names_visible=data.names_visible,
            reaction_budget=data.reaction_budget,
            premoderation=data.premoderation,
        )
        if not cafe.title:
            raise Invalid("Give the café a title.")
        session.add(cafe)
        try:
            session.flush()
        except IntegrityError:  # code collision: vanishingly rare, try another
            session.rollback()
            continue
        break
    else:  # pragma: no cover
        raise Conflict("Could not find a free join code; please try again.")
    assert cafe.id is not None
    tables = []
    for number, spec in enumerate(specs, start=1):
        name = (spec.name or "").strip() or f"Table {number}"
        table = CafeTable(cafe_id=cafe.id, number=number, name=name, capacity=spec.capacity)
        session.add(table)
        tables.append(table)
    session.flush()
    for number, round_spec in enumerate(data.rounds, start=1):
        rnd = Round(
            cafe_id=cafe.id,
            number=number,
            question=round_spec.question.strip(),
            minutes=round_spec.minutes,
        )
        session.add(rnd)
        session.flush()
        assert rnd.id is not None
        for tq in round_spec.table_questions:
            table_id = tables[tq.table - 1].id
            assert table_id is not None
            session.add(
                TableQuestion(round_id=rnd.id, table_id=table_id, question=tq.question.strip())
            )
    session.commit()
    session.refresh(cafe)
    return cafe


def list_cafes(*, session: Session, facilitator: Facilitator) -> list[Cafe]:
    return list(
        session.exec(
            select(Cafe).where(Cafe.facilitator_id == facilitator.id).order_by(col(Cafe.id).desc())
        )
    )


def get_owned(*, session: Session, facilitator: Facilitator, cafe_id: int) -> Cafe:
    """A café the facilitator runs; someone else's café is reported as missing."""
    cafe = session.get(Cafe, cafe_id)
    if cafe is None or cafe.facilitator_id != facilitator.id:
        raise NotFound("No such café.")
    return cafe


def get_by_code(*, session: Session, code: str) -> Cafe | None:
    cleaned = normalise_code(code)
    if not cleaned:
        return None
    return session.exec(select(Cafe).where(Cafe.code == cleaned)).first()


def tables_of(session: Session, cafe: Cafe) -> list[CafeTable]:
    return list(
        session.exec(
            select(CafeTable).where(CafeTable.cafe_id == cafe.id).order_by(col(CafeTable.number))
        )
    )


def rounds_of(session: Session, cafe: Cafe) -> list[Round]:
    return list(
        session.exec(select(Round).where(Round.cafe_id == cafe.id).order_by(col(Round.number)))
    )


def current_round(session: Session, cafe: Cafe) -> Round | None:
    if cafe.current_round == 0:
        return None
    return session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == cafe.current_round)
    ).first()


def seconds_left(rnd: Round, now: datetime) -> int | None:
    if rnd.ends_at is None:
        return None
    if rnd.status == RoundStatus.ENDED:
        return 0
    reference = rnd.paused_at if rnd.status == RoundStatus.PAUSED and rnd.paused_at else now
    return max(0, int((rnd.ends_at - reference).total_seconds()))


def table_questions(session: Session, rnd: Round) -> dict[int, str]:
    rows = session.exec(select(TableQuestion).where(TableQuestion.round_id == rnd.id))
    return {row.table_id: row.question for row in rows}


def question_for(session: Session, rnd: Round, table_id: int | None) -> str:
    if table_id is not None:
        override = session.exec(
            select(TableQuestion).where(
                TableQuestion.round_id == rnd.id, TableQuestion.table_id == table_id
            )
        ).first()
        if override:
            return override.question
    return rnd.question


def cafe_public(*, session: Session, cafe: Cafe, base_url: str, now: datetime) -> CafePublic:
    tables = tables_of(session, cafe)
    numbers = {t.id: t.number for t in tables}
    rounds = []
    for rnd in rounds_of(session, cafe):
        public = RoundPublic.model_validate(rnd, from_attributes=True)
        public.seconds_left = seconds_left(rnd, now)
        public.table_questions = {numbers[k]: v for k, v in table_questions(session, rnd).items()}
        rounds.append(public)
    return CafePublic(
        **cafe.model_dump(exclude={"facilitator_id", "version"}),
        join_url=join_url(base_url, cafe),
        tables=[
            TablePublic.model_validate(t, from_attributes=True).model_copy(
                update={"host_url": f"{join_url(base_url, cafe)}?host={t.host_token}"}
            )
            for t in tables
        ],
        rounds=rounds,
    )


def join_url(base_url: str, cafe: Cafe) -> str:
    return f"{base_url.rstrip('/')}/j/{cafe.code}"


# --- participants --------------------------------------------------------------------------


def join(
    *,
    session: Session,
    cafe: Cafe,
    display_name: str,
    role: str | None,
    cannot_move: bool,
    large_text: bool,
    easy_read: bool,
    now: datetime,
    host_token: str | None = None,
    join_key: str | None = None,
) -> Participant:
    """Add a person to the café; during a running round they are seated at once.

    `join_key` comes from the join form: the same form sent again (its answer, which set
    the phone's cookie, was lost) gives back the person it made, not a second one."""
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict("This café has closed, so the code no longer works.")
    name = " ".join(display_name.split())
    if not name:
        raise Invalid("Choose a name to be known by today. A made-up name is fine.")
    if len(name) > 40:
        raise Invalid("Please keep your name to 40 characters or fewer.")
    if role is not None and role not in {r.value for r in StakeholderRole}:
        raise Invalid("Choose one of the roles in the list, or leave it blank.")
    assert cafe.id is not None
    if join_key:
        earlier = _joined_with(session, cafe, join_key)
        if earlier is not None and earlier.left_at is None:
            return earlier
        if earlier is not None:
            join_key = None  # they left since; this is a new visit
    person = Participant(
        cafe_id=cafe.id,
        display_name=name,
        role=role or None,
        cannot_move=cannot_move,
        large_text=large_text,
        easy_read=easy_read,
        secret=secrets.token_urlsafe(24),
        joined_at=now,
        join_key=join_key or None,
    )
    host_table = _host_table(session, cafe, host_token) if host_token else None
    if host_table is not None:
        person.is_host, person.home_table_id = True, host_table.id
    session.add(person)
    try:
        session.flush()
    except IntegrityError:
        # The same form twice at once (a double tap): the other request made the person.
        session.rollback()
        earlier = _joined_with(session, cafe, join_key or "")
        if earlier is None:
            raise
        return earlier
    rnd = current_round(session, cafe)
    if rnd is not None and rnd.status != RoundStatus.ENDED:
        if host_table is not None:
            assert rnd.id is not None and person.id is not None and host_table.id is not None
            session.add(Seat(round_id=rnd.id, participant_id=person.id, table_id=host_table.id))
        elif cafe.seating_mode == SeatingMode.PLANNED:
            _seat_late_joiner(session, cafe, rnd, person)
    session.commit()
    session.refresh(person)
    return person


def _joined_with(session: Session, cafe: Cafe, join_key: str) -> Participant | None:
    return session.exec(
        select(Participant).where(Participant.cafe_id == cafe.id, Participant.join_key == join_key)
    ).first()


def _host_table(session: Session, cafe: Cafe, host_token: str) -> CafeTable:
    table = session.exec(
        select(CafeTable).where(CafeTable.cafe_id == cafe.id, CafeTable.host_token == host_token)
    ).first()
    if table is None:
        raise Invalid("This host link is not valid for this café. Ask the facilitator.")
    return table


def take_host_link(
    *, session: Session, cafe: Cafe, person: Participant, host_token: str
) -> Participant:
    """Someone already in the café opens a table's host link: they become its host (and sit
    there if a round is on), rather than joining a second time."""
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict("This café has closed, so the code no longer works.")
    table = _host_table(session, cafe, host_token)
    assert person.id is not None
    return set_host(session=session, cafe=cafe, participant_id=person.id, table_id=table.id)


def update_needs(
    *,
    session: Session,
    person: Participant,
    display_name: str,
    role: str | None,
    cannot_move: bool,
    large_text: bool,
    easy_read: bool,
) -> Participant:
    name = " ".join(display_name.split())
    if not name or len(name) > 40:
        raise Invalid("Choose a name of 1 to 40 characters.")
    if role is not None and role not in {r.value for r in StakeholderRole}:
        raise Invalid("Choose one of the roles in the list, or leave it blank.")
    person.display_name, person.role = name, role or None
    person.cannot_move, person.large_text, person.easy_read = cannot_move, large_text, easy_read
    session.add(person)
    session.commit()
    return person


def _cafe_with(people: ColumnElement[bool]) -> Select[Cafe, Participant]:
    """The café with a join code, and those of its people `people` picks out."""
    return (
        select(Cafe, Participant)
        .outerjoin(Participant, (col(Participant.cafe_id) == Cafe.id) & people)
        .where(Cafe.code == bindparam("code"))
    )


_CAFE_WITH_PEOPLE = _cafe_with(col(Participant.id).in_(bindparam("people", expanding=True)))
# The same for the usual phone, whose cookie names one person: an expanding IN is rendered
# anew on every execution, a plain parameter is not.
_CAFE_WITH_PERSON = _cafe_with(col(Participant.id) == bindparam("person"))


def _query_params(code: str, seats: Mapping[int, tuple[int, str]]) -> dict[str, Any] | None:
    """The parameters of a café-with-people query for a join code and a cookie's `seats`
    ("person" for one, "people" for several); None when the code cannot be one."""
    cleaned = normalise_code(code)
    if not cleaned:
        return None
    people = [participant_id for participant_id, _ in seats.values()]
    if len(people) == 1:
        return {"code": cleaned, "person": people[0]}
    return {"code": cleaned, "people": people}


def _named(
    cafe: Cafe, people: Iterable[Participant], seats: Mapping[int, tuple[int, str]]
) -> Participant | None:
    """The one of `people` the cookie's seat in `cafe` names, if any."""
    seat = seats.get(cafe.id or 0)
    if seat is None:
        return None
    return next((person for person in people if _cookie_names(person, *seat)), None)


def cafe_and_person(
    *, session: Session, code: str, seats: Mapping[int, tuple[int, str]]
) -> tuple[Cafe | None, Participant | None]:
    """The café with this join code and the person a phone's cookie names in it (`seats`:
    café id -> participant id and secret), in one query: every write from a phone starts
    here. The person is None when the cookie names nobody of this café who is still in it."""
    params = _query_params(code, seats)
    if params is None:
        return None, None
    query = _CAFE_WITH_PERSON if "person" in params else _CAFE_WITH_PEOPLE
    rows = session.exec(query, params=params).all()
    if not rows:
        return None, None
    cafe = rows[0][0]
    return cafe, _named(cafe, (person for _, person in rows if person is not None), seats)


_CAFE_COLUMNS = columns_of(Cafe)
_PERSON_COLUMNS = columns_of(Participant)
_CAFE_NAMES = [name for name, _ in _CAFE_COLUMNS]
_PERSON_NAMES = [name for name, _ in _PERSON_COLUMNS]


def _core_cafe_with(people: ColumnElement[bool]) -> CoreSelect[Any]:
    """`_cafe_with` as plain columns, for `phone_writer`."""
    cafe, person = _CAFE_COLUMNS, _PERSON_COLUMNS
    return (
        sa_select(*(c for _, c in cafe), *(c for _, c in person))
        .select_from(Cafe.__table__)  # type: ignore[attr-defined]
        .outerjoin(
            Participant.__table__,  # type: ignore[attr-defined]
            (col(Participant.cafe_id) == Cafe.id) & people,
        )
        .where(col(Cafe.code) == bindparam("code"))
    )


_CORE_CAFE_WITH_PEOPLE = _core_cafe_with(
    col(Participant.id).in_(bindparam("people", expanding=True))
)
_CORE_CAFE_WITH_PERSON = _core_cafe_with(col(Participant.id) == bindparam("person"))


def phone_writer(
    *, connection: Connection, code: str, seats: Mapping[int, tuple[int, str]]
) -> tuple[Cafe | None, Participant | None]:
    """`cafe_and_person` for a phone's writes, read as plain rows on `connection` and
    returned detached (see `as_loaded`): the busiest requests start here, and the ORM's
    execution path cost them more than the query itself."""
    params = _query_params(code, seats)
    if params is None:
        return None, None
    query = _CORE_CAFE_WITH_PERSON if "person" in params else _CORE_CAFE_WITH_PEOPLE
    rows = connection.execute(query, params).all()
    if not rows:
        return None, None
    split = len(_CAFE_NAMES)
    cafe = as_loaded(Cafe, dict(zip(_CAFE_NAMES, rows[0][:split], strict=True)))
    found = (dict(zip(_PERSON_NAMES, row[split:], strict=True)) for row in rows)
    # Built only until the cookie's person is found; a row without one: nobody joined.
    people = (as_loaded(Participant, values) for values in found if values["id"] is not None)
    return cafe, _named(cafe, people, seats)


def _cookie_names(person: Participant, participant_id: int, secret: str) -> bool:
    """The cookie's participant id and secret name this person, who is still in the café."""
    return (
        person.id == participant_id
        and person.left_at is None
        and secrets.compare_digest(person.secret, secret)
    )


def participant_for_cookie(
    *, session: Session, cafe: Cafe, participant_id: int, secret: str
) -> Participant | None:
    person = session.get(Participant, participant_id)
    if person is None or person.cafe_id != cafe.id:
        return None
    return person if _cookie_names(person, participant_id, secret) else None


def leave(*, session: Session, person: Participant, now: datetime) -> None:
    """A person leaves: they are dropped from later seatings; what they wrote stays."""
    person.left_at = now
    session.add(person)
    session.commit()


def participants_of(session: Session, cafe: Cafe, *, active_only: bool = True) -> list[Participant]:
    query = select(Participant).where(Participant.cafe_id == cafe.id)
    if active_only:
        query = query.where(col(Participant.left_at).is_(None))
    return list(session.exec(query.order_by(col(Participant.id))))


_PEOPLE = (
    select(*(col(getattr(Participant, name)) for name in Person._fields))
    .where(col(Participant.cafe_id) == bindparam("cafe_id"), col(Participant.left_at).is_(None))
    .order_by(col(Participant.id))
)


def people_of(session: Session, cafe: Cafe) -> list[Person]:
    """Everyone still in the café, as plain rows (what the live state and the planner read)."""
    make = Person._make
    return [make(row) for row in session.execute(_PEOPLE, {"cafe_id": cafe.id})]


def seat_of(session: Session, rnd: Round | None, person: Participant) -> CafeTable | None:
    if rnd is None:
        return None
    seat = session.exec(
        select(Seat).where(Seat.round_id == rnd.id, Seat.participant_id == person.id)
    ).first()
    return session.get(CafeTable, seat.table_id) if seat else None


def occupancy(session: Session, rnd: Round) -> dict[int, int]:
    rows = session.exec(
        select(Seat.table_id, func.count())
        .where(Seat.round_id == rnd.id)
        .join(Participant, col(Participant.id) == Seat.participant_id)
        .where(col(Participant.left_at).is_(None))
        .group_by(col(Seat.table_id))
    )
    return dict(rows.all())


def _seat_late_joiner(session: Session, cafe: Cafe, rnd: Round, person: Participant) -> None:
    tables = tables_of(session, cafe)
    counts = occupancy(session, rnd)
    open_tables = [t for t in tables if counts.get(t.id or 0, 0) < t.capacity]
    if not open_tables:
        return  # every table is full: they wait as "unseated" for the facilitator
    # The emptiest table, then the one whose share of their role is smallest.
    roles = _roles_at(session, rnd)
    best = min(
        open_tables,
        key=lambda t: (
            counts.get(t.id or 0, 0) / t.capacity,
            roles[t.id or 0].count(person.role),
            t.number,
        ),
    )
    assert rnd.id is not None and person.id is not None and best.id is not None
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
        raise Forbidden("In this café the facilitator plans the seating.")
    rnd = current_round(session, cafe)
    if rnd is None or rnd.status == RoundStatus.ENDED:
        raise Conflict("Tables open when the next round starts.")
    if person.is_host:
        raise Conflict("Hosts stay at their table.")
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
        raise NotFound("No such table in this café.")
    assert rnd.id is not None and person.id is not None
    existing = session.exec(
        select(Seat).where(Seat.round_id == rnd.id, Seat.participant_id == person.id)
    ).first()
    if existing is not None and existing.table_id == table.id:
        return table
    if occupancy(session, rnd).get(table_id, 0) >= table.capacity:
        raise Conflict(f"{table.name} is full. Please choose another table.")
    if existing is not None:
        existing.table_id = table_id
        session.add(existing)
    else:
        session.add(Seat(round_id=rnd.id, participant_id=person.id, table_id=table_id))
    session.commit()
    return table


# --- facilitator controls ------------------------------------------------------------------


def start_next_round(
    *, session: Session, cafe: Cafe, now: datetime, from_round: int | None = None
) -> Round:
    """Seat everyone for the next round and start its clock."""
    return rotate(session=session, cafe=cafe, now=now, from_round=from_round).round


class StateInputs(NamedTuple):
    """What a café state is assembled from (`_assemble_state`), but the instant it is read.
    Two states of a round's start with equal inputs show every phone the same thing: a round
    planned ahead (`Forecast`) can be drawn before it starts."""

    cafe: dict[str, Any]
    round: dict[str, Any]  # but its start and end instants
    people: list[Person]
    tables: list[dict[str, Any]]
    questions: Mapping[int, str]
    seats: Mapping[int, int]
    previous: Mapping[int, int]
    total_rounds: int


_INSTANTS = ("starts_at", "ends_at")


def _values(row: SQLModel, *skip: str) -> dict[str, Any]:
    """A row's column values, by name."""
    table = row.__table__  # type: ignore[attr-defined]
    return {c.key: getattr(row, c.key) for c in table.columns if c.key not in skip}


@dataclass
class Rotation:
    """A round just started, and the café as it left it: the live views are drawn from this
    state without reading again what the rotation has in hand."""

    round: Round
    state: CafeState
    inputs: StateInputs


@dataclass(frozen=True, eq=False)
class Forecast:
    """The café as its next round will start if nothing changes before the facilitator's tap:
    the seating is planned ahead, so what every phone will be shown can be drawn ahead too.

    `version` is the café's as it was read, before anything else: if it has not moved by the
    tap, nothing the plan was made from has changed (every such change moves it on, see
    `app.models.cafe._move_version_on`), and the rotation seats everyone from this forecast
    without reading the people, the tables and the seats again or looking for the plan.
    Whether what was drawn ahead came true is for the rotation's `StateInputs` to say."""

    inputs: StateInputs
    tables: list[CafeTable]
    version: int

    def state_at(self, at: datetime) -> CafeState:
        """The state as if the round started at `at` (detached rows; never written)."""
        rnd = Round(**self.inputs.round)
        rnd.starts_at, rnd.ends_at = at, at + timedelta(minutes=rnd.minutes)
        return _assemble_state(
            cafe=Cafe(**self.inputs.cafe),
            rnd=rnd,
            people=self.inputs.people,
            tables=self.tables,
            questions=self.inputs.questions,
            seats=self.inputs.seats,
            previous=dict(self.inputs.previous),
            total_rounds=self.inputs.total_rounds,
            now=at,
        )


class _Recent(Generic[K, V]):
    """The latest few values by key, the least recently used dropped first; thread-safe
    (the planning runs in worker threads)."""

    def __init__(self, size: int) -> None:
        self._values: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def take(self, key: K) -> V | None:
        """The value, no longer kept."""
        with self._lock:
            return self._values.pop(key, None)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._values.pop(key, None)
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


# The latest forecast of each café (by code), kept for its next rotation.
AHEAD: _Recent[str, Forecast] = _Recent(32)


def rotate(
    *, session: Session, cafe: Cafe, now: datetime, from_round: int | None = None
) -> Rotation:
    """`start_next_round`, also giving the café state after it.

    If the round was planned ahead (`prepare_next_round`, in this process) and the café's
    version has not moved since, the forecast's seating is the plan and what it read is
    what would be read now: the rotation writes without reading them again (about half of
    its time for a thousand people)."""
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict("The café is closed.")
    expected = cafe.current_round if from_round is None else from_round
    if expected != cafe.current_round:
        raise Conflict(
            f"Round {cafe.current_round} has already started; refresh to see the latest state."
        )
    nxt = session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == expected + 1)
    ).first()
    if nxt is None:
        raise Conflict("That was the last round. You can close the café now.")
    # Read before the claim below: it moves the café's round number on, in memory too.
    previous = current_round(session, cafe) if expected else None
    forecast = AHEAD.take(cafe.code)
    # Claim the rotation atomically: a second request for the same step updates no row.
    claimed = session.execute(
        update(Cafe)
        .where(col(Cafe.id) == cafe.id, col(Cafe.current_round) == expected)
        .values(current_round=expected + 1, status=CafeStatus.RUNNING, version=Cafe.version + 1)
        .returning(col(Cafe.version))
    ).first()
    if claimed is None:
        session.rollback()
        raise Conflict("Another rotation is already under way.")
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
        seated = _seat_round(session, cafe, nxt, previous)
        questions = table_questions(session, nxt)
        total_rounds = _round_count(session, cafe)
    nxt.status = RoundStatus.RUNNING
    nxt.starts_at = now
    nxt.ends_at = now + timedelta(minutes=nxt.minutes)
    session.add(nxt)
    session.commit()
    session.refresh(cafe)
    inputs = StateInputs(
        cafe=_values(cafe),
        round=_values(nxt, *_INSTANTS),
        people=seated.people,
        tables=[_values(t) for t in seated.tables],
        questions=questions,
        seats=seated.seats,
        previous=seated.before,
        total_rounds=total_rounds,
    )
    state = _assemble_state(
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


class Seated(NamedTuple):
    """What seating a round read and wrote."""

    people: list[Person]
    tables: list[CafeTable]
    before: dict[int, int]  # person id -> table id in the round before
    seats: dict[int, int]  # person id -> table id in the new round


def _seat_round(session: Session, cafe: Cafe, nxt: Round, previous: Round | None) -> Seated:
    tables = tables_of(session, cafe)
    people = people_of(session, cafe)
    now_at = _seats_of(session, previous)
    assert nxt.id is not None
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
        planned = planned_seating(session, cafe, nxt.number, people, tables, now_at)
    except rotation.PlanningError as exc:
        raise Conflict(
            "The seating cannot be planned: more hosts or people who can't move are at one "
            f"table than it has seats ({exc}). Move someone by hand or change a host."
        ) from exc
    if planned:
        _insert_seats(session, nxt.id, planned)
    return Seated(people, tables, now_at, planned)


def _seat_as_forecast(session: Session, nxt: Round, forecast: Forecast) -> Seated:
    """The seating planned ahead, written: the café is as the forecast read it."""
    assert nxt.id is not None
    inputs = forecast.inputs
    planned = dict(inputs.seats)
    if planned:
        _insert_seats(session, nxt.id, planned)
    return Seated(list(inputs.people), list(forecast.tables), dict(inputs.previous), planned)


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
            f"INSERT INTO {Seat.__tablename__} (round_id, participant_id, table_id) "
            "SELECT %s, person_id, table_id FROM unnest(%s::integer[], %s::integer[]) "
            "AS seat(person_id, table_id)",
            (round_id, [person for person, _ in rows], [table for _, table in rows]),
        )
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        f"INSERT INTO {Seat.__tablename__} (round_id, participant_id, table_id) "
        f"VALUES ({mark}, {mark}, {mark})",
        [(round_id, person_id, table_id) for person_id, table_id in rows],
    )


def _seats_of(session: Session, rnd: Round | None) -> dict[int, int]:
    """Person id -> table id in a round."""
    if rnd is None:
        return {}
    rows = session.exec(
        select(Seat.participant_id, Seat.table_id).where(Seat.round_id == rnd.id)
    ).all()
    return dict(rows)


def _planner_input(
    people: Sequence[Person], tables: list[CafeTable], now_at: Mapping[int, int]
) -> tuple[list[rotation.PlannerPerson], list[rotation.PlannerTable]]:
    """The people the planner is given (with where they sit now) and the tables."""
    seats = sum(t.capacity for t in tables)
    if len(people) > seats:
        # More people than seats: plan those who fit (hosts and people who can't move first,
        # then in joining order); the rest wait unseated for the facilitator to place by hand.
        people = sorted(people, key=lambda p: (not (p.is_host or p.cannot_move), p.id))
        people = people[:seats]
    planner_people = [
        rotation.PlannerPerson(
            id=p.id,
            role=p.role,
            is_host=p.is_host,
            cannot_move=p.cannot_move,
            current_table=p.home_table_id if p.is_host and p.home_table_id else now_at.get(p.id),
        )
        for p in people
    ]
    planner_tables = [rotation.PlannerTable(id=t.id or 0, capacity=t.capacity) for t in tables]
    return planner_people, planner_tables


PLANS: _Recent[Hashable, dict[int, int]] = _Recent(16)


def planned_seating(
    session: Session,
    cafe: Cafe,
    number: int,
    people: Sequence[Person],
    tables: list[CafeTable],
    now_at: Mapping[int, int],
) -> dict[int, int]:
    """The seating of round `number`: `rotation.plan_next_round`, remembered.

    The planner is a pure, seeded function of the people, the tables and every earlier
    round's seating, so a remembered plan is the plan. The earlier rounds cannot change
    once over, so a plan is remembered by the café (its code: ids come back in a database
    emptied for tests), the round, the people and tables, and the seating of the round now
    running; the history is read only when planning. A seating planned ahead
    (`prepare_next_round`) is found here when nothing has changed since, and the round is
    planned afresh when anything has (a late joiner, a move, a new host)."""
    people_in, tables_in = _planner_input(people, tables, now_at)
    key = (
        cafe.code,
        number,
        tuple(people_in),
        tuple(tables_in),
        tuple(sorted(now_at.items())),
    )
    plan = PLANS.get(key)
    if plan is None:
        history = seating_history(session, cafe, before=number)
        seed = (cafe.id or 0) * 100 + number
        plan = rotation.plan_next_round(people_in, tables_in, history, seed=seed)
        PLANS.put(key, plan)
    return dict(plan)


def prepare_next_round(*, session: Session, cafe: Cafe) -> Forecast | None:
    """Plan the next round's seating while this one runs, so that starting it does not wait
    for the planner (a tenth of a second or more for a thousand people). Reads only. Returns
    the round as it will start if nothing changes meanwhile, or None if no plan was made."""
    # The version first: whatever changes after this read moves it on (`Forecast`).
    version = session.scalar(sa_select(col(Cafe.version)).where(col(Cafe.id) == cafe.id))
    if version is None:
        return None
    if cafe.status == CafeStatus.CLOSED or cafe.seating_mode == SeatingMode.FREE:
        return None
    number = cafe.current_round + 1
    nxt = session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == number)
    ).first()
    if nxt is None or nxt.status != RoundStatus.PLANNED:
        return None
    now_at = _seats_of(session, current_round(session, cafe))
    people, tables = people_of(session, cafe), tables_of(session, cafe)
    try:
        planned = planned_seating(session, cafe, number, people, tables, now_at)
    except rotation.PlanningError:
        return None  # starting the round will say why
    # The café and the round as `rotate` will leave them.
    claimed = _values(cafe) | {
        "current_round": number,
        "status": CafeStatus.RUNNING,
        "version": cafe.version + 1,
    }
    started = _values(nxt, *_INSTANTS) | {"status": RoundStatus.RUNNING}
    inputs = StateInputs(
        cafe=claimed,
        round=started,
        people=people,
        tables=[_values(t) for t in tables],
        questions=table_questions(session, nxt),
        seats=planned,
        previous=now_at,
        total_rounds=_round_count(session, cafe),
    )
    forecast = Forecast(inputs=inputs, tables=tables, version=version)
    AHEAD.put(cafe.code, forecast)
    return forecast


def seating_history(session: Session, cafe: Cafe, *, before: int) -> list[dict[int, int]]:
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


def _running(session: Session, cafe: Cafe) -> Round:
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict("The café is closed.")
    rnd = current_round(session, cafe)
    if rnd is None:
        raise Conflict("No round has started yet.")
    if rnd.status == RoundStatus.ENDED:
        raise Conflict(f"Round {rnd.number} has ended. Start the next round or close the café.")
    return rnd


def extend_round(*, session: Session, cafe: Cafe, minutes: int, now: datetime) -> Round:
    """Give the current round more time."""
    if not 1 <= minutes <= 60:
        raise Invalid("Extend by 1 to 60 minutes.")
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
        raise Conflict("The round is already paused.")
    rnd.status, rnd.paused_at = RoundStatus.PAUSED, now
    session.add(rnd)
    session.commit()
    return rnd


def resume_round(*, session: Session, cafe: Cafe, now: datetime) -> Round:
    rnd = _running(session, cafe)
    if rnd.status != RoundStatus.PAUSED or rnd.paused_at is None or rnd.ends_at is None:
        raise Conflict("The round is not paused.")
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


def update_cafe(*, session: Session, cafe: Cafe, data: CafeUpdate) -> Cafe:
    """Change a café's title, purpose, votes per person, pre-moderation or anonymity.

    Names can be shown only if nobody has joined yet: everyone in the café joined on the
    promise that other participants would not see their name. Votes already given stay when
    the budget shrinks; cards already waiting stay waiting when pre-moderation is switched off.
    """
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict("The café is closed, so its settings no longer change.")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if changes.get("names_visible") and not cafe.names_visible:
        joined = session.exec(
            select(func.count()).select_from(Participant).where(Participant.cafe_id == cafe.id)
        ).one()
        if joined:
            raise Conflict(
                "People have joined on the promise that others would not see their names, "
                "so names stay hidden in this café."
            )
    for name, value in changes.items():
        setattr(cafe, name, value)
    session.add(cafe)
    session.commit()
    session.refresh(cafe)
    return cafe


def close_cafe(*, session: Session, cafe: Cafe, now: datetime) -> Cafe:
    """Close the café: the clock stops and the join code stops working."""
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict("The café is already closed.")
    rnd = current_round(session, cafe)
    if rnd is not None and rnd.status != RoundStatus.ENDED:
        rnd.status, rnd.ended_at, rnd.paused_at = RoundStatus.ENDED, now, None
        if rnd.ends_at is None or rnd.ends_at > now:
            rnd.ends_at = now
        session.add(rnd)
    cafe.status, cafe.closed_at = CafeStatus.CLOSED, now
    session.add(cafe)
    session.commit()
    return cafe


def move_person(*, session: Session, cafe: Cafe, participant_id: int, table_id: int) -> Participant:
    """The facilitator moves someone by hand in the current round (capacity may be exceeded
    on purpose: the facilitator can see the room)."""
    person = session.get(Participant, participant_id)
    if person is None or person.cafe_id != cafe.id:
        raise NotFound("No such participant in this café.")
    table = session.get(CafeTable, table_id)
    if table is None or table.cafe_id != cafe.id:
        raise NotFound("No such table in this café.")
    rnd = current_round(session, cafe)
    if rnd is None:
        raise Conflict("Seats are given when the first round starts.")
    assert rnd.id is not None
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


def set_host(
    *, session: Session, cafe: Cafe, participant_id: int, table_id: int | None
) -> Participant:
    """Make someone the host of a table (they stay there), or take the role away."""
    person = session.get(Participant, participant_id)
    if person is None or person.cafe_id != cafe.id:
        raise NotFound("No such participant in this café.")
    if table_id is None:
        person.is_host, person.home_table_id = False, None
        session.add(person)
        session.commit()
        return person
    table = session.get(CafeTable, table_id)
    if table is None or table.cafe_id != cafe.id:
        raise NotFound("No such table in this café.")
    person.is_host, person.home_table_id = True, table_id
    session.add(person)
    session.commit()
    rnd = current_round(session, cafe)
    if rnd is not None and rnd.status != RoundStatus.ENDED:
        move_person(session=session, cafe=cafe, participant_id=participant_id, table_id=table_id)
    return person


def seating(*, session: Session, cafe: Cafe, round_number: int | None) -> SeatingPublic:
    number = cafe.current_round if round_number is None else round_number
    rnd = session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == number)
    ).first()
    if rnd is None:
        raise NotFound(f"This café has no round {number}.")
    tables = {t.id: t for t in tables_of(session, cafe)}
    people = {p.id: p for p in people_of(session, cafe)}
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
    return SeatingPublic(cafe_id=cafe.id or 0, round=number, seats=seats, unseated=unseated)


# --- views ---------------------------------------------------------------------------------


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
    rnd = current_round(session, cafe)
    seats: dict[int, int] = {}
    previous: dict[int, int] = {}
    questions: dict[int, str] = {}
    if rnd is not None:
        questions = table_questions(session, rnd)
        seats = _seats_of(session, rnd)
        if rnd.number > 1:
            previous = dict(
                session.exec(
                    select(Seat.participant_id, Seat.table_id)
                    .join(Round, col(Round.id) == Seat.round_id)
                    .where(Round.cafe_id == cafe.id, Round.number == rnd.number - 1)
                ).all()
            )
    return _assemble_state(
        cafe=cafe,
        rnd=rnd,
        people=people_of(session, cafe),
        tables=tables_of(session, cafe),
        questions=questions,
        seats=seats,
        previous=previous,
        total_rounds=_round_count(session, cafe),
        now=now,
    )


def _round_count(session: Session, cafe: Cafe) -> int:
    return int(session.exec(select(func.count()).where(Round.cafe_id == cafe.id)).one())


def _assemble_state(
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
) -> CafeState:
    """The café state from what was read (or, after a rotation, just written): the one
    place that decides what the live views are given."""
    views = {t.id: TableView(table=t) for t in tables}
    table_of: dict[int, int] = {}
    late: set[int] = set()
    if rnd is not None:
        for view in views.values():
            view.question = questions.get(view.table.id or 0, rnd.question)
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
        seconds_left=seconds_left(rnd, now) if rnd else None,
        read_at=now,
        tables=list(views.values()),
        unseated=[p for p in people if p.id not in table_of],
        late_joiners=late,
        total_rounds=total_rounds,
        participants=len(people),
        table_of=table_of,
        previous_table_of=previous,
    )


@dataclass
class ParticipantState(Moment):
    """One person's view: the moment at their table, and who they are."""

    person: Someone


def participant_view(state: CafeState, person: Someone, now: datetime) -> ParticipantState:
    """One person's view, derived from the shared café state."""
    pid = person.id or 0
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
    move_call = state.move_call_seconds(now) if table is not None and not stayed else 0
    return Moment(
        cafe=cafe,
        round=rnd,
        table=table,
        question=(view.question if view else rnd.question) if rnd else "",
        seconds_left=state.seconds_left_now(now),
        tablemates=view.people if view else [],
        move_call=move_call,
        open_tables=open_tables,
    )
