"""Reshaping the room while the café runs: tables added, changed or removed, a round's
questions changed, a message to every phone, people without phones, and help asked for
(issue 26). Each change to what the next round is planned from moves the café's `version`
on (`app.models.cafe._move_version_on`), so a plan kept for the room as it was is not used."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from app.i18n import _, in_language, ngettext
from app.models.cafe import (
    Cafe,
    CafeStatus,
    CafeTable,
    Participant,
    Round,
    RoundPublic,
    RoundStatus,
    Seat,
    TableQuestion,
)
from app.models.evidence import Contribution
from app.models.room import (
    Broadcast,
    HelpRequest,
    PersonWithoutPhone,
    RoundChange,
    TableAdd,
    TableChange,
)
from app.services.board import posting
from app.services.board.posting import Posted
from app.services.cafe import participants as participant_service
from app.services.cafe.cafes import current_round, seconds_left, table_questions, tables_of
from app.services.errors import Conflict, Forbidden, Invalid, NotFound

# A help request the facilitator saw stays on the phone ("The facilitator has seen it") this
# long; then the button is back.
SEEN_SHOWS_FOR = timedelta(minutes=2)


def _open(cafe: Cafe) -> None:
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict(_("The café has closed: the room can no longer change."))


def _table(session: Session, cafe: Cafe, table_id: int) -> CafeTable:
    table = session.get(CafeTable, table_id)
    if table is None or table.cafe_id != cafe.id:
        raise NotFound(_("There is no such table in this café."))
    return table


def _seated_now(session: Session, cafe: Cafe, table_id: int) -> int:
    """How many people sit at the table in the current round (0 when none is on)."""
    rnd = current_round(session=session, cafe=cafe)
    if rnd is None or rnd.status == RoundStatus.ENDED:
        return 0
    return session.exec(
        select(func.count()).where(Seat.round_id == rnd.id, Seat.table_id == table_id)
    ).one()


# --- tables -------------------------------------------------------------------------------


def add_table(*, session: Session, cafe: Cafe, data: TableAdd) -> CafeTable:
    """A new table after the others; people are seated at it from the next round."""
    _open(cafe)
    last = session.exec(
        select(func.max(CafeTable.number)).where(CafeTable.cafe_id == cafe.id)
    ).one()
    number = (last or 0) + 1
    if number > 200:
        raise Conflict(_("A café can have at most 200 tables."))
    table = CafeTable(
        cafe_id=cafe.id,
        number=number,
        name=data.name or in_language(cafe.language, "Table %(number)s", number=number),
        capacity=data.capacity,
    )
    session.add(table)
    session.commit()
    session.refresh(table)
    return table


def change_table(*, session: Session, cafe: Cafe, table_id: int, data: TableChange) -> CafeTable:
    """A table's name or seats; not fewer seats than people sitting there now."""
    _open(cafe)
    table = _table(session, cafe, table_id)
    if data.capacity is not None:
        seated = _seated_now(session, cafe, table.id)
        if data.capacity < seated:
            raise Conflict(
                ngettext(
                    "%(table)s has %(num)s person sitting there now: "
                    "move them first, or keep at least %(num)s seat.",
                    "%(table)s has %(num)s people sitting there now: "
                    "move some of them first, or keep at least %(num)s seats.",
                    seated,
                    table=table.name,
                )
            )
        table.capacity = data.capacity
    if data.name is not None:
        table.name = data.name
    session.add(table)
    session.commit()
    session.refresh(table)
    return table


