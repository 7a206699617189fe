"""Contributions as tagged evidence: what people add at a table, themes, reactions, media."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.i18n import N_
from app.models.base import UTCDateTime, utcnow


class ContributionKind(StrEnum):
    IDEA = "idea"
    QUESTION = "question"
    ENABLER = "enabler"
    BARRIER = "barrier"
    ACTION = "action"
    INSIGHT = "insight"


class EvidenceType(StrEnum):
    LIVED_EXPERIENCE = "lived_experience"
    PRACTICE = "practice"
    RESEARCH = "research"
    OTHER = "other"


class ContributionStatus(StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"  # waiting for the facilitator when the café pre-moderates
    HIDDEN = "hidden"  # hidden by the facilitator (or by a safeguarding flag)
    WITHDRAWN = "withdrawn"  # taken back by its author


class MediaKind(StrEnum):
    PHOTO = "photo"
    VOICE = "voice"


KIND_LABELS: dict[str, str] = {
    "idea": N_("Idea"),
    "question": N_("Question"),
    "enabler": N_("What helps"),
    "barrier": N_("What gets in the way"),
    "action": N_("Action"),
    "insight": N_("Insight"),
}
EVIDENCE_LABELS: dict[str, str] = {
    "lived_experience": N_("Lived experience"),
    "practice": N_("Practice knowledge"),
    "research": N_("Research"),
    "other": N_("Other"),
}
# A card's status as the person it is about reads it (their subject access page).
CARD_STATUS_LABELS: dict[str, str] = {
    "visible": N_("on the board"),
    "pending": N_("waiting"),
    "hidden": N_("hidden"),
    "withdrawn": N_("withdrawn"),
}
# The evidence type a phone pre-selects from the person's stakeholder role.
EVIDENCE_FOR_ROLE: dict[str | None, str] = {
    "lived_experience": "lived_experience",
    "carer": "lived_experience",
    "practitioner": "practice",
    "manager": "practice",
    "provider": "practice",
    "decision_maker": "practice",
    "researcher": "research",
    "other": "other",
    None: "other",
}
MAX_TEXT = 500


class Contribution(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("participant_id", "client_id"),
        # What API clients sync by: a café's contributions in the order they changed.
        Index("ix_contribution_cafe_id_change_seq", "cafe_id", "change_seq"),
    )

    id: int = Field(default=None, primary_key=True)
    cafe_id: int = Field(foreign_key="cafe.id", index=True, ondelete="CASCADE")
    round_id: int | None = Field(default=None, foreign_key="round.id", index=True)
    table_id: int | None = Field(default=None, foreign_key="cafe_table.id", index=True)
    participant_id: int | None = Field(
        default=None,
        sa_column=Column(
            # No index of its own: the unique (participant_id, client_id) one serves.
            Integer,
            ForeignKey("participant.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    # Client-generated id: a retried post after a dropped connection finds this row instead
    # of creating a second one.
    client_id: str = Field(max_length=64)
    text: str = Field(max_length=MAX_TEXT)
    kind: str = Field(default=ContributionKind.IDEA, max_length=12)
    evidence_type: str = Field(default=EvidenceType.OTHER, max_length=20)
    # The author's stakeholder role when they wrote it (roles can change later).
    author_role: str | None = Field(default=None, max_length=20)
    for_table: bool = Field(default=False, description="A host wrote it on behalf of the table.")
    # Written for someone without a phone (`participant_id`, whose role and evidence type it
    # keeps) by a host (`written_by_id`) or by the facilitator (None).
    written_for: bool = Field(default=False)
    written_by_id: int | None = Field(
        default=None, foreign_key="participant.id", ondelete="SET NULL"
    )
    status: str = Field(default=ContributionStatus.VISIBLE, max_length=10, index=True)
    safeguarding: bool = Field(default=False)
    # When the facilitator dealt with a safeguarding flag; the flag itself stays on record.
    safeguarding_resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    moderation_note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The café's change number of the last change to what this record says
    # (`app.services.changes`): new, edited, moderated, voted on, themed.
    change_seq: int = Field(default=0, sa_type=BigInteger)


class ChangeCounter(SQLModel, table=True):
    """Each café's last change number given to a contribution (`app.services.changes`)."""

    __tablename__ = "change_counter"

    cafe_id: int = Field(foreign_key="cafe.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(default=0, sa_type=BigInteger)


class Media(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)
    contribution_id: int = Field(foreign_key="contribution.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=10)
    content_type: str = Field(max_length=60)
    # Relative to the media dir; a random name, never the uploaded file name.
    path: str = Field(max_length=200)
    size: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ThemeBase(SQLModel):
    """A theme's fields as a facilitator gives them (`harvest.ThemeCreate`) and as stored."""

    name: str = Field(min_length=1, max_length=80)
    description: str = Field(default="", max_length=500)


class Theme(ThemeBase, table=True):
    __table_args__ = (UniqueConstraint("cafe_id", "name"),)

    id: int = Field(default=None, primary_key=True)
    cafe_id: int = Field(foreign_key="cafe.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContributionTheme(SQLModel, table=True):
    __tablename__ = "contribution_theme"

    contribution_id: int = Field(
        foreign_key="contribution.id", primary_key=True, ondelete="CASCADE"
    )
    theme_id: int = Field(foreign_key="theme.id", primary_key=True, ondelete="CASCADE", index=True)


class Reaction(SQLModel, table=True):
    """One agree/dot-vote by one person on one contribution (a person's total is capped by
    the café's reaction budget)."""

    __table_args__ = (UniqueConstraint("contribution_id", "participant_id"),)

    id: int = Field(default=None, primary_key=True)
    contribution_id: int = Field(foreign_key="contribution.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API schemas -------------------------------------------------------------------------


class ModerationRequest(SQLModel):
    note: str = Field(
        default="",
        max_length=500,
        description="Why, for the facilitator's record; never shown to participants.",
    )


class ModerationPublic(SQLModel):
    """A contribution's moderation state after a hide, restore or approve."""

    id: int
    cafe_id: int
    round_id: int | None
    table_id: int | None
    status: str
    safeguarding: bool
    safeguarding_resolved_at: datetime | None
    moderation_note: str
    updated_at: datetime
