"""A person in a café: joining, host links and hosts, their needs, leaving."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.i18n import N_, _
from app.models.cafe import (
    Cafe,
    CafeStatus,
    CafeTable,
    Participant,
    RoundStatus,
    Seat,
    SeatingMode,
    StakeholderRole,
)
from app.services.cafe.cafes import current_round
from app.services.cafe.seating import move_person, seat_late_joiner
from app.services.errors import Conflict, Invalid, NotFound


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
    evidence_consent: bool = False,
) -> Participant:
    """Add a person to the café; during a running round they are seated at once.

    `join_key` comes from the join form: the same form sent again (its answer, which set
    the phone's cookie, was lost) gives back the person it made, not a second one.
    `evidence_consent` is the person's own yes to their words being used beyond the café;
    never assumed."""
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict(_("This café has closed, so the code no longer works."))
    name = " ".join(display_name.split())
    if not name:
        raise Invalid(_("Choose a name to be known by today. A made-up name is fine."))
    if len(name) > 40:
        raise Invalid(_("Please keep your name to 40 characters or fewer."))
    if role is not None and role not in {r.value for r in StakeholderRole}:
        raise Invalid(_("Choose one of the roles in the list, or leave it blank."))
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
        evidence_consent=evidence_consent,
        consent_changed_at=now if evidence_consent else None,
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
    rnd = current_round(session=session, cafe=cafe)
    if rnd is not None and rnd.status != RoundStatus.ENDED:
        if host_table is not None:
            session.add(Seat(round_id=rnd.id, participant_id=person.id, table_id=host_table.id))
        elif cafe.seating_mode == SeatingMode.PLANNED:
            seat_late_joiner(session=session, cafe=cafe, rnd=rnd, person=person)
    session.commit()
    if session.expire_on_commit:
        # Scripts' and tests' sessions forget what they wrote at a commit: read it back. A
        # request's session keeps it (nothing here was written behind the ORM's back), and
        # at a room's join burst the read back was a third of a join's own work.
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
        raise Invalid(_("This host link is not valid for this café. Ask the facilitator."))
    return table


def take_host_link(
    *, session: Session, cafe: Cafe, person: Participant, host_token: str
) -> Participant:
    """Someone already in the café opens a table's host link: they become its host (and sit
    there if a round is on), rather than joining a second time."""
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict(_("This café has closed, so the code no longer works."))
    table = _host_table(session, cafe, host_token)
    return set_host(session=session, cafe=cafe, participant_id=person.id, table_id=table.id)


def set_host(
    *, session: Session, cafe: Cafe, participant_id: int, table_id: int | None
) -> Participant:
    """Make someone the host of a table (they stay there), or take the role away."""
    person = session.get(Participant, participant_id)
    if person is None or person.cafe_id != cafe.id:
        raise NotFound(_("No such participant in this café."))
    if table_id is None:
        person.is_host, person.home_table_id = False, None
        session.add(person)
        session.commit()
        return person
    table = session.get(CafeTable, table_id)
    if table is None or table.cafe_id != cafe.id:
        raise NotFound(_("No such table in this café."))
    person.is_host, person.home_table_id = True, table_id
    session.add(person)
    session.commit()
    rnd = current_round(session=session, cafe=cafe)
    if rnd is not None and rnd.status != RoundStatus.ENDED:
        move_person(session=session, cafe=cafe, participant_id=participant_id, table_id=table_id)
    return person


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
        raise Invalid(_("Choose a name of 1 to 40 characters."))
    if role is not None and role not in {r.value for r in StakeholderRole}:
        raise Invalid(_("Choose one of the roles in the list, or leave it blank."))
    person.display_name, person.role = name, role or None
    person.cannot_move, person.large_text, person.easy_read = cannot_move, large_text, easy_read
    session.add(person)
    session.commit()
    return person


# What a person who has left is called: their name goes with them.
LEFT_NAME = N_("Someone who left")


def shown_name(name: str | None) -> str | None:
    """A display name as people read it: the placeholder of someone who left (stored in
    English, as `LEFT_NAME`) in the reader's language; any other name as it was written."""
    return _(LEFT_NAME) if name == LEFT_NAME else name


def leave(*, session: Session, person: Participant, now: datetime) -> None:
    """A person leaves: they are dropped from later seatings and their name is removed; what
    they wrote stays, without it (`app.services.privacy.erasure` removes that too)."""
    person.left_at = now
    person.display_name = LEFT_NAME
    session.add(person)
    session.commit()
