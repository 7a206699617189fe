"""Dot votes: agreeing with a card on one's own table's board, within the round's budget."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.cafe import Cafe, CafeStatus, Participant, Round
from app.models.evidence import Contribution, Reaction
from app.services import changes
from app.services.board.rules import OPEN_ROUND, VISIBLE
from app.services.cafe import cafes as cafe_service
from app.services.cafe import seating as seating_service
from app.services.errors import Conflict, Forbidden, NotFound


def _open_round(session: Session, cafe: Cafe) -> Round:
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict(_("The café has closed, so the boards no longer change."))
    rnd = cafe_service.current_round(session=session, cafe=cafe)
    if rnd is None:
        raise Conflict(_("The boards open when the first round starts."))
    if rnd.status not in OPEN_ROUND:
        raise Conflict(
            _("Round %(number)s has finished. The next round opens a new board.", number=rnd.number)
        )
    return rnd


def votes_used(*, session: Session, person: Participant, rnd: Round) -> int:
    """Votes spent this round; votes on cards that were hidden or withdrawn come back."""
    used = session.exec(
        select(func.count())
        .select_from(Reaction)
        .join(Contribution, col(Contribution.id) == Reaction.contribution_id)
        .where(
            Reaction.participant_id == person.id,
            Contribution.round_id == rnd.id,
            Contribution.status == VISIBLE,
        )
    ).one()
    return int(used)


def set_reaction(
    *,
    session: Session,
    cafe: Cafe,
    person: Participant,
    contribution_id: int,
    on: bool | None = None,
    now: datetime,
) -> tuple[Contribution, bool]:
    """Agree with (dot-vote for) a card on my table's board, or take the vote back.

    ``on`` names the state wanted, so a repeated request changes nothing; ``None`` toggles.
    Returns the card and whether the person's vote is now on it.
    """
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or contribution.cafe_id != cafe.id or contribution.status != VISIBLE:
        raise NotFound(_("There is no such contribution on the board."))
    rnd = _open_round(session, cafe)
    if contribution.round_id != rnd.id:
        raise Conflict(_("Votes are for the board of the round that is on now."))
    table = seating_service.seat_of(session=session, rnd=rnd, person=person)
    if table is None or table.id != contribution.table_id:
        raise Forbidden(_("You can vote on your own table's board."))
    if contribution.participant_id == person.id:
        raise Conflict(_("Votes are for what other people wrote."))
    # Lock the person's row so two quick taps cannot both spend the last vote (PostgreSQL;
    # SQLite writers already queue one behind the other).
    session.exec(
        select(Participant.id).where(Participant.id == person.id).with_for_update()
    ).first()
    existing = session.exec(
        select(Reaction).where(
            Reaction.contribution_id == contribution_id, Reaction.participant_id == person.id
        )
    ).first()
    wanted = (existing is None) if on is None else on
    if existing is not None and not wanted:
        # The card's vote count is part of its record: a change a syncing client must see.
        changes.mark(connection=session.connection(), cafe_id=cafe.id, ids=[contribution_id])
        session.delete(existing)
        session.commit()
        return contribution, False
    if existing is not None or not wanted:
        session.commit()  # nothing to change; end the transaction (and the row lock)
        return contribution, existing is not None
    budget = cafe.reaction_budget
    if budget <= 0:
        raise Conflict(_("Voting is switched off in this café."))
    if votes_used(session=session, person=person, rnd=rnd) >= budget:
        raise Conflict(
            _(
                "You have used all %(num)s of your votes this round. "
                "Take one back to vote for something else.",
                num=budget,
            )
        )
    changes.mark(connection=session.connection(), cafe_id=cafe.id, ids=[contribution_id])
    session.add(Reaction(contribution_id=contribution_id, participant_id=person.id, created_at=now))
    try:
        session.commit()
    except IntegrityError:  # the same vote arrived twice at once
        session.rollback()
    return contribution, True
