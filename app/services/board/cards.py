"""Cards as viewers see them, and the reads of a table's board, a round's boards, a new card."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from app.models.cafe import (
    Cafe,
    CafeStatus,
    CafeTable,
    Participant,
    Round,
    Seat,
    Someone,
)
from app.models.evidence import (
    EVIDENCE_LABELS,
    KIND_LABELS,
    Contribution,
    ContributionTheme,
    Media,
    MediaKind,
    Reaction,
    Theme,
)
from app.services.board.posting import own_contribution
from app.services.board.rules import OPEN_ROUND, PENDING, VISIBLE


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
        return self.contribution.id

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
class CardData:
    """What cards show besides the contribution: votes, photos and voice notes, names."""

    reactions: dict[int, set[int]] = field(default_factory=dict)
    media: dict[int, list[Media]] = field(default_factory=dict)
    authors: dict[int, str] = field(default_factory=dict)
    themes: dict[int, list[str]] = field(default_factory=dict)


# The selects a board read runs, many times a second in a busy café, are built once with
# bound parameters: building a statement and its cache key costs more than SQLite takes to
# run it.

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


def card_data(
    *, session: Session, contributions: list[Contribution], names: bool, themes: bool = False
) -> CardData:
    """The votes, photos, voice notes and (if asked) authors' names and themes of these
    contributions, in one query each for all of them."""
    data = CardData()
    ids = [c.id for c in contributions]
    if not ids:
        return data
    for contribution_id, participant_id in session.exec(_REACTIONS, params={"ids": ids}):
        data.reactions.setdefault(contribution_id, set()).add(participant_id)
    for item in session.exec(_MEDIA, params={"ids": ids}):
        data.media.setdefault(item.contribution_id, []).append(item)
    if names:
        author_ids = {c.participant_id for c in contributions if c.participant_id is not None}
        for author_id, name in session.exec(_NAMES, params={"ids": list(author_ids)}):
            data.authors[author_id] = name
    if themes:
        for contribution_id, theme_name in session.exec(_CARD_THEMES, params={"ids": ids}):
            data.themes.setdefault(contribution_id, []).append(theme_name)
    return data


def make_cards(
    *,
    contributions: list[Contribution],
    data: CardData,
    viewer_id: int | None,
    changeable_round: int | None,
) -> list[Card]:
    """The contributions as the viewer sees them (nobody's, for the console: `None`); those
    written in `changeable_round` are the viewer's to change while it is open."""
    cards = []
    for c in contributions:
        cid = c.id
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


def theme_choices(*, session: Session, cafe: Cafe) -> list[ThemeChoice]:
    """The café's themes (few, made by the facilitator): ticked on the form, named on cards."""
    return [
        ThemeChoice(id=theme_id, name=name)
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
    themes = theme_choices(session=session, cafe=cafe)
    return TableCards(
        round=rnd,
        table=table,
        open=is_open,
        budget=cafe.reaction_budget,
        contributions=contributions,
        data=card_data(
            session=session,
            contributions=contributions,
            names=cafe.names_visible,
            themes=bool(themes),
        ),
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
    themes = theme_choices(session=session, cafe=cafe)
    data = card_data(
        session=session, contributions=contributions, names=cafe.names_visible, themes=bool(themes)
    )
    return _round_boards(cafe, rnd, tables, contributions, votes, data, themes)


def new_round_cards(
    *, session: Session, cafe: Cafe, rnd: Round, tables: Sequence[CafeTable]
) -> dict[int, TableCards]:
    """`round_cards` of a round that has only just started: nobody can have written or
    voted in it yet, so only the café's themes are read."""
    return empty_round_cards(
        cafe=cafe, rnd=rnd, tables=tables, themes=theme_choices(session=session, cafe=cafe)
    )


def empty_round_cards(
    *, cafe: Cafe, rnd: Round, tables: Sequence[CafeTable], themes: list[ThemeChoice]
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
        table.id: TableCards(
            round=rnd,
            table=table,
            open=is_open,
            budget=cafe.reaction_budget,
            contributions=by_table.get(table.id, []),
            data=data,
            votes=votes.get(table.id, {}),
            themes=themes,
        )
        for table in tables
    }


def board_for(*, cards: TableCards, person: Someone) -> TableBoard:
    """One person's view of a shared board: cards waiting for approval only if they are
    theirs, their votes and the cards they may still change."""
    shown = [c for c in cards.contributions if c.status == VISIBLE or c.participant_id == person.id]
    rnd = cards.round
    return TableBoard(
        round=rnd,
        table=cards.table,
        cards=make_cards(
            contributions=shown,
            data=cards.data,
            viewer_id=person.id,
            changeable_round=rnd.id if cards.open and rnd is not None else None,
        ),
        open=cards.open,
        budget=cards.budget,
        used=cards.votes.get(person.id, 0),
        themes=cards.themes,
    )


def new_card(
    *, cafe: Cafe, contribution: Contribution, author: str | None, themes: list[str], mine: bool
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
    return board_for(
        cards=table_cards(session=session, cafe=cafe, rnd=rnd, table=table), person=person
    )


def card_of(*, session: Session, cafe: Cafe, person: Participant, contribution_id: int) -> Card:
    """One of my own contributions as a card, with its photo and voice note."""
    contribution = own_contribution(
        session=session, cafe=cafe, person=person, contribution_id=contribution_id
    )
    data = card_data(session=session, contributions=[contribution], names=False)
    return make_cards(
        contributions=[contribution],
        data=data,
        viewer_id=person.id,
        changeable_round=contribution.round_id,
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
