"""Change numbers of a network: the order in which the rows of its lists changed, as API
clients sync them (the café's contributions do the same, `app.services.changes`).

Every write that changes what a listed row says (a local group, a member, a meeting, a
mark on an attendance sheet, a "you said, we did" update, an action, an expense, a
material, its versions, sections, evidence items and publications for members, and the
network itself, whose pay rate is in every row of a meeting's payments) gives the row its
network's next change number in `change_seq`. The number is taken from the
network's row in `network_change_counter`, which holds that row until the transaction ends,
so one network's writes commit in the order of their numbers: a client that has seen every
change up to number N has seen all there will ever be up to N. A delete leaves a tombstone
(`network_tombstone`) with the number of the delete, so the client learns to drop the row.

This is done once for every write, whichever code makes it, by a `before_flush` listener on
every ORM session (registered when this module is imported, from `app.services`): one number
per network per transaction, taken before the flush writes any row (the counter's lock
first). A write that goes around the ORM (a bulk `update()`/`delete()` on these tables) is
not seen: stamp it with `touch` (evidence items, which are redacted and marked in bulk
across networks, with `touch_evidence`).

Rows a delete takes with it through the database's foreign keys (a group's members,
meetings and publications for members, a member's attendance and expenses, a section's or
a material's evidence items) are tombstoned here too, and rows whose listing changes with
another row (a group's member and meeting counts, an action whose owner is deleted, an
update whose links change, a member's row on a sheet when they join the café, a meeting
whose café is deleted, an action whose plan is, a section whose evidence changes) are
stamped with the same number. A café deleted in a statement of its own (not through the
ORM) is not seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Connection, Table, event, insert, select, text, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, UOWTransaction

from app.models.action_plan import ActionPlan
from app.models.cafe import Cafe
from app.models.follow_up import ActionChange, NetworkAction
from app.models.material import EvidenceItem, Material, MaterialSection, MaterialVersion
from app.models.material_editions import MaterialPublication
from app.models.network import Attendance, LocalGroup, Meeting, Member, MemberParticipant, Network
from app.models.network_changes import ListKind, NetworkChangeCounter, NetworkTombstone
from app.models.payments import Expense
from app.models.you_said import YouSaid, YouSaidLink

_COUNTER = cast(Table, NetworkChangeCounter.__table__)  # type: ignore[attr-defined]
_TOMBSTONES = cast(Table, NetworkTombstone.__table__)  # type: ignore[attr-defined]
_GROUPS = cast(Table, LocalGroup.__table__)  # type: ignore[attr-defined]
_MEMBERS = cast(Table, Member.__table__)  # type: ignore[attr-defined]
_MEETINGS = cast(Table, Meeting.__table__)  # type: ignore[attr-defined]
_ATTENDANCE = cast(Table, Attendance.__table__)  # type: ignore[attr-defined]
_EXPENSES = cast(Table, Expense.__table__)  # type: ignore[attr-defined]
_UPDATES = cast(Table, YouSaid.__table__)  # type: ignore[attr-defined]
_ACTIONS = cast(Table, NetworkAction.__table__)  # type: ignore[attr-defined]
_MATERIALS = cast(Table, Material.__table__)  # type: ignore[attr-defined]
_VERSIONS = cast(Table, MaterialVersion.__table__)  # type: ignore[attr-defined]
_SECTIONS = cast(Table, MaterialSection.__table__)  # type: ignore[attr-defined]
_EVIDENCE = cast(Table, EvidenceItem.__table__)  # type: ignore[attr-defined]
_PUBLICATIONS = cast(Table, MaterialPublication.__table__)  # type: ignore[attr-defined]

# The rows that carry a change number, and the list each is a row of.
STAMPED = (
    LocalGroup,
    Member,
    Meeting,
    Attendance,
    YouSaid,
    NetworkAction,
    Expense,
    Material,
    # The network itself: its pay rate is in every row of a meeting's payments.
    Network,
    MaterialVersion,
    MaterialSection,
    EvidenceItem,
    MaterialPublication,
)

# As `app.services.changes._TAKE`: one statement, no row made beforehand, both databases.
_TAKE = text(
    f"INSERT INTO {_COUNTER.name} (network_id, seq) VALUES (:network_id, 1) "
    f"ON CONFLICT (network_id) DO UPDATE SET seq = {_COUNTER.name}.seq + 1 RETURNING seq"
)

_NUMBERS = "network_change_numbers"  # session.info: {network_id: number} this transaction


def take(*, connection: Connection, network_id: int) -> int:
    """The network's next change number (and its counter's lock until the transaction ends)."""
    return int(connection.execute(_TAKE, {"network_id": network_id}).scalar_one())


def number(session: OrmSession, network_id: int) -> int:
    """This transaction's change number for the network: taken once, then the same."""
    numbers: dict[int, int] = session.info.setdefault(_NUMBERS, {})
    if network_id not in numbers:
        numbers[network_id] = take(connection=session.connection(), network_id=network_id)
    return numbers[network_id]


