"""A network's lists for API clients: a page at a time in the order the rows changed, after
an opaque cursor, as a café's contributions are read (`app.services.evidence.records`).

Each list is read in the network's change numbers (`app.services.network.changes`) and then
row ids: new rows, changed ones and the ids of deleted ones (`deleted`, from tombstones,
whatever the filters) all come after a client's last cursor, so one cursor keeps a client
in sync. Filters narrow the rows as they are now: a row changed so that it no longer
matches is not sent again (a client that needs that reads without the filter).

`after` given as a plain number is the deprecated cursor of before: rows in id order after
that id, with the filters, and `next_cursor` the id to read on from (null on the last page);
it shows new rows only, never changes or deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.i18n import _
from app.models.base import ID_MAX
from app.models.follow_up import NetworkAction
from app.models.network import Attendance, LocalGroup, Meeting, Member, Network
from app.models.network_changes import ListKind, NetworkTombstone
from app.models.payments import Expense
from app.models.you_said import YouSaid
from app.services.errors import Invalid
from app.services.evidence.records import decode_cursor, encode_cursor
from app.services.material import reading as reading_service
from app.services.network import attendance as attendance_service
from app.services.network import payments as payment_service

T = TypeVar("T")
U = TypeVar("U")


@dataclass
class Rows(Generic[T]):
    """One page of a list: its rows, the ids deleted since the cursor, where to read on."""

    rows: list[T]
    deleted: list[int] = field(default_factory=list)
    next_cursor: str | int | None = None
    has_more: bool = False

    def with_rows(self, rows: list[U]) -> Rows[U]:
        """The same page with its rows shown another way (one for one)."""
        return Rows(rows, self.deleted, self.next_cursor, self.has_more)


@dataclass(frozen=True)
class Scope:
    """Which tombstones belong to a list: its kind, in its network, group or meeting."""

    network_id: int
    kind: ListKind
    group_id: int | None = None
    meeting_id: int | None = None
    parent_id: int | None = None  # the material, version or section a list is inside


def legacy_id(after: str | None) -> int | None:
    """The deprecated integer-id cursor, when `after` is one (a cursor handed out now is
    never only digits)."""
    if after is None or not (after.isascii() and after.isdigit()):
        return None
    value = int(after)
    if value > ID_MAX:
        raise Invalid(_("`after` as a row id must be at most %(most)s.", most=ID_MAX))
    return value


def _cursor(after: str | None) -> tuple[int, int]:
    return decode_cursor(after) if after else (0, 0)


def check_range(low: Any, high: Any, *, low_name: str, high_name: str) -> None:
    """A range's two ends, when both are given, in order."""
    if low is not None and high is not None and low >= high:
        raise Invalid(_("`%(low)s` must come before `%(high)s`.", low=low_name, high=high_name))


def _tombstones(
    session: Session, scope: Scope, seq: int, last_id: int, limit: int
) -> list[tuple[int, int]]:
    stone = NetworkTombstone
    query = select(stone.change_seq, stone.row_id).where(
        stone.network_id == scope.network_id,
        stone.kind == scope.kind.value,
        or_(
            col(stone.change_seq) > seq,
            and_(col(stone.change_seq) == seq, col(stone.row_id) > last_id),
        ),
    )
    if scope.group_id is not None:
        query = query.where(stone.group_id == scope.group_id)
    if scope.meeting_id is not None:
        query = query.where(stone.meeting_id == scope.meeting_id)
    if scope.parent_id is not None:
        query = query.where(stone.parent_id == scope.parent_id)
    rows = session.exec(query.order_by(col(stone.change_seq), col(stone.row_id)).limit(limit))
    return [(int(s), int(i)) for s, i in rows]


def _merge(found: list[tuple[int, int, T | None]], after: str | None, limit: int) -> Rows[T]:
    """Live rows and tombstones in one order, cut to a page, with the cursor after it."""
    found.sort(key=lambda each: (each[0], each[1]))
    more = len(found) > limit
    found = found[:limit]
    # Set even on an empty first page: the start, to poll from.
    seq, last_id = found[-1][:2] if found else _cursor(after)
    cursor = encode_cursor(change_seq=seq, contribution_id=last_id)
    return Rows(
        rows=[r for _, _, r in found if r is not None],
        deleted=[i for _, i, r in found if r is None],
        next_cursor=cursor,
        has_more=more,
    )


