"""Who is who in a café: the people in it, and the person a phone's cookie names."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam
from sqlalchemy import Select as CoreSelect
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.models.base import as_loaded, columns_of
from app.models.cafe import Cafe, Participant, Person
from app.services.cafe.cafes import normalise_code


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
    seat = seats.get(cafe.id)
    if seat is None:
        return None
    return next((person for person in people if _cookie_names(person, *seat)), None)


_CAFE_COLUMNS = columns_of(Cafe)
_PERSON_COLUMNS = columns_of(Participant)
_CAFE_NAMES = [name for name, _ in _CAFE_COLUMNS]
_PERSON_NAMES = [name for name, _ in _PERSON_COLUMNS]


def _core_cafe_with(people: ColumnElement[bool]) -> CoreSelect[Any]:
    """The café with a join code, and those of its people `people` picks out, as plain
    columns (for `phone_writer`)."""
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
    """The café with this join code and the person a phone's cookie names in it (`seats`:
    café id -> participant id and secret; None when the cookie names nobody of this café who
    is still in it), in one query, read as plain rows on `connection` and returned detached
    (see `as_loaded`): every request from a phone starts here, and the ORM's execution path
    cost more than the query itself."""
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


_CODE_WITH_PERSON = (
    sa_select(col(Cafe.code), *(c for _, c in _PERSON_COLUMNS))
    .select_from(Cafe.__table__)  # type: ignore[attr-defined]
    .outerjoin(
        Participant.__table__,  # type: ignore[attr-defined]
        (col(Participant.cafe_id) == Cafe.id) & (col(Participant.id) == bindparam("person")),
    )
    .where(col(Cafe.id) == bindparam("cafe_id"))
)


def socket_person(
    *, connection: Connection, cafe_id: int, participant_id: int, secret: str
) -> tuple[str, Participant | None]:
    """For a phone's websocket: the join code of café `cafe_id` ("" if there is none) and
    the person its cookie names there (None if nobody still in it), in one plain-row query
    (a room's phones all connect at once; the ORM's path cost more than the query)."""
    row = connection.execute(
        _CODE_WITH_PERSON, {"cafe_id": cafe_id, "person": participant_id}
    ).first()
    if row is None:
        return "", None
    values = dict(zip(_PERSON_NAMES, row[1:], strict=True))
    if values["id"] is None:
        return row[0], None
    person = as_loaded(Participant, values)
    return row[0], person if _cookie_names(person, participant_id, secret) else None


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


def participants_of(*, session: Session, cafe: Cafe, active_only: bool = True) -> list[Participant]:
    query = select(Participant).where(Participant.cafe_id == cafe.id)
    if active_only:
        query = query.where(col(Participant.left_at).is_(None))
    return list(session.exec(query.order_by(col(Participant.id))))


_PEOPLE = (
    select(*(col(getattr(Participant, name)) for name in Person._fields))
    .where(col(Participant.cafe_id) == bindparam("cafe_id"), col(Participant.left_at).is_(None))
    .order_by(col(Participant.id))
)


_SOME_PEOPLE = (
    select(*(col(getattr(Participant, name)) for name in Person._fields))
    .where(
        col(Participant.cafe_id) == bindparam("cafe_id"),
        col(Participant.left_at).is_(None),
        col(Participant.id).in_(bindparam("ids", expanding=True)),
    )
    .order_by(col(Participant.id))
)


def some_people_of(*, session: Session, cafe: Cafe, ids: Iterable[int]) -> list[Person]:
    """The people of `ids` still in the café, as `people_of` gives them."""
    make = Person._make
    found = session.execute(_SOME_PEOPLE, {"cafe_id": cafe.id, "ids": sorted(set(ids))})
    return [make(row) for row in found]


def people_of(*, session: Session, cafe: Cafe) -> list[Person]:
    """Everyone still in the café, as plain rows (what the live state and the planner read)."""
    make = Person._make
    return [make(row) for row in session.execute(_PEOPLE, {"cafe_id": cafe.id})]
