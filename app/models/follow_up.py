"""What carries over between a group's meetings: actions (from its action plan) with their
owner, due date, status and short history, and the members' feedback after each meeting."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime
from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.i18n import N_
from app.models.base import RowRef, UTCDateTime, utcnow

MAX_ACTION_TITLE = 300
MAX_COMMENT = 2000


class ActionStatus(StrEnum):
    OPEN = "open"
    DOING = "doing"
    DONE = "done"
    DROPPED = "dropped"


STATUS_LABELS = {
    ActionStatus.OPEN: N_("Not started"),
    ActionStatus.DOING: N_("Being done"),
    ActionStatus.DONE: N_("Done"),
    ActionStatus.DROPPED: N_("Dropped"),
}
# What a member may set on an action they own (nothing else of it).
MEMBER_STATUSES = (ActionStatus.DOING, ActionStatus.DONE)


class NetworkAction(SQLModel, table=True):
    """One thing a local group agreed to do, carried from meeting to meeting until done."""

    __tablename__ = "network_action"

    id: int = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="local_group.id", index=True, ondelete="CASCADE")
    # The action plan it came from, if any (kept when the plan goes: the action stands).
    plan_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("action_plan.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    title: str = Field(max_length=MAX_ACTION_TITLE)
    # Owned by a member of the group, or (owner_member_id None) by the lead.
    owner_member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    due_on: date | None = Field(default=None)
    status: str = Field(default=ActionStatus.OPEN, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The network's change number of the last write to what this row lists as
    # (`app.services.network.changes`); API clients sync in that order.
    change_seq: int = Field(default=0, sa_type=BigInteger)


class ActionChange(SQLModel, table=True):
    """One change to an action: who (the lead, or a member: erased members leave no name),
    what (the field, from and to) and when."""

    __tablename__ = "action_change"

    id: int = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="network_action.id", index=True, ondelete="CASCADE")
    by_member_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    by_lead: bool = Field(default=False)
    what: str = Field(max_length=20)
    old: str = Field(default="", max_length=MAX_ACTION_TITLE)
    new: str = Field(default="", max_length=MAX_ACTION_TITLE)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FeedbackQuestion(StrEnum):
    HOW_WAS_IT = "how_was_it"
    LISTENED = "listened"
    COULD_SAY = "could_say"
    EASY_TO_GET_THERE = "easy_to_get_there"
    ANYTHING_ELSE = "anything_else"


QUESTION_WORDS = {
    FeedbackQuestion.HOW_WAS_IT: N_("How was the meeting?"),
    FeedbackQuestion.LISTENED: N_("Did you feel listened to?"),
    FeedbackQuestion.COULD_SAY: N_("Could you say what you wanted to say?"),
    FeedbackQuestion.EASY_TO_GET_THERE: N_("Was it easy to get there?"),
    FeedbackQuestion.ANYTHING_ELSE: N_("Anything else you want to tell us?"),
}
# The questions answered on the five-face scale ("anything else" is answered in words).
SCALE_QUESTIONS = tuple(q for q in FeedbackQuestion if q != FeedbackQuestion.ANYTHING_ELSE)
# The five faces, worst to best: the value, the face shown and the words a screen reader says.
FACES = (
    (1, "😞", N_("Very bad")),
    (2, "🙁", N_("Bad")),
    (3, "😐", N_("OK")),
    (4, "🙂", N_("Good")),
    (5, "😄", N_("Very good")),
)
MIN_QUESTIONS, MAX_QUESTIONS = 3, 5


class FeedbackSetup(SQLModel, table=True):
    """The questions the lead chose for one meeting's feedback (all five when never set)."""

    __tablename__ = "feedback_setup"
    __table_args__ = (UniqueConstraint("meeting_id"),)

    id: int = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", ondelete="CASCADE")
    questions: str = Field(max_length=200, description="Question keys, comma separated.")


class FeedbackResponse(SQLModel, table=True):
    """One member's feedback on one meeting: a second send replaces the first. Personal
    data of the member: erased with them, in their subject access export."""

    __tablename__ = "feedback_response"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: int = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    # Scores by question key, as JSON ({"how_was_it": 4, ...}).
    scores: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    voice_path: str | None = Field(default=None, max_length=200)
    voice_type: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API schemas -------------------------------------------------------------------------


class ActionCreate(SQLModel):
    group_id: RowRef
    title: str = Field(min_length=1, max_length=MAX_ACTION_TITLE)
    owner_member_id: RowRef | None = Field(
        default=None, description="A member of the group; null: the lead owns it."
    )
    due_on: date | None = Field(default=None, description="Not in the past.")
    plan_id: RowRef | None = Field(default=None, description="The group's action plan it is from.")


class ActionUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=MAX_ACTION_TITLE)
    owner_member_id: RowRef | None = Field(
        default=None, description="A member of the group; give `owner_is_lead` to hand it back."
    )
    owner_is_lead: bool = Field(default=False, description="True: the lead owns it from now.")
    due_on: date | None = Field(default=None, description="Not in the past.")
    clear_due: bool = Field(default=False, description="True: no due date from now.")
    status: ActionStatus | None = None


class ActionChangePublic(SQLModel):
    at: datetime
    by: str = Field(description="'the lead', 'a member' or the member's name.")
    what: str
    old: str
    new: str


class ActionPublic(SQLModel):
    id: int
    network_id: int
    group_id: int
    group_name: str
    plan_id: int | None
    title: str
    owner_member_id: int | None
    owner_name: str = Field(description="The member's name, or 'the lead'.")
    due_on: date | None
    status: ActionStatus
    created_at: datetime
    updated_at: datetime
    history: list[ActionChangePublic]


class QuestionResult(SQLModel):
    question: str
    words: str
    answers: int
    average: float | None
    counts: list[int] = Field(description="How many chose each face, from 1 (worst) to 5.")


class MeetingFeedback(SQLModel):
    meeting_id: int
    group_id: int
    group_name: str
    meeting_number: int
    meeting_title: str
    starts_at: AwareDatetime | datetime
    questions: list[str]
    responses: int
    attended: int
    results: list[QuestionResult]
    comments: list[str] = Field(description="Free text, without names.")
    voice_notes: int


class GroupFeedback(SQLModel):
    group_id: int
    group_name: str
    responses: int
    results: list[QuestionResult]


class FeedbackReport(SQLModel):
    network_id: int
    meetings: list[MeetingFeedback]
    groups: list[GroupFeedback]


class FeedbackHeld(SQLModel):
    """A member's own feedback on one meeting, as held (subject access)."""

    meeting_id: int
    meeting_title: str
    scores: dict[str, int]
    comment: str
    voice_note: bool
    updated_at: datetime