def remove_table(*, session: Session, cafe: Cafe, table_id: int) -> None:
    """Take a table out of the room. Not one with people sitting there now (they would lose
    their seat without being told where to go), nor one that held an earlier round's
    conversation (its cards stay in the café's notes, under its name)."""
    _open(cafe)
    table = _table(session, cafe, table_id)
    seated = _seated_now(session, cafe, table.id)
    if seated:
        raise Conflict(
            ngettext(
                "%(table)s has %(num)s person sitting there now. "
                "Move them to other tables first, then remove it.",
                "%(table)s has %(num)s people sitting there now. "
                "Move them to other tables first, then remove it.",
                seated,
                table=table.name,
            )
        )
    used = session.exec(select(func.count()).where(Seat.table_id == table.id)).one()
    cards = session.exec(select(func.count()).where(Contribution.table_id == table.id)).one()
    if used or cards:
        raise Conflict(
            _(
                "%(table)s was used in an earlier round, so it stays in the café's notes. "
                "Give it fewer seats instead, or leave it empty.",
                table=table.name,
            )
        )
    # Its host (before anyone is seated) keeps no table; help asked there keeps no table.
    session.execute(
        update(Participant)
        .where(col(Participant.home_table_id) == table.id)
        .values(home_table_id=None, is_host=False)
    )
    session.execute(
        update(HelpRequest).where(col(HelpRequest.table_id) == table.id).values(table_id=None)
    )
    session.delete(table)
    session.commit()


# --- rounds -------------------------------------------------------------------------------


def change_round(*, session: Session, cafe: Cafe, number: int, data: RoundChange) -> Round:
    """A round's question, minutes or per-table questions. A finished round keeps what was
    asked; a round under way may change its questions (phones show the new one at once) but
    not its minutes (`extend` gives it more)."""
    _open(cafe)
    rnd = session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == number)
    ).first()
    if rnd is None:
        raise NotFound(_("This café has no round %(number)s.", number=number))
    if rnd.status == RoundStatus.ENDED:
        raise Conflict(
            _(
                "Round %(number)s has finished: its questions stay as they were asked.",
                number=number,
            )
        )
    if data.minutes is not None and rnd.status != RoundStatus.PLANNED:
        raise Conflict(
            _(
                "Round %(number)s has started: give it more time with +5 minutes instead.",
                number=number,
            )
        )
    by_number = {
        t.number: t
        for t in session.exec(select(CafeTable).where(CafeTable.cafe_id == cafe.id)).all()
    }
    for tq in data.table_questions:
        if tq.table not in by_number:
            raise Invalid(_("There is no table %(number)s in this café.", number=tq.table))
    if data.question is not None:
        rnd.question = data.question
    if data.minutes is not None:
        rnd.minutes = data.minutes
    session.add(rnd)
    for tq in data.table_questions:
        table_id = by_number[tq.table].id
        kept = session.exec(
            select(TableQuestion).where(
                TableQuestion.round_id == rnd.id, TableQuestion.table_id == table_id
            )
        ).first()
        if not tq.question:
            if kept is not None:
                session.delete(kept)
        elif kept is None:
            session.add(TableQuestion(round_id=rnd.id, table_id=table_id, question=tq.question))
        else:
            kept.question = tq.question
            session.add(kept)
    if data.move_to is not None and data.move_to != number:
        _move_round(session, cafe, rnd, data.move_to)
    session.commit()
    session.refresh(rnd)
    return rnd


def _move_round(session: Session, cafe: Cafe, rnd: Round, to: int) -> None:
    """Move a round not started yet to another such round's place: what is asked (question,
    minutes, tables' questions) moves, the rounds between shift by one. Rounds keep their
    numbers, so seats planned ahead for round 3 are still round 3's."""
    if rnd.status != RoundStatus.PLANNED:
        raise Conflict(
            _(
                "Round %(number)s has started: only rounds not started yet can move.",
                number=rnd.number,
            )
        )
    low, high = sorted((rnd.number, to))
    rounds = list(
        session.exec(
            select(Round)
            .where(Round.cafe_id == cafe.id, Round.number >= low, Round.number <= high)
            .order_by(col(Round.number))
        )
    )
    if len(rounds) != high - low + 1:
        raise NotFound(_("This café has no round %(number)s.", number=to))
    if any(r.status != RoundStatus.PLANNED for r in rounds):
        raise Conflict(
            _(
                "Round %(number)s has started: a round can move only among rounds not started.",
                number=to,
            )
        )
    ids = [r.id for r in rounds]
    # The tables' questions of every round concerned, read once: kept to be asked again in
    # their new place, and deleted from the old one.
    old_questions = list(
        session.exec(select(TableQuestion).where(col(TableQuestion.round_id).in_(ids)))
    )
    tables_of: dict[int, list[tuple[int, str]]] = {r.id: [] for r in rounds}
    for old in old_questions:
        tables_of[old.round_id].append((old.table_id, old.question))
        session.delete(old)
    asked = {r.id: (r.question, r.minutes, tables_of[r.id]) for r in rounds}
    session.flush()
    order = [r.id for r in rounds]
    # Moving later: the ones between move up one place, and the other way round.
    order = order[1:] + order[:1] if rnd.number < to else order[-1:] + order[:-1]
    for place, source in zip(rounds, order, strict=True):
        question, minutes, tables = asked[source]
        place.question, place.minutes = question, minutes
        session.add(place)
        for table_id, text in tables:
            session.add(TableQuestion(round_id=place.id, table_id=table_id, question=text))