def touch_evidence(*, session: OrmSession, ids: Iterable[int]) -> None:
    """Stamp evidence items about to be written around the ORM (redacted, marked as their
    source changed), and their sections, each with its network's number."""
    found = list(ids)
    if not found:
        return
    conn = session.connection()
    rows = conn.execute(
        select(_EVIDENCE.c.id, _EVIDENCE.c.network_id, _EVIDENCE.c.section_id).where(
            _EVIDENCE.c.id.in_(found)
        )
    ).all()
    for network_id in {int(n) for _, n, _ in rows}:
        mine = [r for r in rows if int(r[1]) == network_id]
        seq = number(session, network_id)
        conn.execute(
            update(_EVIDENCE)
            .where(_EVIDENCE.c.id.in_([int(r[0]) for r in mine]))
            .values(change_seq=seq)
        )
        conn.execute(
            update(_SECTIONS)
            .where(_SECTIONS.c.id.in_({int(r[2]) for r in mine}))
            .values(change_seq=seq)
        )


def touch(*, session: OrmSession, network_id: int, table: Table, ids: Iterable[int]) -> None:
    """Stamp rows written around the ORM with the network's number for this transaction."""
    found = list(ids)
    if found:
        seq = number(session, network_id)
        session.connection().execute(
            update(table).where(table.c.id.in_(found)).values(change_seq=seq)
        )


# --- who belongs to which network --------------------------------------------------------


def _network_of_group(conn: Connection, group_id: int | None) -> int | None:
    if group_id is None:
        return None
    found = conn.execute(select(_GROUPS.c.network_id).where(_GROUPS.c.id == group_id))
    return found.scalar_one_or_none()


def _group_of_meeting(conn: Connection, meeting_id: int | None) -> int | None:
    if meeting_id is None:
        return None
    found = conn.execute(select(_MEETINGS.c.group_id).where(_MEETINGS.c.id == meeting_id))
    return found.scalar_one_or_none()


def _group_of_member(conn: Connection, member_id: int | None) -> int | None:
    if member_id is None:
        return None
    found = conn.execute(select(_MEMBERS.c.group_id).where(_MEMBERS.c.id == member_id))
    return found.scalar_one_or_none()


def _meeting_of_attendance(conn: Connection, attendance_id: int | None) -> int | None:
    if attendance_id is None:
        return None
    found = conn.execute(select(_ATTENDANCE.c.meeting_id).where(_ATTENDANCE.c.id == attendance_id))
    return found.scalar_one_or_none()


def _network_of_material(conn: Connection, material_id: int | None) -> int | None:
    if material_id is None:
        return None
    found = conn.execute(select(_MATERIALS.c.network_id).where(_MATERIALS.c.id == material_id))
    return found.scalar_one_or_none()


def _material_of_version(conn: Connection, version_id: int | None) -> int | None:
    if version_id is None:
        return None
    found = conn.execute(select(_VERSIONS.c.material_id).where(_VERSIONS.c.id == version_id))
    return found.scalar_one_or_none()


def _network_of(conn: Connection, row: Any) -> int | None:
    """The network a row of one of its lists belongs to (None: its parent is gone)."""
    if isinstance(row, Network):
        return row.id
    if isinstance(row, LocalGroup | YouSaid | NetworkAction | Material | EvidenceItem):
        return int(row.network_id) if row.network_id is not None else None
    if isinstance(row, MaterialVersion | MaterialPublication):
        return _network_of_material(conn, row.material_id)
    if isinstance(row, MaterialSection):
        return _network_of_material(conn, _material_of_version(conn, row.version_id))
    if isinstance(row, Member | Meeting):
        return _network_of_group(conn, row.group_id)
    if isinstance(row, Attendance):
        return _network_of_group(conn, _group_of_meeting(conn, row.meeting_id))
    if isinstance(row, Expense):
        meeting = _meeting_of_attendance(conn, row.attendance_id)
        return _network_of_group(conn, _group_of_meeting(conn, meeting))
    return None


# --- the listener ------------------------------------------------------------------------


