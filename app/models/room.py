"""The room as the facilitator reshapes it live: messages to every phone and requests for
help from a table (issue 26), and the API's bodies for reshaping the room."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints, model_validator
from sqlmodel import Field, SQLModel

from app.i18n import _
from app.models.base import UTCDateTime, utcnow
from app.models.cafe import StakeholderRole
from app.models.evidence import ContributionKind

Typed = Annotated[str, StringConstraints(strip_whitespace=True)]

MAX_BROADCAST = 280


class Broadcast(SQLModel, table=True):
    """A short message from the facilitator to every phone of the café; the latest shows on
    top of the phone page until the person dismisses it."""

    id: int = Field(default=None, primary_key=True)
    cafe_id: int = Field(foreign_key="cafe.id", index=True, ondelete="CASCADE")
    text: str = Field(max_length=MAX_BROADCAST)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HelpRequest(SQLModel, table=True):
    """A phone asked the facilitator for help ("Table 4 asks for help"); open until the
    facilitator says they saw it. One open request per person at a time."""

    __tablename__ = "help_request"

    id: int = Field(default=None, primary_key=True)
    cafe_id: int = Field(foreign_key="cafe.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    # The table the person sat at when they asked (None: not seated); a table removed later
    # leaves the request without one.
    table_id: int | None = Field(default=None, foreign_key="cafe_table.id", ondelete="SET NULL")
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- API bodies -------------------------------------------------------------------------


class TableAdd(SQLModel):
    name: Typed | None = Field(default=None, max_length=60, description="Defaults to 'Table N'.")
    capacity: int = Field(default=6, ge=2, le=30)


class TableChange(SQLModel):
    """Fields left out stay as they are."""

    name: Typed | None = Field(default=None, min_length=1, max_length=60)
    capacity: int | None = Field(default=None, ge=2, le=30)


class TableQuestionChange(SQLModel):
    table: int = Field(ge=1, le=200, description="Table number.")
    question: Typed | None = Field(
        default=None,
        max_length=500,
        description="The table's own question this round; null or empty: the round's question.",
    )


class RoundChange(SQLModel):
    """A round's question, minutes or per-table questions. Minutes only for a round not
    started yet (the current one: extend it); questions for the current round too."""

    question: Typed | None = Field(default=None, min_length=1, max_length=500)
    minutes: int | None = Field(default=None, ge=1, le=180)
    table_questions: list[TableQuestionChange] = Field(default_factory=list, max_length=200)
    move_to: int | None = Field(
        default=None,
        ge=1,
        le=20,
        description="Move this round (not started yet) to this round's place, among the rounds "
        "not started yet: its question, minutes and tables' questions go with it, and the "
        "rounds between move up or down one.",
    )

    @model_validator(mode="after")
    def _one_question_a_table(self) -> RoundChange:
        seen: set[int] = set()
        for tq in self.table_questions:
            if tq.table in seen:
                raise ValueError(
                    _("table_questions gives table %(table)s two questions", table=tq.table)
                )
            seen.add(tq.table)
        return self


class WriteForRequest(SQLModel):
    """A card for someone without a phone, written by the facilitator through the API."""

    text: Typed = Field(min_length=1, max_length=500, description="Their words, as they said them.")
    kind: ContributionKind = ContributionKind.IDEA
    client_id: str = Field(
        min_length=8,
        max_length=64,
        regex=r"^[A-Za-z0-9_-]+$",
        description="A fresh id for this card; sending it again stores it once.",
    )


class WrittenForPublic(SQLModel):
    contribution_id: int
    participant_id: int
    written_for: bool = True
    created: bool = Field(description="False: this client_id was posted before; nothing new.")


class BroadcastRequest(SQLModel):
    text: Typed = Field(min_length=1, max_length=MAX_BROADCAST)


class BroadcastPublic(SQLModel):
    id: int
    text: str
    sent_at: datetime


class PersonWithoutPhone(SQLModel):
    """Someone in the room without a phone, added by the facilitator."""

    display_name: Typed = Field(
        min_length=1, max_length=40, description="A name or a number, e.g. 'Sam' or 'Guest 3'."
    )
    role: StakeholderRole | None = None
    cannot_move: bool = Field(default=False, description="They stay at one table all café.")
    large_text: bool = False
    easy_read: bool = False


class HelpPublic(SQLModel):
    id: int
    participant_id: int
    table_id: int | None
    asked_at: datetime
    seen_at: datetime | None
