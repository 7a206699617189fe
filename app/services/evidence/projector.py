"""The harvest on the projector: the café's themes with their counts, the most-agreed cards
and a word cloud, for the whole room to see while it harvests.

What it counts is what "what we heard" counts (`harvest.heard`, `filters.visible`): cards on
show only, so hidden, withdrawn, waiting, erased or consent-withdrawn words never reach the
wall. Nobody's name is shown; when the café hides names, words that are people's names are
left out of the cloud as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models.cafe import Cafe, Participant
from app.models.evidence import KIND_LABELS, Contribution, Reaction
from app.services.evidence import harvest, wordcloud
from app.services.evidence.filters import ContributionFilter, visible

TOP_CARDS = 5


@dataclass(frozen=True)
class AgreedCard:
    text: str
    kind_label: str
    reactions: int


@dataclass(frozen=True)
class ProjectorHarvest:
    total: int
    themes: list[tuple[str, int]]
    agreed: list[AgreedCard]
    words: list[tuple[str, int]]
    cloud_svg: str


def projector_harvest(*, session: Session, cafe: Cafe) -> ProjectorHarvest:
    """What the projector shows in harvest mode, read now."""
    heard = harvest.heard(session=session, cafe=cafe, per_theme=0, others=0)
    shown = visible(cafe=cafe, filters=ContributionFilter())
    agreed = (
        select(func.count())
        .where(col(Reaction.contribution_id) == col(Contribution.id))
        .correlate(Contribution)
        .scalar_subquery()
    )
    top = [
        AgreedCard(text=text, kind_label=KIND_LABELS.get(kind, kind), reactions=int(n))
        for text, kind, n in session.exec(
            select(Contribution.text, Contribution.kind, agreed)
            .where(*shown, col(Contribution.text) != "")
            .order_by(agreed.desc(), col(Contribution.id))
            .limit(TOP_CARDS)
        )
        if n
    ]
    texts = list(session.exec(select(Contribution.text).where(*shown)))
    hidden: set[str] = set()
    if not cafe.names_visible:
        names = session.exec(select(Participant.display_name).where(Participant.cafe_id == cafe.id))
        hidden = wordcloud.name_words(names)
    words = wordcloud.words_of(texts, hidden=hidden)
    return ProjectorHarvest(
        total=heard.total,
        themes=[(t.theme.name, t.count) for t in heard.themes],
        agreed=top,
        words=words,
        cloud_svg=wordcloud.svg(words),
    )


def set_projector_harvest(*, session: Session, cafe: Cafe, on: bool) -> Cafe:
    """Show the harvest on the café's projector (`on`) or the round again."""
    if cafe.projector_harvest != on:
        cafe.projector_harvest = on
        session.add(cafe)
        session.commit()
    return cafe


def harvest_if_shown(*, session: Session, cafe_id: int) -> ProjectorHarvest | None:
    """The harvest, if the café's projector is in harvest mode now (read fresh: the choice
    may have been made through another worker)."""
    cafe = session.get(Cafe, cafe_id)
    if cafe is None or not cafe.projector_harvest:
        return None
    return projector_harvest(session=session, cafe=cafe)
