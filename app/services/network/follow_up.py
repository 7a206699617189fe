"""What a member's page shows of what carries over between meetings: their group's actions
(`app.services.network.actions`) and a feedback form for each meeting they came to that has
ended (`app.services.network.feedback`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app.models.follow_up import FACES, QUESTION_WORDS, FeedbackQuestion
from app.models.network import Member
from app.services.network import actions as action_service
from app.services.network import feedback as feedback_service


@dataclass
class FollowUp:
    actions: action_service.MemberActions
    feedback: list[feedback_service.FeedbackForm]
    faces: tuple[tuple[int, str, str], ...] = FACES
    question_words: dict[FeedbackQuestion, str] = field(default_factory=lambda: QUESTION_WORDS)


def for_member(*, session: Session, member: Member, now: datetime) -> FollowUp:
    """The member's group's actions and their own feedback forms; nobody else's answers."""
    return FollowUp(
        actions=action_service.for_member(session=session, member=member),
        feedback=feedback_service.forms_for(session=session, member=member, now=now),
    )