class _Flush:
    """What one flush stamps and tombstones, network by network."""

    def __init__(self, session: OrmSession, gone: set[int]) -> None:
        self.session = session
        self.conn = session.connection()
        self.gone = gone  # networks deleted in this flush: nothing of theirs to record
        self.tombstones: list[dict[str, Any]] = []

    def seq(self, network_id: int) -> int:
        return number(self.session, network_id)

    def stamp(self, network_id: int | None, table: Table, ids: Iterable[int | None]) -> None:
        found = [i for i in ids if i is not None]
        if network_id is None or network_id in self.gone or not found:
            return
        self.conn.execute(
            update(table).where(table.c.id.in_(found)).values(change_seq=self.seq(network_id))
        )

    def bury(
        self,
        network_id: int | None,
        kind: ListKind,
        ids: Iterable[int],
        *,
        group_id: int | None = None,
        meeting_id: int | None = None,
        parent_id: int | None = None,
    ) -> None:
        if network_id is None or network_id in self.gone:
            return
        seq = self.seq(network_id)
        self.tombstones += [
            {
                "network_id": network_id,
                "kind": kind.value,
                "row_id": i,
                "group_id": group_id,
                "meeting_id": meeting_id,
                "parent_id": parent_id,
                "change_seq": seq,
            }
            for i in ids
        ]

    def ids(self, table: Table, *where: Any) -> list[int]:
        return [int(i) for i in self.conn.execute(select(table.c.id).where(*where)).scalars()]

    # What a delete takes with it (the database's foreign keys delete the rows themselves).

    def expenses_of_attendance(self, network_id: int, attendance_ids: list[int]) -> None:
        """Each expense with its meeting and member (a meeting's expenses and payments)."""
        if not attendance_ids:
            return
        found = self.conn.execute(
            select(_EXPENSES.c.id, _ATTENDANCE.c.meeting_id, _ATTENDANCE.c.member_id)
            .join(_ATTENDANCE, _ATTENDANCE.c.id == _EXPENSES.c.attendance_id)
            .where(_EXPENSES.c.attendance_id.in_(attendance_ids))
        )
        for expense_id, meeting_id, member_id in found:
            self.bury(
                network_id,
                ListKind.EXPENSE,
                [int(expense_id)],
                meeting_id=int(meeting_id),
                parent_id=int(member_id),
            )

    def evidence_of_sections(self, network_id: int | None, section_ids: list[int]) -> None:
        """Evidence items a section's (or a material's) delete takes with it."""
        if not section_ids:
            return
        found = self.conn.execute(
            select(_EVIDENCE.c.id, _EVIDENCE.c.section_id).where(
                _EVIDENCE.c.section_id.in_(section_ids)
            )
        )
        for item_id, section_id in found:
            self.bury(network_id, ListKind.EVIDENCE, [int(item_id)], parent_id=int(section_id))

    def group_deleted(self, group: LocalGroup) -> None:
        network_id, group_id = group.network_id, group.id
        self.bury(network_id, ListKind.GROUP, [group_id])
        meetings = self.ids(_MEETINGS, _MEETINGS.c.group_id == group_id)
        for meeting_id in meetings:
            self.bury(network_id, ListKind.MEETING, [meeting_id], group_id=group_id)
        members = self.ids(_MEMBERS, _MEMBERS.c.group_id == group_id)
        self.bury(network_id, ListKind.MEMBER, members, group_id=group_id)
        if meetings:
            attendance = self.ids(_ATTENDANCE, _ATTENDANCE.c.meeting_id.in_(meetings))
            self.expenses_of_attendance(network_id, attendance)
        updates = self.ids(_UPDATES, _UPDATES.c.group_id == group_id)
        self.bury(network_id, ListKind.UPDATE, updates, group_id=group_id)
        actions = self.ids(_ACTIONS, _ACTIONS.c.group_id == group_id)
        self.bury(network_id, ListKind.ACTION, actions, group_id=group_id)
        found = self.conn.execute(
            select(_PUBLICATIONS.c.id, _PUBLICATIONS.c.material_id).where(
                _PUBLICATIONS.c.group_id == group_id
            )
        )
        for publication_id, material_id in found:
            self.bury(
                network_id, ListKind.PUBLICATION, [int(publication_id)], parent_id=int(material_id)
            )

    def member_deleted(self, member: Member, groups_gone: set[int]) -> None:
        if member.group_id in groups_gone:
            return
        network_id = _network_of_group(self.conn, member.group_id)
        if network_id is None:
            return
        self.bury(network_id, ListKind.MEMBER, [member.id], group_id=member.group_id)
        # Their row on each of the group's attendance sheets, and their expenses.
        for meeting_id in self.ids(_MEETINGS, _MEETINGS.c.group_id == member.group_id):
            self.bury(network_id, ListKind.ATTENDANCE, [member.id], meeting_id=meeting_id)
        attendance = self.ids(_ATTENDANCE, _ATTENDANCE.c.member_id == member.id)
        self.expenses_of_attendance(network_id, attendance)
        # The group's member count; the actions they owned pass to the lead.
        self.stamp(network_id, _GROUPS, [member.group_id])
        self.stamp(
            network_id, _ACTIONS, self.ids(_ACTIONS, _ACTIONS.c.owner_member_id == member.id)
        )

    def meeting_deleted(self, meeting: Meeting, groups_gone: set[int]) -> None:
        if meeting.group_id in groups_gone:
            return
        network_id = _network_of_group(self.conn, meeting.group_id)
        if network_id is None:
            return
        self.bury(network_id, ListKind.MEETING, [meeting.id], group_id=meeting.group_id)
        attendance = self.ids(_ATTENDANCE, _ATTENDANCE.c.meeting_id == meeting.id)
        self.expenses_of_attendance(network_id, attendance)
        self.stamp(network_id, _GROUPS, [meeting.group_id])

    def finish(self) -> None:
        if self.tombstones:
            self.conn.execute(insert(_TOMBSTONES), self.tombstones)