def page(
    *,
    session: Session,
    query: SelectOfScalar[T],
    model: Any,
    scope: Scope,
    after: str | None,
    limit: int,
    legacy: str = "id",
) -> Rows[T]:
    """A page of `query`'s rows (of `model`, which has `id` and `change_seq`) after the
    cursor, with the tombstones of `scope`; or, for a plain number, the deprecated page in
    the order of the column `legacy` (the row id, or a list's own number) after it."""
    old = legacy_id(after)
    if old is not None:
        column = col(getattr(model, legacy))
        rows = list(session.exec(query.where(column > old).order_by(column).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return Rows(
            rows=rows, next_cursor=(int(getattr(rows[-1], legacy)) if more and rows else None)
        )
    seq, last_id = _cursor(after)
    if after:
        query = query.where(
            or_(
                col(model.change_seq) > seq,
                and_(col(model.change_seq) == seq, col(model.id) > last_id),
            )
        )
    live = session.exec(query.order_by(col(model.change_seq), col(model.id)).limit(limit + 1))
    found: list[tuple[int, int, T | None]] = [
        (int(r.change_seq), int(r.id), r)  # type: ignore[attr-defined]
        for r in live
    ]
    found += [(s, i, None) for s, i in _tombstones(session, scope, seq, last_id, limit + 1)]
    return _merge(found, after, limit)


# --- narrowing a list ------------------------------------------------------------------------


class Null(Enum):
    """An equality filter on whether a column is empty (a value of `None` is no filter)."""

    EMPTY = "empty"
    SET = "set"


@dataclass(frozen=True)
class Range:
    """A filter on `column` from `low` (inclusive) to `high` (exclusive), each optional;
    the names are the query parameters, for the refusal when the ends are out of order."""

    column: Any
    low: Any
    high: Any
    low_name: str
    high_name: str


def narrowed(
    query: SelectOfScalar[T],
    equal: dict[Any, Any] | None = None,
    ranges: Sequence[Range] = (),
) -> SelectOfScalar[T]:
    """`query` with each filter the client gave: `{column: value}` equal (or `Null`), and
    each range's ends. Filters given as None are left out."""
    for column, value in (equal or {}).items():
        if value is Null.EMPTY:
            query = query.where(col(column).is_(None))
        elif value is Null.SET:
            query = query.where(col(column).is_not(None))
        elif value is not None:
            query = query.where(col(column) == value)
    for each in ranges:
        check_range(each.low, each.high, low_name=each.low_name, high_name=each.high_name)
        if each.low is not None:
            query = query.where(col(each.column) >= each.low)
        if each.high is not None:
            query = query.where(col(each.column) < each.high)
    return query


def listed(
    *,
    session: Session,
    model: Any,
    where: Any,
    scope: Scope,
    after: str | None,
    limit: int,
    equal: dict[Any, Any] | None = None,
    ranges: Sequence[Range] = (),
    legacy: str = "id",
) -> Rows[Any]:
    """A page of `model`'s rows that are `where`, narrowed by the filters (`narrowed`)."""
    query = narrowed(select(model).where(where), equal, ranges)
    return page(
        session=session,
        query=query,
        model=model,
        scope=scope,
        after=after,
        limit=limit,
        legacy=legacy,
    )


def in_memory(
    *,
    session: Session,
    rows: Sequence[T],
    key: Callable[[T], tuple[int, int]],
    scope: Scope,
    after: str | None,
    limit: int,
) -> Rows[T]:
    """A page of rows built in Python (not one table's rows), each with its `key`: its change
    number and id. As `page`: after the cursor with the tombstones of `scope`, or the
    deprecated id page for a plain number (ids after it, in the order of `rows`)."""
    old = legacy_id(after)
    if old is not None:
        later = [r for r in rows if key(r)[1] > old]
        shown = later[:limit]
        more = len(later) > limit
        return Rows(rows=shown, next_cursor=(key(shown[-1])[1] if more and shown else None))
    seq, last_id = _cursor(after)
    found: list[tuple[int, int, T | None]] = [(*key(r), r) for r in rows if key(r) > (seq, last_id)]
    found += [(s, i, None) for s, i in _tombstones(session, scope, seq, last_id, limit + 1)]
    return _merge(found, after, limit)


# --- the lists -------------------------------------------------------------------------------


def groups(
    *, session: Session, network: Network, area: str | None, after: str | None, limit: int
) -> Rows[LocalGroup]:
    return listed(
        session=session,
        model=LocalGroup,
        where=LocalGroup.network_id == network.id,
        equal={LocalGroup.area: area},
        scope=Scope(network.id, ListKind.GROUP),
        after=after,
        limit=limit,
    )


def members(
    *,
    session: Session,
    group: LocalGroup,
    role: str | None,
    consent_given: bool | None,
    already_funded: bool | None,
    after: str | None,
    limit: int,
) -> Rows[Member]:
    return listed(
        session=session,
        model=Member,
        where=Member.group_id == group.id,
        equal={
            Member.role: role,
            Member.consent_given: consent_given,
            Member.already_funded: already_funded,
        },
        scope=Scope(group.network_id, ListKind.MEMBER, group_id=group.id),
        after=after,
        limit=limit,
    )


def _is_set(wanted: bool | None) -> Null | None:
    """A yes/no filter on whether a column is set, as `narrowed` takes it."""
    return None if wanted is None else (Null.SET if wanted else Null.EMPTY)


def meetings(
    *,
    session: Session,
    group: LocalGroup,
    starts_from: datetime | None,
    starts_before: datetime | None,
    has_cafe: bool | None,
    after: str | None,
    limit: int,
) -> Rows[Meeting]:
    return listed(
        session=session,
        model=Meeting,
        where=Meeting.group_id == group.id,
        equal={Meeting.cafe_id: _is_set(has_cafe)},
        ranges=[
            Range(Meeting.starts_at, starts_from, starts_before, "starts_from", "starts_before")
        ],
        scope=Scope(group.network_id, ListKind.MEETING, group_id=group.id),
        after=after,
        limit=limit,
    )


def attendance(
    *,
    session: Session,
    network_id: int,
    meeting: Meeting,
    attended: bool | None,
    marked: bool | None,
    after: str | None,
    limit: int,
) -> Rows[attendance_service.AttendanceRow]:
    """The meeting's sheet: a row per member of its group. A row changes with the member's
    row, their mark or the meeting (its café: who joined it), so its change number is the
    latest of the three."""
    sheet = attendance_service.attendance_sheet(session=session, meeting=meeting)
    if attended is not None:
        sheet = [r for r in sheet if r.attended == attended]
    if marked is not None:
        sheet = [r for r in sheet if (r.record is not None) == marked]
    return in_memory(
        session=session,
        rows=sheet,
        key=lambda row: (max(row_change(row), int(meeting.change_seq)), row.member.id),
        scope=Scope(network_id, ListKind.ATTENDANCE, meeting_id=meeting.id),
        after=after,
        limit=limit,
    )


def materials(
    *,
    session: Session,
    network: Network,
    published: bool | None,
    after: str | None,
    limit: int,
) -> Rows[reading_service.MaterialSummary]:
    """The network's materials with their newest, published and draft versions: a new
    version, publishing one or a change to the material changes its row."""
    rows = reading_service.material_summaries(session=session, network=network)
    if published is not None:
        rows = [r for r in rows if (r.published is not None) == published]
    return in_memory(
        session=session,
        rows=rows,
        key=lambda r: (int(r.material.change_seq), r.material.id),
        scope=Scope(network.id, ListKind.MATERIAL),
        after=after,
        limit=limit,
    )


def row_change(row: attendance_service.AttendanceRow) -> int:
    """The change number of a member's row on a sheet."""
    mark = row.record.change_seq if row.record is not None else 0
    return max(int(row.member.change_seq), int(mark))


def _everyone_or(group_id: int | None) -> int | Null | None:
    """The `group_id` filter of updates: 0 means those for the whole network."""
    return Null.EMPTY if group_id == 0 else group_id


def updates(
    *,
    session: Session,
    network: Network,
    group_id: int | None,
    created_from: datetime | None,
    created_before: datetime | None,
    after: str | None,
    limit: int,
) -> Rows[YouSaid]:
    return listed(
        session=session,
        model=YouSaid,
        where=YouSaid.network_id == network.id,
        equal={YouSaid.group_id: _everyone_or(group_id)},
        ranges=[
            Range(
                YouSaid.created_at, created_from, created_before, "created_from", "created_before"
            )
        ],
        scope=Scope(network.id, ListKind.UPDATE),
        after=after,
        limit=limit,
    )


LEAD = "lead"


def _owner(owner: str | None) -> int | Null | None:
    """The `owner` filter of actions: `lead`, or a member's id."""
    if owner is None:
        return None
    if owner == LEAD:
        return Null.EMPTY
    if int(owner) > ID_MAX:
        raise Invalid(_("`owner` as a member id must be at most %(most)s.", most=ID_MAX))
    return int(owner)


def actions(
    *,
    session: Session,
    network: Network,
    group_id: int | None,
    status: str | None,
    owner: str | None,
    due_from: date | None,
    due_before: date | None,
    after: str | None,
    limit: int,
) -> Rows[NetworkAction]:
    return listed(
        session=session,
        model=NetworkAction,
        where=NetworkAction.network_id == network.id,
        equal={
            NetworkAction.group_id: group_id,
            NetworkAction.status: status,
            NetworkAction.owner_member_id: _owner(owner),
        },
        ranges=[Range(NetworkAction.due_on, due_from, due_before, "due_from", "due_before")],
        scope=Scope(network.id, ListKind.ACTION),
        after=after,
        limit=limit,
    )


@dataclass
class ExpenseRow:
    """An expense with the meeting and member it was claimed for."""

    expense: Expense
    meeting_id: int
    member_id: int


def expenses(
    *,
    session: Session,
    network: Network,
    group_id: int | None,
    meeting_id: int | None,
    member_id: int | None,
    kind: str | None,
    created_from: datetime | None,
    created_before: datetime | None,
    after: str | None,
    limit: int,
) -> Rows[ExpenseRow]:
    return _expenses(
        session=session,
        network_id=network.id,
        equal={
            LocalGroup.id: group_id,
            Meeting.id: meeting_id,
            Attendance.member_id: member_id,
            Expense.kind: kind,
        },
        ranges=[
            Range(
                Expense.created_at, created_from, created_before, "created_from", "created_before"
            )
        ],
        scope=Scope(network.id, ListKind.EXPENSE),
        after=after,
        limit=limit,
    )


def meeting_expenses(
    *,
    session: Session,
    network_id: int,
    meeting: Meeting,
    member_id: int | None,
    kind: str | None,
    after: str | None,
    limit: int,
) -> Rows[ExpenseRow]:
    """One meeting's expenses: as the network's, with only the meeting's deletes (a
    tombstone made before migration 0023_netapi has no meeting, so is not among them)."""
    return _expenses(
        session=session,
        network_id=network_id,
        equal={Meeting.id: meeting.id, Attendance.member_id: member_id, Expense.kind: kind},
        scope=Scope(network_id, ListKind.EXPENSE, meeting_id=meeting.id),
        after=after,
        limit=limit,
    )


def _expenses(
    *,
    session: Session,
    network_id: int,
    equal: dict[Any, Any],
    scope: Scope,
    after: str | None,
    limit: int,
    ranges: Sequence[Range] = (),
) -> Rows[ExpenseRow]:
    query = (
        select(Expense)
        .join(Attendance, col(Attendance.id) == Expense.attendance_id)
        .join(Meeting, col(Meeting.id) == Attendance.meeting_id)
        .join(LocalGroup, col(LocalGroup.id) == Meeting.group_id)
        .where(LocalGroup.network_id == network_id)
    )
    found = page(
        session=session,
        query=narrowed(query, equal, ranges),
        model=Expense,
        scope=scope,
        after=after,
        limit=limit,
    )
    where = _where_claimed(session, [e.attendance_id for e in found.rows])
    return found.with_rows([ExpenseRow(e, *where[e.attendance_id]) for e in found.rows])


def payments(
    *,
    session: Session,
    network: Network,
    meeting: Meeting,
    status: str | None,
    attended: bool | None,
    after: str | None,
    limit: int,
) -> Rows[payment_service.Owed]:
    """What each member of the meeting's group is owed for it. A row changes with the member,
    their mark (hours, paid), their expenses (one added, changed or deleted), the meeting and
    the network (its pay rate), so its change number is the latest of these; `deleted` are
    members no longer in the group."""
    owed = payment_service.meeting_payments(session=session, meeting=meeting)
    if status is not None:
        owed = [o for o in owed if o.payment.status == status]
    if attended is not None:
        owed = [o for o in owed if o.payment.attended == attended]
    base = max(int(meeting.change_seq), int(network.change_seq))
    spent_gone = _expenses_deleted(session, network.id, meeting.id)

    def key(o: payment_service.Owed) -> tuple[int, int]:
        numbers = [base, int(o.member.change_seq), spent_gone.get(o.member.id, 0)]
        numbers += [int(e.change_seq) for e in o.expenses]
        if o.record is not None:
            numbers.append(int(o.record.change_seq))
        return max(numbers), o.member.id

    return in_memory(
        session=session,
        rows=owed,
        key=key,
        scope=Scope(network.id, ListKind.ATTENDANCE, meeting_id=meeting.id),
        after=after,
        limit=limit,
    )


def _expenses_deleted(session: Session, network_id: int, meeting_id: int) -> dict[int, int]:
    """The change number of the last expense deleted of each member for a meeting."""
    stone = NetworkTombstone
    found = session.exec(
        select(stone.parent_id, func.max(stone.change_seq))
        .where(
            stone.network_id == network_id,
            stone.kind == ListKind.EXPENSE.value,
            stone.meeting_id == meeting_id,
            col(stone.parent_id).is_not(None),
        )
        .group_by(col(stone.parent_id))
    )
    return {int(member): int(seq) for member, seq in found if member is not None}


def _where_claimed(session: Session, attendance_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    if not attendance_ids:
        return {}
    rows = session.exec(
        select(Attendance.id, Attendance.meeting_id, Attendance.member_id).where(
            col(Attendance.id).in_(list(attendance_ids))
        )
    )
    return {int(a): (int(m), int(p)) for a, m, p in rows}
