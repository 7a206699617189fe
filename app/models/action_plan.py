"""Action plans: theory-of-change templates filled in by a local group or for a whole network,
each answer able to cite evidence items from the network's discussion materials."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import RowRef, UTCDateTime, utcnow

MAX_ANSWER = 10_000


class PlanKind(StrEnum):
    # Report Appendix 2: the short template a local group fills in its last meetings.
    NETWORK = "network"
    # Report Appendix 1: the full theory of change for a project (here: a whole network).
    PROJECT = "project"


class ActionPlan(SQLModel, table=True):
    """One filled-in template: a local group's action plan, or a network's theory of change."""

    __tablename__ = "action_plan"

    id: int = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True, ondelete="CASCADE")
    group_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("local_group.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    kind: str = Field(max_length=10)
    title: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActionPlanAnswer(SQLModel, table=True):
    """The answer to one question of the template."""

    __tablename__ = "action_plan_answer"
    __table_args__ = (UniqueConstraint("plan_id", "field"),)

    id: int = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", index=True, ondelete="CASCADE")
    field: str = Field(max_length=40)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))


class ActionPlanCitation(SQLModel, table=True):
    """An answer that rests on an evidence item of one of the network's materials."""

    __tablename__ = "action_plan_citation"
    __table_args__ = (UniqueConstraint("plan_id", "field", "evidence_item_id"),)

    id: int = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="action_plan.id", index=True, ondelete="CASCADE")
    field: str = Field(max_length=40)
    evidence_item_id: int = Field(foreign_key="evidence_item.id", index=True, ondelete="CASCADE")


# --- API schemas -------------------------------------------------------------------------


class ActionPlanCreate(SQLModel):
    kind: PlanKind = Field(
        default=PlanKind.NETWORK,
        description="network: a local group's action plan (needs group_id); "
        "project: the network's full theory of change (no group_id).",
    )
    group_id: RowRef | None = None
    title: str = Field(default="", max_length=200, description="Defaults from the group.")


class AnswerUpdate(SQLModel):
    body: str | None = Field(default=None, max_length=MAX_ANSWER)
    evidence_item_ids: list[RowRef] | None = Field(
        default=None,
        max_length=200,
        description="Evidence items this answer cites; replaces the earlier list when given.",
    )


class ActionPlanUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    answers: dict[str, AnswerUpdate] = Field(
        default_factory=dict,
        description="Answers by field key (see `fields` in the plan); fields left out are kept.",
    )


class CitedEvidence(SQLModel):
    evidence_item_id: int
    text: str = Field(description="The paraphrase if there is one, else the original words.")
    original_text: str
    group_name: str
    meeting_number: int | None
    cafe_title: str
    author_role: str | None
    evidence_type: str
    kind: str
    source_status: str


class PlanField(SQLModel):
    key: str
    section: str
    question: str
    hint: str
    answer: str
    citations: list[CitedEvidence]


class ActionPlanSummary(SQLModel):
    id: int
    network_id: int
    group_id: int | None
    kind: str
    title: str
    created_at: datetime
    updated_at: datetime


class PlanAction(SQLModel):
    """An item of the plan tracked as an action, with where it stands."""

    action_id: int
    title: str
    status: str = Field(description="open, doing, done or dropped.")
    due_on: date | None


class ActionPlanPublic(ActionPlanSummary):
    group_name: str | None
    network_title: str
    fields: list[PlanField]
    actions: list[PlanAction] = Field(
        default_factory=list, description="The plan's items tracked as actions, with status."
    )
