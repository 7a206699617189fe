"""Change numbers: the order in which a café's contributions changed, as API clients sync it.

Every write that changes what a contribution's record says (a new card, an edit, taking it
back, hiding, restoring, approving, a safeguarding flag, a vote, a theme given, taken away or
renamed, a photo or voice note) takes the café's next change number (`take`) and gives it to
the contributions it touched, in its own transaction. Taking a number updates the café's row
in `change_counter`, which holds that row until the transaction ends, so writes to one café's
contributions commit in the order of their numbers: a client that has seen every change up
to number N has seen all there will ever be up to N, and asks for what came after. A clock
cannot promise that: a write stamped earlier can commit later, behind a client's cursor.

A write takes its number before it changes any contribution row (the counter's lock first,
always), so two writes never wait for each other in opposite orders.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import Connection, Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import Select

from app.models.evidence import ChangeCounter, Contribution

_COUNTER = cast(Table, ChangeCounter.__table__)  # type: ignore[attr-defined]
_CONTRIBUTIONS = cast(Table, Contribution.__table__)  # type: ignore[attr-defined]


def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE SET seq = seq + 1 RETURNING seq: one statement, and
    the first number of a café needs no row made beforehand."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_COUNTER).values(cafe_id=1, seq=1)
    return statement.on_conflict_do_update(
        index_elements=[_COUNTER.c.cafe_id], set_={"seq": _COUNTER.c.seq + 1}
    ).returning(_COUNTER.c.seq)


_TAKE = {name: _upsert(name) for name in ("sqlite", "postgresql")}


def take(*, connection: Connection, cafe_id: int) -> int:
    """The café's next change number, for the contributions this transaction changes."""
    statement = _TAKE[connection.dialect.name]
    return int(connection.execute(statement, {"cafe_id": cafe_id, "seq": 1}).scalar_one())


def mark(*, connection: Connection, cafe_id: int, ids: Collection[int] | Select[Any]) -> int:
    """Take a number and give it to these contributions (ids, or a query of ids)."""
    seq = take(connection=connection, cafe_id=cafe_id)
    connection.execute(
        update(_CONTRIBUTIONS).where(_CONTRIBUTIONS.c.id.in_(ids)).values(change_seq=seq)
    )
    return seq