def _before_flush(session: OrmSession, _context: UOWTransaction, _instances: object) -> None:
    new = [
        o
        for o in session.new
        if isinstance(o, (*STAMPED, ActionChange, YouSaidLink, MemberParticipant))
    ]
    dirty = [o for o in session.dirty if isinstance(o, STAMPED)]
    deleted = list(session.deleted)
    if not (new or dirty or deleted):
        return
    gone = {o.id for o in deleted if isinstance(o, Network)}
    flush = _Flush(session, gone)
    with session.no_autoflush:
        _stamp_written(flush, new, dirty)
        _record_deleted(flush, deleted)
    flush.finish()


def _stamp_written(flush: _Flush, new: list[Any], dirty: list[Any]) -> None:
    conn = flush.conn
    changed = [o for o in dirty if flush.session.is_modified(o, include_collections=False)]
    added = {id(o) for o in new}  # by identity: rows with the same fields compare equal
    for row in [*new, *changed]:
        if isinstance(row, STAMPED):
            network_id = _network_of(conn, row)
            if network_id is not None and network_id not in flush.gone:
                row.change_seq = flush.seq(network_id)
            if isinstance(row, Member | Meeting) and id(row) in added:
                # The group's member and meeting counts.
                flush.stamp(network_id, _GROUPS, [row.group_id])
        _stamp_listed_with(flush, row)


def _stamp_listed_with(flush: _Flush, row: Any) -> None:
    """Rows whose listing shows what `row` says, as it is added or changed."""
    conn = flush.conn
    if isinstance(row, ActionChange):
        network_id = conn.execute(
            select(_ACTIONS.c.network_id).where(_ACTIONS.c.id == row.action_id)
        ).scalar_one_or_none()
        flush.stamp(network_id, _ACTIONS, [row.action_id])
    elif isinstance(row, YouSaidLink):
        network_id = conn.execute(
            select(_UPDATES.c.network_id).where(_UPDATES.c.id == row.update_id)
        ).scalar_one_or_none()
        flush.stamp(network_id, _UPDATES, [row.update_id])
    elif isinstance(row, MaterialVersion):
        # The material's newest, published and draft version numbers.
        _stamp_material(flush, row.material_id)
    elif isinstance(row, EvidenceItem):
        # The section lists its evidence.
        flush.stamp(row.network_id, _SECTIONS, [row.section_id])
    elif isinstance(row, MemberParticipant):
        # `joined_cafe` on the member's row of the attendance sheets.
        group_id = _group_of_member(conn, row.member_id)
        flush.stamp(_network_of_group(conn, group_id), _MEMBERS, [row.member_id])


