"""Shared model pieces: naming convention, timestamps.

An entity is a family: `XBase` holds the fields an API caller gives, written once;
`X(XBase, table=True)` adds the columns only the app sets; `XCreate(XBase)` is what the API
takes. `*Public` and `*Update` models stand alone where the API shows them differently
(no input limits; every field optional), since `/openapi.json` is a published contract.
Table ids are typed `int` though they are None until the row is flushed: code reads the
ids of stored rows, and an Optional type there only bred `or 0` and asserts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from annotated_types import Ge, Le
from sqlalchemy import Column, DateTime
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

# The largest id a row can have: PostgreSQL's integer columns stop here (SQLite's go further).
ID_MAX = 2**31 - 1
# An id a client names in a body: declared with its bounds in the schema, refused past them.
RowRef = Annotated[int, Ge(1), Le(ID_MAX)]

M = TypeVar("M", bound=SQLModel)

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants in UTC and always hands back aware datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC instants")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def columns_of(model: type[SQLModel]) -> list[tuple[str, Column[Any]]]:
    """A table model's attributes and their columns, in table order (for `as_loaded`)."""
    mapper = model.__mapper__  # type: ignore[attr-defined]
    return [(prop.key, prop.columns[0]) for prop in mapper.column_attrs]


def as_loaded(model: type[M], values: Mapping[str, Any]) -> M:
    """A row read or written with Core (`values`: every attribute of `model`) as the
    instance the ORM would have loaded and then detached from its session: changes to it
    are tracked from here, and `session.add` would update the row, not insert it.

    What the ORM's loader does, without its execution path or a session (on the busiest
    requests those cost more than the query). Being detached, it cannot load
    relationships."""
    instance = model.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    return instance  # type: ignore[no-any-return]