# --- messages to every phone --------------------------------------------------------------


def send_broadcast(*, session: Session, cafe: Cafe, text: str, now: datetime) -> Broadcast:
    _open(cafe)
    text = " ".join(text.split())
    if not text:
        raise Invalid(_("Write a short message to send."))
    message = Broadcast(cafe_id=cafe.id, text=text, sent_at=now)
    session.add(message)
    session.commit()
    session.refresh(message)
    return message


def latest_broadcast(*, session: Session, cafe_id: int) -> Broadcast | None:
    return session.exec(
        select(Broadcast)
        .where(Broadcast.cafe_id == cafe_id)
        .order_by(col(Broadcast.id).desc())
        .limit(1)
    ).first()


# --- people without phones ----------------------------------------------------------------


def add_without_phone(
    *, session: Session, cafe: Cafe, data: PersonWithoutPhone, now: datetime
) -> Participant:
    """Someone in the room without a phone, added by the facilitator by a name or a number:
    seated by the planner like everyone else (at once if a round is on)."""
    _open(cafe)
    person = participant_service.join(
        session=session,
        cafe=cafe,
        display_name=data.display_name,
        role=data.role.value if data.role else None,
        cannot_move=data.cannot_move,
        large_text=data.large_text,
        easy_read=data.easy_read,
        now=now,
    )
    person.no_phone = True
    session.add(person)
    session.commit()
    session.refresh(person)
    return person


def without_phones(*, session: Session, cafe: Cafe) -> list[Participant]:
    """The people without phones still in the café, in the order they were added."""
    return list(
        session.exec(
            select(Participant)
            .where(
                Participant.cafe_id == cafe.id,
                col(Participant.no_phone).is_(True),
                col(Participant.left_at).is_(None),
            )
            .order_by(col(Participant.id))
        ).all()
    )


# --- asking for help ----------------------------------------------------------------------


@dataclass(frozen=True)
class HelpAsked:
    """An open request for help as the console lists it."""

    id: int
    participant_id: int
    name: str
    table: str | None
    asked_at: datetime


def ask_help(
    *, session: Session, cafe: Cafe, person: Participant, now: datetime
) -> tuple[HelpRequest, bool]:
    """The person asks for help; (the request, whether it is new). One open request per
    person: asking again while one is open gives that one back."""
    _open(cafe)
    kept = session.exec(
        select(HelpRequest).where(
            HelpRequest.participant_id == person.id, col(HelpRequest.seen_at).is_(None)
        )
    ).first()
    if kept is not None:
        return kept, False
    rnd = current_round(session=session, cafe=cafe)
    table_id = None
    if rnd is not None and rnd.status != RoundStatus.ENDED:
        table_id = session.exec(
            select(Seat.table_id).where(Seat.round_id == rnd.id, Seat.participant_id == person.id)
        ).first()
    asked = HelpRequest(cafe_id=cafe.id, participant_id=person.id, table_id=table_id, asked_at=now)
    session.add(asked)
    session.commit()
    session.refresh(asked)
    return asked, True


def acknowledge_help(*, session: Session, cafe: Cafe, help_id: int, now: datetime) -> HelpRequest:
    asked = session.get(HelpRequest, help_id)
    if asked is None or asked.cafe_id != cafe.id:
        raise NotFound(_("There is no such request for help in this café."))
    if asked.seen_at is None:
        asked.seen_at = now
        session.add(asked)
        session.commit()
        session.refresh(asked)
    return asked


