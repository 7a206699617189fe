"""Keep-for periods: how long a café or network keeps personal data, erasing what is past
it (the hourly job in the app and `python -m app purge`) and warning the owner beforehand.

A café's period counts from when it closed (from its creation if it never closed); a
network's from the end of its last meeting (from its creation if it has none). Each has its
own `keep_days`, or the operator's default (`TABLECLOTH_KEEP_DAYS`) when it has none. The same
job deletes audit entries older than `TABLECLOTH_AUDIT_KEEP_DAYS`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from app import i18n
from app.db import Database
from app.models.audit import AuditAction, SubjectKind
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.models.network import LocalGroup, Meeting, Network
from app.models.privacy import ErasureLog
from app.services import accounts, audit, roles
from app.services.audit import Actor, Subject
from app.services.network import payments
from app.services.privacy import erasure

WARN_DAYS = 14
UK = ZoneInfo("Europe/London")
PURGE_SECONDS = 3600.0
log = logging.getLogger("tablecloth.retention")
MIN_KEEP_DAYS = 1
MAX_KEEP_DAYS = 3650


@dataclass(frozen=True)
class Due:
    """A café or network and the moment its personal data is erased."""

    kind: str  # "cafe" or "network"
    id: int
    title: str
    owner_id: int
    erase_on: datetime


def cafe_erase_on(*, cafe: Cafe, default_days: int) -> datetime:
    start = cafe.closed_at or cafe.created_at
    return start + timedelta(days=cafe.keep_days or default_days)


def _network_starts(
    session: Session, owner_id: int | None = None
) -> list[tuple[Network, datetime]]:
    """Each network with the moment its period counts from (its last meeting's end)."""
    last = (
        select(LocalGroup.network_id, func.max(Meeting.ends_at).label("last"))
        .join(Meeting, col(Meeting.group_id) == LocalGroup.id)
        .group_by(col(LocalGroup.network_id))
        .subquery()
    )
    query = select(Network, last.c.last).outerjoin(last, last.c.network_id == Network.id)
    if owner_id is not None:
        query = query.where(Network.facilitator_id == owner_id)
    return [
        (n, max(n.created_at, ends) if ends else n.created_at) for n, ends in session.exec(query)
    ]


def network_erase_on(*, session: Session, network: Network, default_days: int) -> datetime:
    start = next(
        s for n, s in _network_starts(session, network.facilitator_id) if n.id == network.id
    )
    return start + timedelta(days=network.keep_days or default_days)


def _period(days: int | None) -> str:
    return "default" if days is None else f"{days} days"


def set_keep_days(*, session: Session, row: Cafe | Network, days: int | None, actor: Actor) -> None:
    """A café's or network's own keep-for period (None: the server's default); a change is
    audited in the same transaction."""
    if row.keep_days != days:
        kind = SubjectKind.CAFE if isinstance(row, Cafe) else SubjectKind.NETWORK
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CHANGED_KEEP_FOR,
            subject=Subject(kind, row.id),
            owner_id=row.facilitator_id,
            detail=f"{_period(row.keep_days)} -> {_period(days)}",
        )
    row.keep_days = days
    session.add(row)
    session.commit()
    session.refresh(row)


def day(moment: datetime) -> str:
    """A date as people read it in the UK, in the current language: "3 March 2027",
    "3 Mawrth 2027"."""
    return i18n.format_day_pattern(moment.astimezone(UK), "d MMMM y")


def upcoming(
    *, session: Session, default_days: int, before: datetime, owner_id: int | None = None
) -> list[Due]:
    """Cafés and networks whose personal data is erased before `before`, soonest first.

    Cheap when nothing is due: a café cannot be due before its shortest possible period has
    passed, so only cafés started that long ago are read."""
    found: list[Due] = []
    shortest = before - timedelta(days=MIN_KEEP_DAYS)
    cafes = select(Cafe).where(func.coalesce(Cafe.closed_at, Cafe.created_at) <= shortest)
    if owner_id is not None:
        cafes = cafes.where(Cafe.facilitator_id == owner_id)
    for cafe in session.exec(cafes):
        when = cafe_erase_on(cafe=cafe, default_days=default_days)
        if when <= before:
            found.append(Due("cafe", cafe.id, cafe.title, cafe.facilitator_id, when))
    for network, start in _network_starts(session, owner_id):
        when = start + timedelta(days=network.keep_days or default_days)
        if when <= before:
            found.append(Due("network", network.id, network.title, network.facilitator_id, when))
    return sorted(found, key=lambda d: d.erase_on)


