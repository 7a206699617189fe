"""The erasure log: what was erased, by whom and when, without the erased data itself."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from app.models.audit import AuditEntryPublic
from app.models.base import UTCDateTime, utcnow
from app.models.follow_up import FeedbackHeld
from app.models.member_page import MemberLinkHeld

# Who erased, when not a facilitator: the hourly job and `python -m app purge`.
RETENTION_JOB = "retention job"


class ErasureKind(StrEnum):
    PARTICIPANT = "participant"
    CAFE = "cafe"
    MEMBER = "member"
    NETWORK = "network"


class ErasureLog(SQLModel, table=True):
    """One erasure. Holds ids and counts only: no names, no text, no contact details.

    `owner_id` is the facilitator who owned what was erased (so they can read the log);
    `erased_by` is who did it: "facilitator 12" or "retention job"."""

    __tablename__ = "erasure_log"

    id: int = Field(default=None, primary_key=True)
    owner_id: int = Field(index=True)
    erased_by: str = Field(max_length=40)
    kind: str = Field(max_length=12)
    subject_id: int
    reason: str = Field(default="request", max_length=12)
    participants: int = 0
    cards: int = 0
    photos: int = 0
    voice_notes: int = 0
    votes: int = 0
    evidence_items: int = 0
    members: int = 0
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ErasedContribution(SQLModel, table=True):
    """A tombstone: a contribution erased while its café stays (its author was erased), so
    an API client syncing the café's contributions learns to drop it. Ids and the café's
    change number only; it goes with the café."""

    __tablename__ = "erased_contribution"
    __table_args__ = (
        Index("ix_erased_contribution_cafe_id_seq", "cafe_id", "change_seq", "contribution_id"),
    )

    id: int = Field(default=None, primary_key=True)
    cafe_id: int = Field(foreign_key="cafe.id", ondelete="CASCADE")
    contribution_id: int
    change_seq: int = Field(sa_type=BigInteger)
    erased_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ErasurePublic(SQLModel):
    """What an erasure removed, in counts."""

    kind: str
    subject_id: int
    reason: str = Field(description="request (the owner asked) or retention (past keep-for)")
    participants: int
    cards: int
    photos: int
    voice_notes: int
    votes: int
    evidence_items: int = Field(description="Evidence items whose quoted words were redacted.")
    members: int
    at: datetime


class KeepForUpdate(SQLModel):
    keep_days: int | None = Field(
        ge=1,
        le=3650,
        description="Days personal data is kept (after the café closes, or after the "
        "network's last meeting); null: the server's default.",
    )


class KeepForPublic(SQLModel):
    keep_days: int | None = Field(description="This café's or network's own period; null: none.")
    default_days: int = Field(description="The server's default, used when keep_days is null.")
    erase_on: datetime = Field(description="When its personal data will be erased.")


# --- subject access --------------------------------------------------------------------------


class MediaHeld(SQLModel):
    id: int
    kind: str = Field(description="photo or voice")
    content_type: str
    size: int = Field(description="Bytes on disk.")
    created_at: datetime


class CardHeld(SQLModel):
    id: int
    text: str
    kind: str
    evidence_type: str
    author_role: str | None
    for_table: bool
    status: str
    round: int | None
    table: str | None
    created_at: datetime
    updated_at: datetime
    media: list[MediaHeld]


class VoteHeld(SQLModel):
    contribution_id: int
    created_at: datetime


class SeatHeld(SQLModel):
    round: int
    table: str
    planned: bool = Field(
        default=False,
        description="A seat in a round not started yet, as the café's plan has it.",
    )


class QuoteHeld(SQLModel):
    """An evidence item in a material quoting one of the person's cards."""

    id: int
    material_id: int
    material_title: str
    version: int
    contribution_id: int
    original_text: str
    paraphrase: str
    source_status: str


class ParticipantData(SQLModel):
    """Everything held about one café participant."""

    id: int
    cafe_id: int
    cafe_title: str
    display_name: str
    role: str | None
    is_host: bool
    cannot_move: bool
    large_text: bool
    easy_read: bool
    joined_at: datetime
    left_at: datetime | None
    no_phone: bool = Field(default=False, description="Added by the facilitator: no phone.")
    help_requests: list[datetime] = Field(
        default_factory=list, description="When they asked the facilitator for help."
    )
    member_id: int | None = Field(description="The network member they joined as, if any.")
    seats: list[SeatHeld]
    cards: list[CardHeld]
    votes: list[VoteHeld]
    quotes: list[QuoteHeld]
    erase_on: datetime = Field(description="When the café's keep-for period ends.")


class AttendanceHeld(SQLModel):
    meeting_id: int
    meeting_number: int
    meeting_title: str
    starts_at: datetime
    attended: bool
    hours: float
    paid_at: datetime | None = None


class ExpenseHeld(SQLModel):
    """An expense the member claimed for a meeting (the receipt photo itself is not in the
    export: the lead holds it and can show it)."""

    meeting_id: int
    kind: str
    amount_pence: int
    note: str
    has_receipt: bool
    created_at: datetime


class MemberData(SQLModel):
    """Everything held about one network member, with what they said in cafés they joined
    through their invite."""

    id: int
    network_id: int
    network_title: str
    group_id: int
    group_name: str
    display_name: str
    role: str
    email: str
    phone: str
    accessibility_needs: str
    consent_given: bool
    consent_at: datetime | None
    consent_note: str
    created_at: datetime
    invite_version: int = Field(description="Invite links of an older version no longer work.")
    personal_link: MemberLinkHeld | None = Field(
        default=None, description="Their link to their own page: when made and last used."
    )
    attendance: list[AttendanceHeld]
    already_funded: bool = False
    expenses: list[ExpenseHeld] = Field(default_factory=list)
    cafes: list[ParticipantData]
    erase_on: datetime = Field(description="When the network's keep-for period ends.")
    actions: list[AuditEntryPublic] = Field(
        description="What the member did themselves, as the audit log records it."
    )
    feedback: list[FeedbackHeld] = Field(
        default_factory=list, description="Their feedback after meetings (voice notes noted)."
    )