def open_help(*, session: Session, cafe: Cafe) -> list[HelpAsked]:
    """The requests for help nobody has acknowledged yet, oldest first."""
    rows = session.exec(
        select(HelpRequest, Participant.display_name, CafeTable.name)
        .join(Participant, col(Participant.id) == HelpRequest.participant_id)
        .join(CafeTable, col(CafeTable.id) == HelpRequest.table_id, isouter=True)
        .where(HelpRequest.cafe_id == cafe.id, col(HelpRequest.seen_at).is_(None))
        .order_by(col(HelpRequest.id))
    ).all()
    return [
        HelpAsked(
            id=h.id, participant_id=h.participant_id, name=name, table=table, asked_at=h.asked_at
        )
        for h, name, table in rows
    ]


def my_help(*, session: Session, person_id: int, now: datetime) -> HelpRequest | None:
    """The person's request the phone shows: open, or seen a short while ago."""
    latest = session.exec(
        select(HelpRequest)
        .where(HelpRequest.participant_id == person_id)
        .order_by(col(HelpRequest.id).desc())
        .limit(1)
    ).first()
    if latest is None or (latest.seen_at is not None and now - latest.seen_at > SEEN_SHOWS_FOR):
        return None
    return latest


def help_of(*, session: Session, person_id: int) -> list[datetime]:
    """When the person asked for help (for their subject access request)."""
    return list(
        session.exec(
            select(HelpRequest.asked_at)
            .where(HelpRequest.participant_id == person_id)
            .order_by(col(HelpRequest.id))
        ).all()
    )


def forget_help(*, session: Session, person_id: int) -> None:
    """Erase the person's requests for help (with the person)."""
    session.execute(delete(HelpRequest).where(col(HelpRequest.participant_id) == person_id))


@dataclass(frozen=True)
class RoomExtras:
    """What the console shows of the room besides its state: help asked for, the people
    without phones, the last message sent, and the rounds whose questions may change."""

    help: list[HelpAsked]
    without_phones: list[Participant]
    broadcast: Broadcast | None
    rounds: list[Round]
    # The id of the console's "write for" form's post: a form sent twice makes one card.
    client_id: str = ""

    @property
    def no_phone_ids(self) -> set[int]:
        return {p.id for p in self.without_phones}


def console_extras(*, session: Session, cafe: Cafe) -> RoomExtras:
    rounds = session.exec(
        select(Round)
        .where(Round.cafe_id == cafe.id, col(Round.status) != RoundStatus.ENDED)
        .order_by(col(Round.number))
    ).all()
    return RoomExtras(
        help=open_help(session=session, cafe=cafe),
        without_phones=without_phones(session=session, cafe=cafe),
        broadcast=latest_broadcast(session=session, cafe_id=cafe.id),
        rounds=list(rounds),
        client_id=secrets.token_urlsafe(12),
    )


# A message shows on a phone page drawn afresh this long after it was sent.
BROADCAST_SHOWS_FOR = timedelta(minutes=15)


@dataclass(frozen=True)
class PhoneExtras:
    broadcast: Broadcast | None
    help_status: str  # "", "asked" or "seen"
    # A host's: the people without phones at their table, to write for (and the id of the
    # form's post, so that a form sent twice makes one card).
    write_for: list[Participant]
    client_id: str = ""


def phone_extras(
    *,
    session: Session,
    cafe: Cafe,
    person_id: int,
    is_host: bool,
    now: datetime,
    latest: Callable[[Session, int], Broadcast | None] | None = None,
) -> PhoneExtras:
    """What a phone page shows of the room: a recent message, its request for help, and a
    host's people without phones to write for. `latest` reads the café's latest message
    (a cache shared by the phone pages), by default from the database."""
    if latest is not None:
        message = latest(session, cafe.id)
    else:
        message = latest_broadcast(session=session, cafe_id=cafe.id)
    if message is not None and now - message.sent_at > BROADCAST_SHOWS_FOR:
        message = None
    asked = my_help(session=session, person_id=person_id, now=now)
    status = "" if asked is None else ("seen" if asked.seen_at else "asked")
    hosted = at_my_table(session=session, cafe=cafe, host_id=person_id) if is_host else []
    return PhoneExtras(
        broadcast=message,
        help_status=status,
        write_for=hosted,
        client_id=secrets.token_urlsafe(12) if hosted else "",
    )


