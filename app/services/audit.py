"""The audit log: recording who did what to whose personal data, reading it back (the owner
only sees entries about their own data), as CSV, and deleting entries past
`TABLECLOTH_AUDIT_KEEP_DAYS`.

A change is recorded in the transaction that makes it (`record`, committed by the caller's
commit: an erasure rolled back leaves no entry, and no entry is left without its erasure).
A read is recorded once per request in a short write of its own (`record_read`), as the
request's own session may be a read-only one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.db import Database
from app.models.accounts import Facilitator
from app.models.audit import (
    ACTION_WORDS,
    ACTOR_LABELS,
    ROLES_CHANGED,
    ActorKind,
    AuditAction,
    AuditEntry,
    SubjectKind,
)
from app.services.errors import Invalid
from app.services.export.notes import neutralise


@dataclass(frozen=True)
class Actor:
    """Who did it: a facilitator (with their email as it is now, kept as text), a member, a
    participant, or the retention job."""

    kind: ActorKind
    id: int | None = None
    email: str = ""

    @property
    def label(self) -> str:
        return self.email if self.kind == ActorKind.FACILITATOR else ACTOR_LABELS[self.kind]


RETENTION = Actor(ActorKind.SYSTEM)


def facilitator(who: Facilitator) -> Actor:
    return Actor(ActorKind.FACILITATOR, who.id, who.email)


def member(member_id: int) -> Actor:
    return Actor(ActorKind.MEMBER, member_id)


def participant(participant_id: int) -> Actor:
    return Actor(ActorKind.PARTICIPANT, participant_id)


@dataclass(frozen=True)
class Subject:
    """What an entry is about: a kind of row and its id (never its contents)."""

    kind: SubjectKind
    id: int


def record(
    *,
    session: Session,
    actor: Actor,
    action: AuditAction,
    subject: Subject,
    owner_id: int,
    detail: str = "",
    now: datetime | None = None,
) -> AuditEntry:
    """Add an entry to the session's transaction; it is stored when the caller commits."""
    entry = AuditEntry(
        owner_id=owner_id,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor=actor.label[:254],
        action=action,
        subject_kind=subject.kind,
        subject_id=subject.id,
        detail=detail[:120],
    )
    if now is not None:
        entry.at = now
    session.add(entry)
    return entry


def roles_changed(
    *,
    session: Session,
    actor: Actor,
    action: AuditAction,
    role: str,
    subject: Subject,
    owner_id: int,
) -> AuditEntry:
    """A role given, taken up or taken away (`action` one of `ROLES_CHANGED`); `role` names
    it ("co-facilitator", "coordinator"); not committed."""
    if action not in ROLES_CHANGED:
        raise ValueError(f"{action} is not a change of roles")  # not shown to people
    return record(
        session=session, actor=actor, action=action, subject=subject, owner_id=owner_id, detail=role
    )


def record_read(
    *,
    db: Database,
    actor: Actor,
    action: AuditAction,
    subject: Subject,
    owner_id: int,
    detail: str = "",
) -> None:
    """Record a read (contact details shown, an export, a subject access read) in a write of
    its own, committed before the data is sent."""
    with Session(db.engine) as session:
        record(
            session=session,
            actor=actor,
            action=action,
            subject=subject,
            owner_id=owner_id,
            detail=detail,
        )
        session.commit()


@dataclass(frozen=True)
class AuditFilter:
    """Which of an owner's entries to read: one action, from `since`, before `until`."""

    action: AuditAction | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise Invalid("`since` is after `until`: nothing can be in between.")


def _query(owner_id: int, filters: AuditFilter) -> SelectOfScalar[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.owner_id == owner_id)
    if filters.action is not None:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since is not None:
        query = query.where(col(AuditEntry.at) >= filters.since)
    if filters.until is not None:
        query = query.where(col(AuditEntry.at) < filters.until)
    return query


def entries(
    *,
    session: Session,
    owner_id: int,
    filters: AuditFilter,
    after: int | None = None,
    limit: int = 50,
) -> tuple[list[AuditEntry], int | None]:
    """The owner's entries in the order they were made, after a cursor (an entry's id); the
    cursor for the next page, or None on the last."""
    query = _query(owner_id, filters)
    if after is not None:
        query = query.where(col(AuditEntry.id) > after)
    rows = list(session.exec(query.order_by(col(AuditEntry.id)).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], rows[limit - 1].id


def newest(
    *,
    session: Session,
    owner_id: int,
    filters: AuditFilter,
    before: int | None = None,
    limit: int = 50,
) -> tuple[list[AuditEntry], int | None]:
    """The owner's entries newest first (for the page), before a cursor; the cursor for the
    older ones, or None when there are none."""
    query = _query(owner_id, filters)
    if before is not None:
        query = query.where(col(AuditEntry.id) < before)
    rows = list(session.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], rows[limit - 1].id


def of_member(*, session: Session, member_id: int) -> list[AuditEntry]:
    """Entries whose actor is this member: what they did is their data (subject access)."""
    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.actor_kind == ActorKind.MEMBER, AuditEntry.actor_id == member_id)
            .order_by(col(AuditEntry.id))
        )
    )


CSV_COLUMNS = ["id", "at", "actor_kind", "actor_id", "actor", "action", "what", "subject_kind"]
CSV_COLUMNS += ["subject_id", "detail"]
BATCH = 500


def as_csv(*, session: Session, owner_id: int, filters: AuditFilter) -> Iterator[bytes]:
    """The owner's entries (filtered) as CSV, oldest first, UTF-8 with a byte-order mark for
    spreadsheets; text a spreadsheet would run as a formula is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    after: int | None = None
    while True:
        rows, after = entries(
            session=session, owner_id=owner_id, filters=filters, after=after, limit=BATCH
        )
        buffer.seek(0)
        buffer.truncate()
        for e in rows:
            writer.writerow(
                [
                    e.id,
                    e.at.isoformat(),
                    e.actor_kind,
                    "" if e.actor_id is None else e.actor_id,
                    neutralise(e.actor),
                    e.action,
                    ACTION_WORDS[AuditAction(e.action)],
                    e.subject_kind,
                    e.subject_id,
                    neutralise(e.detail),
                ]
            )
        yield buffer.getvalue().encode()
        if after is None:
            return


def purge(*, session: Session, keep_days: int, now: datetime) -> int:
    """Delete entries older than `keep_days`; not committed. Returns how many went."""
    result = session.execute(
        delete(AuditEntry)
        .where(col(AuditEntry.at) < now - timedelta(days=keep_days))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