def _record_deleted(flush: _Flush, deleted: list[Any]) -> None:
    conn = flush.conn
    groups = [o for o in deleted if isinstance(o, LocalGroup)]
    groups_gone = {g.id for g in groups}
    for group in groups:
        flush.group_deleted(group)
    for row in deleted:
        if isinstance(row, Member):
            flush.member_deleted(row, groups_gone)
        elif isinstance(row, Meeting):
            flush.meeting_deleted(row, groups_gone)
        elif isinstance(row, Attendance):
            meeting_group = _group_of_meeting(conn, row.meeting_id)
            network_id = _network_of_group(conn, meeting_group)
            if network_id is not None:
                # The member's row on the sheet is unmarked again.
                flush.stamp(network_id, _MEMBERS, [row.member_id])
                flush.expenses_of_attendance(network_id, [row.id])
        elif isinstance(row, Expense):
            claim = conn.execute(
                select(_ATTENDANCE.c.meeting_id, _ATTENDANCE.c.member_id).where(
                    _ATTENDANCE.c.id == row.attendance_id
                )
            ).first()
            meeting_id, member_id = claim if claim is not None else (None, None)
            network_id = _network_of(conn, row)
            flush.bury(
                network_id, ListKind.EXPENSE, [row.id], meeting_id=meeting_id, parent_id=member_id
            )
        elif isinstance(row, YouSaid):
            flush.bury(row.network_id, ListKind.UPDATE, [row.id], group_id=row.group_id)
        elif isinstance(row, NetworkAction):
            flush.bury(row.network_id, ListKind.ACTION, [row.id], group_id=row.group_id)
        elif isinstance(row, YouSaidLink):
            network_id = conn.execute(
                select(_UPDATES.c.network_id).where(_UPDATES.c.id == row.update_id)
            ).scalar_one_or_none()
            flush.stamp(network_id, _UPDATES, [row.update_id])
        elif isinstance(row, Material):
            flush.bury(row.network_id, ListKind.MATERIAL, [row.id])
            versions = flush.ids(_VERSIONS, _VERSIONS.c.material_id == row.id)
            sections = flush.ids(_SECTIONS, _SECTIONS.c.version_id.in_(versions))
            flush.evidence_of_sections(row.network_id, sections)
        elif isinstance(row, MaterialSection):
            network_id = _network_of(conn, row)
            flush.bury(network_id, ListKind.SECTION, [row.id], parent_id=row.version_id)
            flush.evidence_of_sections(network_id, [row.id])
        elif isinstance(row, EvidenceItem):
            flush.bury(row.network_id, ListKind.EVIDENCE, [row.id], parent_id=row.section_id)
            flush.stamp(row.network_id, _SECTIONS, [row.section_id])
        elif isinstance(row, MaterialPublication):
            network_id = _network_of(conn, row)
            flush.bury(network_id, ListKind.PUBLICATION, [row.id], parent_id=row.material_id)
        elif isinstance(row, Cafe):
            # Its meetings' `cafe_id` (set null by the database).
            _stamp_by_network(flush, _MEETINGS, _meetings_of_cafe(conn, row.id))
        elif isinstance(row, ActionPlan):
            # Its actions' `plan_id` (set null by the database).
            found = conn.execute(
                select(_ACTIONS.c.id, _ACTIONS.c.network_id).where(_ACTIONS.c.plan_id == row.id)
            )
            _stamp_by_network(flush, _ACTIONS, [(int(i), int(n)) for i, n in found])
        elif isinstance(row, MaterialVersion):
            _stamp_material(flush, row.material_id)


def _meetings_of_cafe(conn: Connection, cafe_id: int) -> list[tuple[int, int]]:
    found = conn.execute(
        select(_MEETINGS.c.id, _GROUPS.c.network_id)
        .join(_GROUPS, _GROUPS.c.id == _MEETINGS.c.group_id)
        .where(_MEETINGS.c.cafe_id == cafe_id)
    )
    return [(int(i), int(n)) for i, n in found]


def _stamp_by_network(flush: _Flush, table: Table, rows: list[tuple[int, int]]) -> None:
    """Stamp rows given as (id, network id), each with its network's number."""
    for network_id in {n for _, n in rows}:
        flush.stamp(network_id, table, [i for i, n in rows if n == network_id])


def _stamp_material(flush: _Flush, material_id: int | None) -> None:
    if material_id is None:
        return
    network_id = flush.conn.execute(
        select(_MATERIALS.c.network_id).where(_MATERIALS.c.id == material_id)
    ).scalar_one_or_none()
    flush.stamp(network_id, _MATERIALS, [material_id])


def _forget_numbers(session: OrmSession, _transaction: SessionTransaction) -> None:
    """A transaction (or a savepoint) ended: its numbers are spent or rolled back."""
    session.info.pop(_NUMBERS, None)


event.listen(OrmSession, "before_flush", _before_flush)
event.listen(OrmSession, "after_transaction_end", _forget_numbers)
