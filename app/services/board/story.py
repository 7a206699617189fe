"""The table's story for its host: what was said at their table in the earlier rounds.

A World Café host stays at the table and briefs each new group on what the table said
before. Their page shows the cards of the earlier rounds at that table, round by round,
with the photos of the tablecloth on them. Only cards on show (not hidden, withdrawn,
waiting for the facilitator, nor taken out by an erasure or a withdrawn consent) are told.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.models.cafe import Cafe, CafeTable, Participant, Round
from app.models.evidence import Contribution
from app.services.board.cards import Card, card_data, make_cards
from app.services.cafe import cafes as cafe_service
from app.services.evidence.filters import ContributionFilter, visible


@dataclass
class StoryRound:
    """One earlier round at the table: the question the table was asked then (its own, if
    it had one) and its cards (oldest first)."""

    round: Round
    question: str
    cards: list[Card] = field(default_factory=list)

    @property
    def photos(self) -> int:
        return sum(1 for card in self.cards if card.photo is not None)


@dataclass
class TableStory:
    table: CafeTable
    rounds: list[StoryRound]

    @property
    def empty(self) -> bool:
        return not any(r.cards for r in self.rounds)


def table_story(
    *, session: Session, cafe: Cafe, person: Participant, table: CafeTable | None
) -> TableStory | None:
    """For a table's host, the cards of the rounds before the current one at their table;
    None for anyone else, or before the second round."""
    if not person.is_host or table is None or table.cafe_id != cafe.id:
        return None
    earlier = [
        r
        for r in cafe_service.rounds_of(session=session, cafe=cafe)
        if r.number < cafe.current_round
    ]
    if not earlier:
        return None
    by_round: dict[int, StoryRound] = {
        r.id: StoryRound(
            round=r, question=cafe_service.question_for(session=session, rnd=r, table_id=table.id)
        )
        for r in earlier
    }
    rows = list(
        session.exec(
            select(Contribution)
            .where(
                *visible(cafe=cafe, filters=ContributionFilter()),
                col(Contribution.table_id) == table.id,
                col(Contribution.round_id).in_(list(by_round)),
            )
            .order_by(col(Contribution.created_at), col(Contribution.id))
        )
    )
    data = card_data(session=session, contributions=rows, names=cafe.names_visible, themes=True)
    for card in make_cards(contributions=rows, data=data, viewer_id=None, changeable_round=None):
        round_id = card.contribution.round_id
        if round_id is not None:
            by_round[round_id].cards.append(card)
    # The latest earlier round first: what the host is most likely to retell.
    rounds = sorted(by_round.values(), key=lambda s: -s.round.number)
    return TableStory(table=table, rounds=rounds)