def round_public(*, session: Session, cafe: Cafe, rnd: Round, now: datetime) -> RoundPublic:
    """The round as the API shows it, with its per-table questions by table number."""
    numbers = {t.id: t.number for t in tables_of(session=session, cafe=cafe)}
    public = RoundPublic.model_validate(rnd, from_attributes=True)
    public.seconds_left = seconds_left(rnd=rnd, now=now)
    questions = table_questions(session=session, rnd=rnd)
    public.table_questions = {numbers[k]: v for k, v in questions.items() if k in numbers}
    return public


# --- writing for someone without a phone --------------------------------------------------


def write_for(
    *,
    session: Session,
    cafe: Cafe,
    person_id: int,
    text: str,
    kind: str,
    client_id: str,
    now: datetime,
    host: Participant | None = None,
) -> Posted:
    """A card for someone without a phone, written by a host at their table (`host`) or by
    the facilitator (None): it is the person's card (their role and evidence type, at their
    table), marked as written for them, and by whom."""
    person = session.get(Participant, person_id)
    if person is None or person.cafe_id != cafe.id or not person.no_phone or person.left_at:
        raise NotFound(_("There is no such person without a phone in this café."))
    if host is not None:
        rnd = current_round(session=session, cafe=cafe)
        seats = (
            dict(
                session.exec(
                    select(Seat.participant_id, Seat.table_id).where(
                        Seat.round_id == rnd.id,
                        col(Seat.participant_id).in_([host.id, person.id]),
                    )
                ).all()
            )
            if rnd is not None
            else {}
        )
        if (
            not host.is_host
            or seats.get(host.id) is None
            or seats.get(host.id) != seats.get(person.id)
        ):
            raise Forbidden(_("Only the host of their table can write for them."))
    posted = posting.post_contribution(
        session=session,
        cafe=cafe,
        person=person,
        client_id=client_id,
        text=text,
        kind=kind,
        evidence_type=None,
        now=now,
    )
    if posted.created:
        written_by = host.id if host is not None else None
        session.execute(
            update(Contribution)
            .where(col(Contribution.id) == posted.contribution.id)
            .values(written_for=True, written_by_id=written_by)
        )
        session.commit()
        posted.contribution.written_for = True
        posted.contribution.written_by_id = written_by
    return posted


def at_my_table(*, session: Session, cafe: Cafe, host_id: int) -> list[Participant]:
    """The people without phones at a host's table this round (whom the host may write for)."""
    rnd = current_round(session=session, cafe=cafe)
    if rnd is None or rnd.status == RoundStatus.ENDED:
        return []
    mine = session.exec(
        select(Seat.table_id).where(Seat.round_id == rnd.id, Seat.participant_id == host_id)
    ).first()
    if mine is None:
        return []
    return list(
        session.exec(
            select(Participant)
            .join(Seat, col(Seat.participant_id) == Participant.id)
            .where(
                Seat.round_id == rnd.id,
                Seat.table_id == mine,
                col(Participant.no_phone).is_(True),
            )
            .order_by(col(Participant.id))
        ).all()
    )


MAX_ROUNDS = 20


def add_round(*, session: Session, cafe: Cafe, question: str, minutes: int) -> Round:
    """A round after the last one (not after the café has closed)."""
    _open(cafe)
    last = session.exec(select(func.max(Round.number)).where(Round.cafe_id == cafe.id)).one()
    number = (last or 0) + 1
    if number > MAX_ROUNDS:
        raise Conflict(_("A café can have at most %(number)s rounds.", number=MAX_ROUNDS))
    rnd = Round(cafe_id=cafe.id, number=number, question=question, minutes=minutes)
    session.add(rnd)
    session.commit()
    session.refresh(rnd)
    return rnd
