"""Worries raised from phones, the facilitator's moderation, and the console's view of it all."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.audit import AuditAction, SubjectKind
from app.models.cafe import Cafe, CafeTable, Participant, Round
from app.models.evidence import Contribution
from app.services import audit, changes
from app.services.audit import Actor, Subject
from app.services.board.cards import Card, card_data, make_cards
from app.services.board.rules import HIDDEN, PENDING, VISIBLE, WITHDRAWN, clean_text
from app.services.cafe import cafes as cafe_service
from app.services.cafe import seating as seating_service
from app.services.errors import Conflict, Forbidden, NotFound

BOARD_PREVIEW = 12  # cards per table the console shows live (fewer in a big café)
CONSOLE_PREVIEW_CARDS = 600  # ... so that the console shows about this many in all, or more


def board_preview(tables: int) -> int:
    """Cards per table on the console: 12 up to 50 tables, then fewer (at least 3) so a
    big café's console stays a page, not megabytes redrawn on every change."""
    return max(3, min(BOARD_PREVIEW, CONSOLE_PREVIEW_CARDS // max(tables, 1)))


# --- worries raised from a phone -----------------------------------------------------------


def raise_concern(
    *, session: Session, cafe: Cafe, person: Participant, contribution_id: int, now: datetime
) -> Contribution:
    """Someone at the table is worried about a card: it is hidden and the facilitator alerted."""
    contribution = session.get(Contribution, contribution_id)
    if contribution is not None and contribution.cafe_id == cafe.id and _flagged(contribution):
        return contribution  # someone already raised it
    contribution, table = worry_target(
        session=session, cafe=cafe, person=person, contribution_id=contribution_id
    )
    note = (
        _("Raised from a phone at %(table)s.", table=table.name)
        if table is not None
        else _("Raised from a phone.")
    )
    return _flag(session, contribution, note, now)


def worry_target(
    *, session: Session, cafe: Cafe, person: Participant, contribution_id: int
) -> tuple[Contribution, CafeTable | None]:
    """A card this person may raise a worry about (one on their table's board, or their
    own), and the table where they sit now; refused as `raise_concern` refuses it."""
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or contribution.cafe_id != cafe.id:
        raise NotFound(_("There is no such contribution on the board."))
    if _flagged(contribution) or contribution.status not in {VISIBLE, PENDING}:
        raise NotFound(_("There is no such contribution on the board."))
    rnd = cafe_service.current_round(session=session, cafe=cafe)
    table = seating_service.seat_of(session=session, rnd=rnd, person=person)
    mine = contribution.participant_id == person.id
    if not mine and (table is None or table.id != contribution.table_id):
        raise Forbidden(_("You can raise a worry about your own table's board."))
    return contribution, table


def _flagged(contribution: Contribution) -> bool:
    return contribution.safeguarding and contribution.safeguarding_resolved_at is None


def _flag(session: Session, contribution: Contribution, note: str, now: datetime) -> Contribution:
    if _flagged(contribution):
        return contribution
    contribution.safeguarding = True
    contribution.safeguarding_resolved_at = None
    contribution.status = HIDDEN
    contribution.moderation_note = note[:500]
    contribution.updated_at = now
    contribution.change_seq = changes.take(
        connection=session.connection(), cafe_id=contribution.cafe_id
    )
    session.add(contribution)
    session.commit()
    return contribution


# --- moderation by the facilitator ---------------------------------------------------------


def _in_cafe(session: Session, cafe: Cafe, contribution_id: int) -> Contribution:
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or contribution.cafe_id != cafe.id:
        raise NotFound(_("There is no such contribution in this café."))
    return contribution


def _save(session: Session, contribution: Contribution, now: datetime) -> Contribution:
    contribution.updated_at = now
    contribution.change_seq = changes.take(
        connection=session.connection(), cafe_id=contribution.cafe_id
    )
    session.add(contribution)
    session.commit()
    return contribution


def _audited(
    session: Session, cafe: Cafe, contribution: Contribution, action: AuditAction, actor: Actor
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=action,
        subject=Subject(SubjectKind.CONTRIBUTION, contribution.id),
        owner_id=cafe.facilitator_id,
    )


def hide(
    *,
    session: Session,
    cafe: Cafe,
    contribution_id: int,
    note: str = "",
    now: datetime,
    actor: Actor,
) -> Contribution:
    """Take a card off the phones; it stays on record and can be restored. Audited."""
    contribution = _in_cafe(session, cafe, contribution_id)
    if contribution.status == WITHDRAWN:
        raise Conflict(_("Its author has already taken this back."))
    if contribution.status == HIDDEN:
        return contribution
    contribution.status = HIDDEN
    _audited(session, cafe, contribution, AuditAction.HID_CARD, actor)
    if note.strip():
        contribution.moderation_note = clean_text(note)[:500]
    return _save(session, contribution, now)


def restore(
    *,
    session: Session,
    cafe: Cafe,
    contribution_id: int,
    note: str = "",
    now: datetime,
    actor: Actor,
) -> Contribution:
    """Put a hidden card back on its board (a safeguarding flag counts as dealt with).
    Audited when it was hidden (not when it waited for approval)."""
    contribution = _in_cafe(session, cafe, contribution_id)
    if contribution.status == WITHDRAWN:
        raise Conflict(_("Its author has taken this back, so it cannot be restored."))
    if contribution.status == VISIBLE:
        return contribution
    if contribution.status == HIDDEN:
        _audited(session, cafe, contribution, AuditAction.UNHID_CARD, actor)
    contribution.status = VISIBLE
    if contribution.safeguarding and contribution.safeguarding_resolved_at is None:
        contribution.safeguarding_resolved_at = now
    if note.strip():
        contribution.moderation_note = clean_text(note)[:500]
    return _save(session, contribution, now)


def approve(*, session: Session, cafe: Cafe, contribution_id: int, now: datetime) -> Contribution:
    """Let a card that waits for pre-moderation onto its board."""
    contribution = _in_cafe(session, cafe, contribution_id)
    if contribution.status == VISIBLE:
        return contribution
    if contribution.status != PENDING:
        raise Conflict(_("Only contributions waiting for approval can be approved."))
    contribution.status = VISIBLE
    return _save(session, contribution, now)


def flag(
    *,
    session: Session,
    cafe: Cafe,
    contribution_id: int,
    note: str = "",
    now: datetime,
    actor: Actor,
) -> Contribution:
    """The facilitator marks a card as a safeguarding matter: hidden, kept on record. Hiding
    it is audited."""
    contribution = _in_cafe(session, cafe, contribution_id)
    if contribution.status == WITHDRAWN:
        raise Conflict(_("Its author has already taken this back."))
    if contribution.status != HIDDEN:
        _audited(session, cafe, contribution, AuditAction.HID_CARD, actor)
    return _flag(session, contribution, clean_text(note) or _("Flagged by the facilitator."), now)


def resolve_concern(
    *, session: Session, cafe: Cafe, contribution_id: int, now: datetime
) -> Contribution:
    """The facilitator has dealt with a safeguarding flag; the card stays hidden."""
    contribution = _in_cafe(session, cafe, contribution_id)
    if not contribution.safeguarding:
        raise Conflict(_("This contribution has no safeguarding flag."))
    if contribution.safeguarding_resolved_at is None:
        contribution.safeguarding_resolved_at = now
        return _save(session, contribution, now)
    return contribution


# --- the console's view ---------------------------------------------------------------------


@dataclass
class ModerationView:
    """Everything the facilitator moderates, for the console."""

    round: Round | None
    boards: list[tuple[CafeTable, list[Card]]]
    pending: list[Card]
    alerts: list[Card]
    table_names: dict[int, str] = field(default_factory=dict)
    round_numbers: dict[int, int] = field(default_factory=dict)
    # How many cards each table's board has in all (only the newest are in `boards`).
    counts: dict[int, int] = field(default_factory=dict)


def _newest_on_boards(
    session: Session, rnd: Round | None, tables: Sequence[CafeTable]
) -> tuple[list[Contribution], dict[int, int]]:
    """The newest cards of each table's board in the round, and how many each board has."""
    current: list[Contribution] = []
    counts: dict[int, int] = {}
    if rnd is None:
        return current, counts
    # Only the newest cards of each table are shown live, so only those are read (a busy
    # café has thousands); the counts say how many there are in all.
    on_board = (Contribution.round_id == rnd.id, Contribution.status != WITHDRAWN)
    ranked = (
        select(
            col(Contribution.id).label("id"),
            func.row_number()
            .over(
                partition_by=col(Contribution.table_id),
                order_by=(col(Contribution.created_at).desc(), col(Contribution.id).desc()),
            )
            .label("rank"),
        )
        .where(*on_board)
        .subquery()
    )
    current = list(
        session.exec(
            select(Contribution)
            .join(ranked, ranked.c.id == col(Contribution.id))
            .where(ranked.c.rank <= board_preview(len(tables)))
            .order_by(col(Contribution.created_at).desc(), col(Contribution.id).desc())
        )
    )
    for table_id, count in session.exec(
        select(Contribution.table_id, func.count())
        .where(*on_board)
        .group_by(col(Contribution.table_id))
    ):
        counts[table_id or 0] = int(count)
    return current, counts


def moderation_view(*, session: Session, cafe: Cafe) -> ModerationView:
    """All boards of the current round, the approval queue and open safeguarding alerts."""
    rnd = cafe_service.current_round(session=session, cafe=cafe)
    tables = cafe_service.tables_of(session=session, cafe=cafe)
    rounds = cafe_service.rounds_of(session=session, cafe=cafe)
    current, counts = _newest_on_boards(session, rnd, tables)
    waiting = list(
        session.exec(
            select(Contribution)
            .where(Contribution.cafe_id == cafe.id, Contribution.status == PENDING)
            .order_by(col(Contribution.created_at), col(Contribution.id))
        )
    )
    flagged = list(
        session.exec(
            select(Contribution)
            .where(
                Contribution.cafe_id == cafe.id,
                col(Contribution.safeguarding).is_(True),
                col(Contribution.safeguarding_resolved_at).is_(None),
            )
            .order_by(col(Contribution.updated_at).desc())
        )
    )
    seen: dict[int, Contribution] = {}
    for c in (*current, *waiting, *flagged):
        seen.setdefault(c.id, c)
    every = list(seen.values())
    data = card_data(session=session, contributions=every, names=True)
    made = make_cards(contributions=every, data=data, viewer_id=None, changeable_round=None)
    cards = {card.id: card for card in made}
    by_table: dict[int, list[Card]] = defaultdict(list)
    for c in current:
        by_table[c.table_id or 0].append(cards[c.id])
    return ModerationView(
        round=rnd,
        boards=[(t, by_table.get(t.id, [])) for t in tables],
        pending=[cards[c.id] for c in waiting],
        alerts=[cards[c.id] for c in flagged],
        table_names={t.id: t.name for t in tables},
        round_numbers={r.id: r.number for r in rounds},
        counts=counts,
    )