def purge(
    *, session: Session, media_dir: Path, default_days: int, now: datetime
) -> list[ErasureLog]:
    """Erase every café and network past its keep-for date; returns the log entries."""
    done: list[ErasureLog] = []
    for due in upcoming(session=session, default_days=default_days, before=now):
        if due.kind == "cafe":
            cafe = session.get(Cafe, due.id)
            if cafe is not None:
                done.append(
                    erasure.erase_cafe(
                        session=session,
                        media_dir=media_dir,
                        cafe=cafe,
                        actor=audit.RETENTION,
                        now=now,
                        expired=True,
                    )
                )
        else:
            network = session.get(Network, due.id)
            if network is not None:
                done.append(
                    erasure.erase_network(
                        session=session,
                        media_dir=media_dir,
                        network=network,
                        actor=audit.RETENTION,
                        now=now,
                        expired=True,
                    )
                )
    return done


def warnings(*, session: Session, owner_id: int, default_days: int, now: datetime) -> list[Due]:
    """The owner's cafés and networks erased within the next `WARN_DAYS` days."""
    return upcoming(
        session=session,
        default_days=default_days,
        before=now + timedelta(days=WARN_DAYS),
        owner_id=owner_id,
    )


def purge_audit_log(*, session: Session, audit_days: int, now: datetime) -> int:
    """Delete audit entries older than `audit_days` (`TABLECLOTH_AUDIT_KEEP_DAYS`); they
    outlive the data they mention, not for good. Committed; returns how many went."""
    gone = audit.purge(session=session, keep_days=audit_days, now=now)
    session.commit()
    return gone


def purge_now(
    *, db: Database, media_dir: Path, default_days: int, audit_days: int
) -> list[ErasureLog]:
    """One run of the job: erase what is due, in a session of its own."""
    now = utcnow()
    with Session(db.engine, expire_on_commit=False) as session:
        # Attempt counters (with client addresses) a day old go even when nobody logs in.
        accounts.purge_expired(session=session, now=now)
        # Role invites hold the invited person's email: gone a day after they close.
        roles.forget_closed_invites(session=session, now=now)
        session.commit()
        done = purge(session=session, media_dir=media_dir, default_days=default_days, now=now)
        # Receipt photos whose expense went with a deleted meeting, group or member.
        payments.sweep_receipts(session=session, media_dir=media_dir)
        purge_audit_log(session=session, audit_days=audit_days, now=now)
        return done


async def keep_purging(
    db: Database,
    media_dir: Path,
    default_days: int,
    audit_days: int,
    every: float = PURGE_SECONDS,
) -> None:
    """While the app runs (a task of its lifespan, after a first run at start): `purge_now`
    in a worker thread every `every` seconds. With nothing due it is two short queries."""
    while True:
        await asyncio.sleep(every)
        await purge_logged(
            db=db, media_dir=media_dir, default_days=default_days, audit_days=audit_days
        )


async def purge_logged(
    *, db: Database, media_dir: Path, default_days: int, audit_days: int
) -> None:
    try:
        done = await asyncio.to_thread(
            purge_now,
            db=db,
            media_dir=media_dir,
            default_days=default_days,
            audit_days=audit_days,
        )
    except (SQLAlchemyError, OSError):
        log.warning("erasing personal data past its keep-for date failed", exc_info=True)
        return
    for entry in done:
        log.info(json.dumps({"event": "retention", **summary(entry)}))


def summary(entry: ErasureLog) -> dict[str, object]:
    """An erasure in counts, for the log and `python -m app purge`."""
    return entry.model_dump(exclude={"id", "owner_id", "erased_by", "reason", "at"})
