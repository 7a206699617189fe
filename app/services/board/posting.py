"""The table board: contributions as tagged evidence, reactions and moderation.

A contribution is written at the author's table in the current round. Every write from a
phone carries a client-generated id, so a post retried after a dropped connection finds the
row it already made instead of adding a second one.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.models.base import as_loaded
from app.models.cafe import (
    Cafe,
    CafeStatus,
    CafeTable,
    Participant,
    Round,
    RoundStatus,
    Seat,
    Someone,
)
from app.models.evidence import (
    EVIDENCE_FOR_ROLE,
    EVIDENCE_LABELS,
    KIND_LABELS,
    MAX_TEXT,
    Contribution,
    ContributionKind,
    ContributionStatus,
    ContributionTheme,
    EvidenceType,
    Media,
    MediaKind,
    Reaction,
    Theme,
)
from app.services import cafe as cafe_service
from app.services import changes
from app.services.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from app.services.evidence import themes as theme_service

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
OPEN_ROUND = {RoundStatus.RUNNING, RoundStatus.PAUSED}
MAX_THEMES_PER_POST = 10
BOARD_PREVIEW = 12  # cards per table the console shows live (fewer in a big café)
CONSOLE_PREVIEW_CARDS = 600  # ... so that the console shows about this many in all, or more


def board_preview(tables: int) -> int:
    """Cards per table on the console: 12 up to 50 tables, then fewer (at least 3) so a
    big café's console stays a page, not megabytes redrawn on every change."""
    return max(3, min(BOARD_PREVIEW, CONSOLE_PREVIEW_CARDS // max(tables, 1)))


VISIBLE = ContributionStatus.VISIBLE
PENDING = ContributionStatus.PENDING
HIDDEN = ContributionStatus.HIDDEN
WITHDRAWN = ContributionStatus.WITHDRAWN


# --- validation ----------------------------------------------------------------------------


def clean_text(raw: str) -> str:
    """One kind of line break, no control characters (PostgreSQL refuses NUL), trimmed."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return text.strip()


def _valid_text(raw: str) -> str:
    text = clean_text(raw)
    if not text:
        raise Invalid("Write something before you send it.")
    if len(text) > MAX_TEXT:
        raise Invalid(
            f"Please keep it to {MAX_TEXT} characters or fewer. This one has {len(text)}."
        )
    return text


def _valid_kind(kind: str) -> str:
    if kind not in KIND_LABELS:
        names = ", ".join(label.lower() for label in KIND_LABELS.values())
        raise Invalid(f"Choose what kind of contribution this is: {names}.")
    return kind


def _valid_evidence(evidence_type: str) -> str:
    if evidence_type not in EVIDENCE_LABELS:
        names = ", ".join(label.lower() for label in EVIDENCE_LABELS.values())
        raise Invalid(f"Choose where this comes from: {names}.")
    return evidence_type


def default_evidence(person: Someone) -> str:
    """The evidence type a phone pre-selects from the person's stakeholder role."""
    return EVIDENCE_FOR_ROLE.get(person.role, EVIDENCE_FOR_ROLE[None])


def _open_round(session: Session, cafe: Cafe) -> Round:
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict("The café has closed, so the boards no longer change.")
    rnd = cafe_service.current_round(session, cafe)
    if rnd is None:
        raise Conflict("The boards open when the first round starts.")
    if rnd.status not in OPEN_ROUND:
        raise Conflict(f"Round {rnd.number} has finished. The next round opens a new board.")
    return rnd


# The statements a post and a board read run, many times a second in a busy café, are built
# once with bound parameters: building a statement and its cache key costs more than
# SQLite takes to run it.

_BY_CLIENT_ID = select(Contribution).where(
    Contribution.participant_id == bindparam("participant_id"),
    Contribution.client_id == bindparam("client_id"),
)


def _by_client_id(session: Session, participant_id: int, client_id: str) -> Contribution | None:
    return session.exec(
        _BY_CLIENT_ID, params={"participant_id": participant_id, "client_id": client_id}
    ).first()


# --- writing from a phone ------------------------------------------------------------------


_TABLEMATE = aliased(Seat)
_PLACE = (
    sa_select(
        col(Round.id),
        col(Round.number),
        col(Round.status),
        col(Seat.table_id),
        col(_TABLEMATE.participant_id),
    )
    .outerjoin(
        Seat, (col(Seat.round_id) == Round.id) & (col(Seat.participant_id) == bindparam("person"))
    )
    .outerjoin(
        _TABLEMATE,
        (col(_TABLEMATE.round_id) == Round.id) & (col(_TABLEMATE.table_id) == Seat.table_id),
    )
    .where(col(Round.cafe_id) == bindparam("cafe"), col(Round.number) == bindparam("number"))
)


def _place(
    session: Session, cafe: Cafe, person: Participant, written_in: int | None = None
) -> tuple[int, int, list[int]]:
    """The open round, the person's table in it (ids) and who sits at that table (whose
    boards a card there changes), in one query: a post holds SQLite's write lock while it
    runs, so it asks as little as it can.

    `written_in`: the round the phone showed when the card was written. A card written in
    an earlier round and sent only now (it waited on a phone without a connection) goes
    to the board it was written for: that round's question, the table the person sat at."""
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict("The café has closed, so the boards no longer change.")
    late = written_in is not None and 1 <= written_in < cafe.current_round
    number = written_in if late else cafe.current_round
    rows = (
        session.connection()  # Core columns: no need for the ORM's execution path
        .execute(_PLACE, {"person": person.id, "cafe": cafe.id, "number": number})
        .all()
    )
    if not rows:
        raise Conflict("The boards open when the first round starts.")
    round_id, number, status, table_id, _ = rows[0]
    if status not in OPEN_ROUND and not late:
        raise Conflict(f"Round {number} has finished. The next round opens a new board.")
    if table_id is None:
        raise Conflict("You do not have a table yet. The facilitator will give you one.")
    assert round_id is not None
    return round_id, table_id, [row[4] for row in rows]


# A new card is written by one INSERT … RETURNING id, not through the unit of work: the
# flush's bookkeeping cost more than SQLite takes to store the row.
_CONTRIBUTIONS = cast(Table, Contribution.__table__)  # type: ignore[attr-defined]
_INSERT_CONTRIBUTION = insert(_CONTRIBUTIONS).returning(_CONTRIBUTIONS.c.id)
_INSERT_THEME_LINKS = insert(cast(Table, ContributionTheme.__table__))  # type: ignore[attr-defined]


@dataclass
class Posted:
    """What a post did: the contribution (new, or the one an earlier try made) and, for a new
    one, the names of its themes and the people seated at its table (whose boards it
    changes), read in the post's own transaction so nothing has to read them again."""

    contribution: Contribution
    created: bool
    themes: list[str] = field(default_factory=list)
    audience: list[int] = field(default_factory=list)
    late: bool = False  # went to the board of an earlier round, where it was written


def post_contribution(
    *,
    session: Session,
    cafe: Cafe,
    person: Participant,
    client_id: str,
    text: str,
    kind: str,
    evidence_type: str | None,
    for_table: bool = False,
    theme_ids: Sequence[int] = (),
    now: datetime,
    written_in: int | None = None,
) -> Posted:
    """Add a contribution to the person's table board in the current round (or in the
    earlier round it was written in: `_place`), in the themes the person ticked (the café's
    own; none is fine).

    A retry with the same client id returns the row the first attempt made (whatever the
    round is doing by now), with `created` false.
    """
    assert person.id is not None and cafe.id is not None
    person_id = person.id
    client_id = client_id.strip()
    if not CLIENT_ID.match(client_id):
        raise Invalid("This post has no valid id. Please reload the page and try again.")
    try:
        body = _valid_text(text)
        kind = _valid_kind(kind or ContributionKind.IDEA)
        evidence = _valid_evidence(evidence_type or default_evidence(person))
        if for_table and not person.is_host:
            raise Forbidden("Only a table host can write on behalf of the table.")
        if len(set(theme_ids)) > MAX_THEMES_PER_POST:
            raise Invalid(f"Choose up to {MAX_THEMES_PER_POST} themes.")
        themes = theme_service.chosen_themes(session=session, cafe=cafe, theme_ids=theme_ids)
        round_id, table_id, seated = _place(session, cafe, person, written_in)
    except DomainError:
        # A retry of a post that already arrived is answered with it, even if the round
        # has ended since; only a new post is refused.
        existing = _by_client_id(session, person_id, client_id)
        if existing is not None:
            return Posted(existing, created=False)
        raise
    values: dict[str, Any] = {
        "cafe_id": cafe.id,
        "round_id": round_id,
        "table_id": table_id,
        "participant_id": person_id,
        "client_id": client_id,
        "text": body,
        "kind": kind,
        "evidence_type": evidence,
        "author_role": person.role,
        "for_table": for_table,
        "status": PENDING if cafe.premoderation else VISIBLE,
        "safeguarding": False,
        "safeguarding_resolved_at": None,
        "moderation_note": "",
        "created_at": now,
        "updated_at": now,
    }
    try:
        # The unique (person, client id) index is the duplicate check.
        connection = session.connection()  # the session's transaction, without the ORM
        values["change_seq"] = changes.take(connection, cafe.id)
        new_id = connection.execute(_INSERT_CONTRIBUTION, values).scalar_one()
        if themes:
            connection.execute(
                _INSERT_THEME_LINKS,
                [{"contribution_id": new_id, "theme_id": t} for t, _ in themes],
            )
        session.commit()
    except IntegrityError:
        # A retry, or a copy that raced the first one: either way the first row is the
        # answer.
        session.rollback()
        existing = _by_client_id(session, person_id, client_id)
        if existing is None:
            raise
        return Posted(existing, created=False)
    # The row as stored, without building a model to validate what was just checked.
    contribution = as_loaded(Contribution, {"id": new_id, **values})
    return Posted(
        contribution,
        created=True,
        themes=[name for _, name in themes],
        audience=seated,
        late=written_in is not None and written_in < cafe.current_round,
    )


def own_contribution(
    session: Session, cafe: Cafe, person: Participant, contribution_id: int
) -> Contribution:
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or contribution.cafe_id != cafe.id:
        raise NotFound("There is no such contribution in this café.")
    if contribution.participant_id != person.id:
        raise Forbidden("You can only change what you wrote yourself.")
    return contribution


def check_changeable(session: Session, cafe: Cafe, contribution: Contribution) -> None:
    """Own contributions can be changed while the round they were written in is on."""
    if contribution.status == WITHDRAWN:
        raise Conflict("You have already taken this back.")
    if contribution.status == HIDDEN:
        raise Conflict("The facilitator has set this aside, so it can no longer be changed.")
    rnd = cafe_service.current_round(session, cafe)
    if (
        cafe.status == CafeStatus.CLOSED
        or rnd is None
        or rnd.id != contribution.round_id
        or rnd.status not in OPEN_ROUND
    ):
        raise Conflict("The round this was written in has finished, so it can no longer change.")


def edit_contribution(
    *,
    session: Session,
    cafe: Cafe,
    person: Participant,
    contribution_id: int,
    text: str,
    kind: str,
    evidence_type: str,
    now: datetime,
) -> Contribution:
    """Change the text, kind or evidence type of one's own contribution during its round."""
    contribution = own_contribution(session, cafe, person, contribution_id)
    check_changeable(session, cafe, contribution)
    body = _valid_text(text)
    kind = _valid_kind(kind)
    evidence = _valid_evidence(evidence_type)
    if (body, kind, evidence) == (
        contribution.text,
        contribution.kind,
        contribution.evidence_type,
    ):
        return contribution
    if cafe.premoderation and body != contribution.text:
        # Approval was for the old words: the new ones wait for the facilitator again.
        contribution.status = PENDING
    contribution.text, contribution.kind, contribution.evidence_type = body, kind, evidence
    contribution.updated_at = now
    contribution.change_seq = changes.take(session.connection(), cafe.id or 0)
    session.add(contribution)
    session.commit()
    return contribution


def withdraw_contribution(
    *, session: Session, cafe: Cafe, person: Participant, contribution_id: int, now: datetime
) -> Contribution:
    """Take one's own contribution back during its round (a repeat does nothing more)."""
    contribution = own_contribution(session, cafe, person, contribution_id)
    if contribution.status == WITHDRAWN:
        return contribution
    check_changeable(session, cafe, contribution)
    contribution.status, contribution.updated_at = WITHDRAWN, now
    contribution.change_seq = changes.take(session.connection(), cafe.id or 0)
    session.add(contribution)
    session.commit()
    return contribution


def votes_used(session: Session, person: Participant, rnd: Round) -> int:
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
    assert person.id is not None
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or contribution.cafe_id != cafe.id or contribution.status != VISIBLE:
        raise NotFound("There is no such contribution on the board.")
    rnd = _open_round(session, cafe)
    if contribution.round_id != rnd.id:
        raise Conflict("Votes are for the board of the round that is on now.")
    table = cafe_service.seat_of(session, rnd, person)
    if table is None or table.id != contribution.table_id:
        raise Forbidden("You can vote on your own table's board.")
    if contribution.participant_id == person.id:
        raise Conflict("Votes are for what other people wrote.")
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
        changes.mark(session.connection(), cafe.id or 0, [contribution_id])
        session.delete(existing)
        session.commit()
        return contribution, False
    if existing is not None or not wanted:
        session.commit()  # nothing to change; end the transaction (and the row lock)
        return contribution, existing is not None
    budget = cafe.reaction_budget
    if budget <= 0:
        raise Conflict("Voting is switched off in this café.")
    if votes_used(session, person, rnd) >= budget:
        raise Conflict(
            f"You have used all {budget} of your votes this round. "
            "Take one back to vote for something else."
        )
    changes.mark(session.connection(), cafe.id or 0, [contribution_id])
    session.add(Reaction(contribution_id=contribution_id, participant_id=person.id, created_at=now))
    try:
        session.commit()
    except IntegrityError:  # the same vote arrived twice at once
        session.rollback()
    return contribution, True


def raise_concern(
    *, session: Session, cafe: Cafe, person: Participant, contribution_id: int, now: datetime
) -> Contribution:
    """Someone at the table is worried about a card: it is hidden and the facilitator alerted."""
    contribution = session.get(Contribution, contribution_id)
    if contribution is not None and contribution.cafe_id == cafe.id and _flagged(contribution):
        return contribution  # someone already raised it
    contribution, table = worry_target(session, cafe, person, contribution_id)
    place = f" at {table.name}" if table is not None else ""
    return _flag(session, contribution, f"Raised from a phone{place}.", now)


def worry_target(
    session: Session, cafe: Cafe, person: Participant, contribution_id: int
) -> tuple[Contribution, CafeTable | None]:
    """A card this person may raise a worry about (one on their table's board, or their
    own), and the table where they sit now; refused as `raise_concern` refuses it."""
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or contribution.cafe_id != cafe.id:
        raise NotFound("There is no such contribution on the board.")
    if _flagged(contribution) or contribution.status not in {VISIBLE, PENDING}:
        raise NotFound("There is no such contribution on the board.")
    rnd = cafe_service.current_round(session, cafe)
    table = cafe_service.seat_of(session, rnd, person)
    mine = contribution.participant_id == person.id
    if not mine and (table is None or table.id != contribution.table_id):
        raise Forbidden("You can raise a worry about your own table's board.")
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
    contribution.change_seq = changes.take(session.connection(), contribution.cafe_id)
    session.add(contribution)
    session.commit()
    return contribution


# --- moderation by the facilitator ---------------------------------------------------------


def _in_cafe(session: Session, cafe: Cafe, contribution_id: int) -> Contribution:
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or contribution.cafe_id != cafe.id:
        raise NotFound("There is no such contribution in this café.")
    return contribution


def _save(session: Session, contribution: Contribution, now: datetime) -> Contribution:
    contribution.updated_at = now
    contribution.change_seq = changes.take(session.connection(), contribution.cafe_id)
    session.add(contribution)
    session.commit()
    return contribution


def hide(
    *, session: Session, cafe: Cafe, contribution_id: int, note: str = "", now: datetime
) -> Contribution:
    """Take a card off the phones; it stays on record and can be restored."""
    contribution = _in_cafe(session, cafe, contribution_id)
    if contribution.status == WITHDRAWN:
        raise Conflict("Its author has already taken this back.")
    if contribution.status == HIDDEN:
        return contribution
    contribution.status = HIDDEN
    if note.strip():
        contribution.moderation_note = clean_text(note)[:500]
    return _save(session, contribution, now)


def restore(
    *, session: Session, cafe: Cafe, contribution_id: int, note: str = "", now: datetime
) -> Contribution:
    """Put a hidden card back on its board (a safeguarding flag counts as dealt with)."""
    contribution = _in_cafe(session, cafe, contribution_id)
    if contribution.status == WITHDRAWN:
        raise Conflict("Its author has taken this back, so it cannot be restored.")
    if contribution.status == VISIBLE:
        return contribution
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
        raise Conflict("Only contributions waiting for approval can be approved.")
    contribution.status = VISIBLE
    return _save(session, contribution, now)


def flag(
    *, session: Session, cafe: Cafe, contribution_id: int, note: str = "", now: datetime
) -> Contribution:
    """The facilitator marks a card as a safeguarding matter: hidden, kept on record."""
    contribution = _in_cafe(session, cafe, contribution_id)
    if contribution.status == WITHDRAWN:
        raise Conflict("Its author has already taken this back.")
    return _flag(session, contribution, clean_text(note) or "Flagged by the facilitator.", now)


def resolve_concern(
    *, session: Session, cafe: Cafe, contribution_id: int, now: datetime
) -> Contribution:
    """The facilitator has dealt with a safeguarding flag; the card stays hidden."""
    contribution = _in_cafe(session, cafe, contribution_id)
    if not contribution.safeguarding:
        raise Conflict("This contribution has no safeguarding flag.")
    if contribution.safeguarding_resolved_at is None:
        contribution.safeguarding_resolved_at = now
        return _save(session, contribution, now)
    return contribution


# --- drafts (what a form on the phone holds) ----------------------------------------------


@dataclass
class Draft:
    """The contents of a contribution form: blank with a fresh client id, or what was sent
    back with the reason it was refused, or an existing contribution being changed."""

    client_id: str
    text: str = ""
    kind: str = ContributionKind.IDEA
    evidence_type: str = EvidenceType.OTHER
    for_table: bool = False
    error: str | None = None
    contribution_id: int | None = None
    theme_ids: list[int] = field(default_factory=list)
    written_in: int | None = None  # the round the phone showed when it was written


def new_draft(person: Someone) -> Draft:
    return Draft(client_id=secrets.token_urlsafe(16), evidence_type=default_evidence(person))


def draft_of(contribution: Contribution) -> Draft:
    return Draft(
        client_id=contribution.client_id,
        text=contribution.text,
        kind=contribution.kind,
        evidence_type=contribution.evidence_type,
        for_table=contribution.for_table,
        contribution_id=contribution.id,
    )


# --- reading boards ------------------------------------------------------------------------


@dataclass
class Card:
    """One contribution as a viewer sees it."""

    contribution: Contribution
    reactions: int = 0
    reacted: bool = False
    mine: bool = False
    changeable: bool = False
    author: str | None = None
    photo: Media | None = None
    voice: Media | None = None
    themes: list[str] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.contribution.id or 0

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.contribution.kind, self.contribution.kind)

    @property
    def evidence_label(self) -> str:
        return EVIDENCE_LABELS.get(self.contribution.evidence_type, "")


@dataclass
class ThemeChoice:
    """A theme a phone can tick when posting."""

    id: int
    name: str


@dataclass
class TableBoard:
    """My table's board in the current round."""

    round: Round | None
    table: CafeTable | None
    cards: list[Card]
    open: bool
    budget: int
    used: int = 0
    themes: list[ThemeChoice] = field(default_factory=list)

    @property
    def votes_left(self) -> int:
        return max(0, self.budget - self.used)


@dataclass
class ModerationView:
    """Everything the facilitator moderates, for the console."""

    round: Round | None
    boards: list[tuple[CafeTable, list[Card]]]
    pending: list[Card]
    alerts: list[Card]
    table_names: dict[int, str] = field(default_factory=dict)
    round_numbers: dict[int, int] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    """How many cards each table's board has in all (only the newest are in `boards`)."""


@dataclass
class CardData:
    """What cards show besides the contribution: votes, photos and voice notes, names."""

    reactions: dict[int, set[int]] = field(default_factory=dict)
    media: dict[int, list[Media]] = field(default_factory=dict)
    authors: dict[int, str] = field(default_factory=dict)
    themes: dict[int, list[str]] = field(default_factory=dict)


_REACTIONS = select(Reaction.contribution_id, Reaction.participant_id).where(
    col(Reaction.contribution_id).in_(bindparam("ids", expanding=True))
)
_CARD_THEMES = (
    select(ContributionTheme.contribution_id, Theme.name)
    .join(Theme, col(Theme.id) == ContributionTheme.theme_id)
    .where(col(ContributionTheme.contribution_id).in_(bindparam("ids", expanding=True)))
    .order_by(func.lower(Theme.name))
)
_THEME_CHOICES = (
    select(Theme.id, Theme.name)
    .where(Theme.cafe_id == bindparam("cafe_id"))
    .order_by(func.lower(Theme.name), col(Theme.id))
)
_MEDIA = (
    select(Media)
    .where(col(Media.contribution_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(Media.id))
)
_NAMES = select(Participant.id, Participant.display_name).where(
    col(Participant.id).in_(bindparam("ids", expanding=True))
)


def _card_data(
    session: Session, contributions: list[Contribution], *, names: bool, themes: bool = False
) -> CardData:
    data = CardData()
    ids = [c.id for c in contributions if c.id is not None]
    if not ids:
        return data
    for contribution_id, participant_id in session.exec(_REACTIONS, params={"ids": ids}):
        data.reactions.setdefault(contribution_id, set()).add(participant_id)
    for item in session.exec(_MEDIA, params={"ids": ids}):
        data.media.setdefault(item.contribution_id, []).append(item)
    if names:
        author_ids = {c.participant_id for c in contributions if c.participant_id is not None}
        for author_id, name in session.exec(_NAMES, params={"ids": list(author_ids)}):
            data.authors[author_id or 0] = name
    if themes:
        for contribution_id, theme_name in session.exec(_CARD_THEMES, params={"ids": ids}):
            data.themes.setdefault(contribution_id, []).append(theme_name)
    return data


def _make_cards(
    contributions: list[Contribution],
    data: CardData,
    *,
    viewer_id: int | None,
    changeable_round: int | None,
) -> list[Card]:
    cards = []
    for c in contributions:
        cid = c.id or 0
        voters = data.reactions.get(cid, set())
        mine = viewer_id is not None and c.participant_id == viewer_id
        card = Card(
            contribution=c,
            reactions=len(voters),
            reacted=viewer_id in voters,
            mine=mine,
            changeable=mine
            and changeable_round is not None
            and c.round_id == changeable_round
            and c.status in {VISIBLE, PENDING},
            author=data.authors.get(c.participant_id) if c.participant_id is not None else None,
            themes=data.themes.get(cid, []),
        )
        for item in data.media.get(cid, []):
            if item.kind == MediaKind.PHOTO:
                card.photo = item
            elif item.kind == MediaKind.VOICE:
                card.voice = item
        cards.append(card)
    return cards


@dataclass
class TableCards:
    """One table's board in one round as everyone at the table shares it, read once;
    `board_for` turns it into one person's view without another query."""

    round: Round | None
    table: CafeTable | None
    open: bool
    budget: int
    contributions: list[Contribution] = field(default_factory=list)
    data: CardData = field(default_factory=CardData)
    votes: dict[int, int] = field(default_factory=dict)
    themes: list[ThemeChoice] = field(default_factory=list)


_TABLE_CARDS = (
    select(Contribution)
    .where(
        Contribution.round_id == bindparam("round_id"),
        Contribution.table_id == bindparam("table_id"),
        col(Contribution.status).in_([VISIBLE, PENDING]),
    )
    .order_by(col(Contribution.created_at).desc(), col(Contribution.id).desc())
)
_TABLE_VOTES = (
    select(Reaction.participant_id, func.count())
    .join(Contribution, col(Contribution.id) == Reaction.contribution_id)
    .join(
        Seat,
        (col(Seat.participant_id) == Reaction.participant_id)
        & (col(Seat.round_id) == bindparam("round_id")),
    )
    .where(
        Contribution.round_id == bindparam("round_id"),
        Contribution.status == VISIBLE,
        Seat.table_id == bindparam("table_id"),
    )
    .group_by(col(Reaction.participant_id))
)


def theme_choices(session: Session, cafe: Cafe) -> list[ThemeChoice]:
    """The café's themes (few, made by the facilitator): ticked on the form, named on cards."""
    return [
        ThemeChoice(id=theme_id or 0, name=name)
        for theme_id, name in session.exec(_THEME_CHOICES, params={"cafe_id": cafe.id})
    ]


def _board_open(cafe: Cafe, rnd: Round) -> bool:
    return cafe.status != CafeStatus.CLOSED and rnd.status in OPEN_ROUND


def table_cards(
    *, session: Session, cafe: Cafe, rnd: Round | None, table: CafeTable | None
) -> TableCards:
    """The cards on show at one table in one round (newest first), those waiting for
    approval, and the votes each person seated there has spent this round."""
    if rnd is None or table is None:
        return TableCards(round=rnd, table=table, open=False, budget=0)
    where = {"round_id": rnd.id, "table_id": table.id}
    contributions = list(session.exec(_TABLE_CARDS, params=where))
    is_open = _board_open(cafe, rnd)
    votes: dict[int, int] = {}
    if is_open and cafe.reaction_budget:
        for participant_id, spent in session.exec(_TABLE_VOTES, params=where):
            votes[participant_id] = int(spent)
    themes = theme_choices(session, cafe)
    return TableCards(
        round=rnd,
        table=table,
        open=is_open,
        budget=cafe.reaction_budget,
        contributions=contributions,
        data=_card_data(session, contributions, names=cafe.names_visible, themes=bool(themes)),
        votes=votes,
        themes=themes,
    )


_ROUND_CARDS = (
    select(Contribution)
    .where(
        Contribution.round_id == bindparam("round_id"),
        col(Contribution.status).in_([VISIBLE, PENDING]),
    )
    .order_by(col(Contribution.created_at).desc(), col(Contribution.id).desc())
)
_ROUND_VOTES = (
    select(Seat.table_id, Reaction.participant_id, func.count())
    .join(Contribution, col(Contribution.id) == Reaction.contribution_id)
    .join(
        Seat,
        (col(Seat.participant_id) == Reaction.participant_id)
        & (col(Seat.round_id) == bindparam("round_id")),
    )
    .where(Contribution.round_id == bindparam("round_id"), Contribution.status == VISIBLE)
    .group_by(col(Seat.table_id), col(Reaction.participant_id))
)


def round_cards(
    *, session: Session, cafe: Cafe, rnd: Round, tables: Sequence[CafeTable]
) -> dict[int, TableCards]:
    """Every table's board in one round, read in a few queries for the whole café: what a
    rotation's thousand phones need at once (a new round's boards are all empty)."""
    contributions = list(session.exec(_ROUND_CARDS, params={"round_id": rnd.id}))
    votes: dict[int, dict[int, int]] = defaultdict(dict)
    if _board_open(cafe, rnd) and cafe.reaction_budget:
        for table_id, participant_id, spent in session.exec(
            _ROUND_VOTES, params={"round_id": rnd.id}
        ):
            votes[table_id][participant_id] = int(spent)
    themes = theme_choices(session, cafe)
    data = _card_data(session, contributions, names=cafe.names_visible, themes=bool(themes))
    return _round_boards(cafe, rnd, tables, contributions, votes, data, themes)


def new_round_cards(
    *, session: Session, cafe: Cafe, rnd: Round, tables: Sequence[CafeTable]
) -> dict[int, TableCards]:
    """`round_cards` of a round that has only just started: nobody can have written or
    voted in it yet, so only the café's themes are read."""
    return empty_round_cards(cafe, rnd, tables, theme_choices(session, cafe))


def empty_round_cards(
    cafe: Cafe, rnd: Round, tables: Sequence[CafeTable], themes: list[ThemeChoice]
) -> dict[int, TableCards]:
    """`new_round_cards` with the café's themes in hand."""
    return _round_boards(cafe, rnd, tables, [], {}, CardData(), themes)


def _round_boards(
    cafe: Cafe,
    rnd: Round,
    tables: Sequence[CafeTable],
    contributions: list[Contribution],
    votes: Mapping[int, dict[int, int]],
    data: CardData,
    themes: list[ThemeChoice],
) -> dict[int, TableCards]:
    by_table: dict[int, list[Contribution]] = defaultdict(list)
    for contribution in contributions:
        by_table[contribution.table_id or 0].append(contribution)
    is_open = _board_open(cafe, rnd)
    return {
        table.id or 0: TableCards(
            round=rnd,
            table=table,
            open=is_open,
            budget=cafe.reaction_budget,
            contributions=by_table.get(table.id or 0, []),
            data=data,
            votes=votes.get(table.id or 0, {}),
            themes=themes,
        )
        for table in tables
    }


def board_for(cards: TableCards, person: Someone) -> TableBoard:
    """One person's view of a shared board: cards waiting for approval only if they are
    theirs, their votes and the cards they may still change."""
    shown = [c for c in cards.contributions if c.status == VISIBLE or c.participant_id == person.id]
    rnd = cards.round
    return TableBoard(
        round=rnd,
        table=cards.table,
        cards=_make_cards(
            shown,
            cards.data,
            viewer_id=person.id,
            changeable_round=rnd.id if cards.open and rnd is not None else None,
        ),
        open=cards.open,
        budget=cards.budget,
        used=cards.votes.get(person.id or 0, 0),
        themes=cards.themes,
    )


def new_card(
    cafe: Cafe, contribution: Contribution, *, author: str | None, themes: list[str], mine: bool
) -> Card:
    """A card just written, as its author (`mine`) or a tablemate sees it, made without
    reading the board: nobody has voted on it or attached anything to it yet."""
    return Card(
        contribution=contribution,
        mine=mine,
        changeable=mine and contribution.status in {VISIBLE, PENDING},
        author=author if cafe.names_visible else None,
        themes=list(themes),
    )


_ONE_CARD = (
    select(Contribution, Participant.display_name)
    .outerjoin(Participant, col(Participant.id) == Contribution.participant_id)
    .where(Contribution.id == bindparam("id"), Contribution.cafe_id == bindparam("cafe_id"))
)


def read_new_card(
    *, session: Session, cafe: Cafe, contribution_id: int
) -> tuple[Contribution, str | None, list[str]] | None:
    """A new card's contribution, author's name and themes, for a process that did not
    write it (another worker): one contribution, not the whole board."""
    row = session.exec(_ONE_CARD, params={"id": contribution_id, "cafe_id": cafe.id}).first()
    if row is None:
        return None
    contribution, name = row
    themes = [n for _, n in session.exec(_CARD_THEMES, params={"ids": [contribution_id]})]
    return contribution, name, themes


def table_board(
    *,
    session: Session,
    cafe: Cafe,
    person: Participant,
    rnd: Round | None,
    table: CafeTable | None,
) -> TableBoard:
    """My table's board: the visible cards of one table in one round (newest first), my own
    cards that wait for approval, reaction counts and whether I voted."""
    return board_for(table_cards(session=session, cafe=cafe, rnd=rnd, table=table), person)


def moderation_view(*, session: Session, cafe: Cafe) -> ModerationView:
    """All boards of the current round, the approval queue and open safeguarding alerts."""
    rnd = cafe_service.current_round(session, cafe)
    tables = cafe_service.tables_of(session, cafe)
    rounds = cafe_service.rounds_of(session, cafe)
    current: list[Contribution] = []
    counts: dict[int, int] = {}
    if rnd is not None:
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
        seen.setdefault(c.id or 0, c)
    every = list(seen.values())
    data = _card_data(session, every, names=True)
    cards = {
        card.id: card for card in _make_cards(every, data, viewer_id=None, changeable_round=None)
    }
    by_table: dict[int, list[Card]] = defaultdict(list)
    for c in current:
        by_table[c.table_id or 0].append(cards[c.id or 0])
    return ModerationView(
        round=rnd,
        boards=[(t, by_table.get(t.id or 0, [])) for t in tables],
        pending=[cards[c.id or 0] for c in waiting],
        alerts=[cards[c.id or 0] for c in flagged],
        table_names={t.id or 0: t.name for t in tables},
        round_numbers={r.id or 0: r.number for r in rounds},
        counts=counts,
    )


def card_of(session: Session, cafe: Cafe, person: Participant, contribution_id: int) -> Card:
    """One of my own contributions as a card, with its photo and voice note."""
    contribution = own_contribution(session, cafe, person, contribution_id)
    data = _card_data(session, [contribution], names=False)
    return _make_cards(
        [contribution], data, viewer_id=person.id, changeable_round=contribution.round_id
    )[0]


_AUDIENCE = select(Seat.participant_id).where(
    Seat.round_id == bindparam("round_id"), Seat.table_id == bindparam("table_id")
)


def audience(*, session: Session, contribution: Contribution) -> list[int]:
    """The people seated at a contribution's table in its round: whose boards it changes."""
    if contribution.round_id is None or contribution.table_id is None:
        return []
    return list(
        session.exec(
            _AUDIENCE,
            params={"round_id": contribution.round_id, "table_id": contribution.table_id},
        )
    )
