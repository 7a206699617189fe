"""Quotes of people's words in text others wrote: a material section's body and easy-read
text, an action plan's answers and a "you said, we did" update. When the words are erased or
their consent withdrawn, exact quotes of them there are replaced by a fixed phrase."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.i18n import in_language
from app.models.action_plan import ActionPlanAnswer
from app.models.material import MaterialSection
from app.models.you_said import YouSaid

# Words shorter than this are not searched for in text others wrote: "Yes" would match the
# lead's writing everywhere.
QUOTE_MIN = 12


def _searched(texts: Sequence[str]) -> set[str]:
    return {t.strip() for t in texts if len(t.strip()) >= QUOTE_MIN}


def redact_plans(*, session: Session, texts: Sequence[str], phrase: str) -> int:
    """Replace exact quotes of these words in action plans' answers; not committed. Returns
    how many answers changed."""
    changed: set[int] = set()
    for text in _searched(texts):
        answers = session.exec(
            select(ActionPlanAnswer).where(
                col(ActionPlanAnswer.body).contains(text, autoescape=True)
            )
        ).all()
        for answer in answers:
            answer.body = answer.body.replace(text, phrase)
            session.add(answer)
            changed.add(answer.id)
    return len(changed)


def redact_updates(*, session: Session, texts: Sequence[str], phrase: str) -> int:
    """Replace exact quotes of these words in "you said, we did" updates; not committed.
    Returns how many updates changed."""
    changed: set[int] = set()
    for text in _searched(texts):
        updates = session.exec(
            select(YouSaid).where(
                or_(
                    col(YouSaid.you_said).contains(text, autoescape=True),
                    col(YouSaid.we_did).contains(text, autoescape=True),
                )
            )
        ).all()
        for update in updates:
            update.you_said = update.you_said.replace(text, phrase)
            update.we_did = update.we_did.replace(text, phrase)
            session.add(update)
            changed.add(update.id)
    return len(changed)


def redact(*, session: Session, texts: Sequence[str], phrase: str) -> None:
    """Replace exact quotes of these words where a section's own text quotes them (drafts
    and published), in action plans' answers and in updates; not committed. `phrase` is a
    marked message (`N_`): the section's Welsh text gets its Welsh."""
    phrase_cy = in_language("cy", phrase)
    for text in _searched(texts):
        sections = session.exec(
            select(MaterialSection).where(
                or_(
                    col(MaterialSection.body_markdown).contains(text, autoescape=True),
                    col(MaterialSection.easy_read_text).contains(text, autoescape=True),
                    col(MaterialSection.body_markdown_cy).contains(text, autoescape=True),
                    col(MaterialSection.easy_read_text_cy).contains(text, autoescape=True),
                )
            )
        ).all()
        for section in sections:
            section.body_markdown = section.body_markdown.replace(text, phrase)
            section.easy_read_text = section.easy_read_text.replace(text, phrase)
            # A quote kept as said inside the Welsh text goes too, for the phrase in Welsh.
            section.body_markdown_cy = section.body_markdown_cy.replace(text, phrase_cy)
            section.easy_read_text_cy = section.easy_read_text_cy.replace(text, phrase_cy)
            session.add(section)
    redact_plans(session=session, texts=texts, phrase=phrase)
    redact_updates(session=session, texts=texts, phrase=phrase)
