"""Paying members for their time (issue 25): the network's hourly rate, expenses a member
claims for a meeting (travel, carer cover, other) with an optional receipt photo, and whether
what they are owed for a meeting was paid. Amounts are whole pence."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, StrictInt
from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from app.i18n import N_
from app.models.base import UTCDateTime, utcnow

# The most one expense or an hour's rate may be, in pence (£1,000): a typo guard, not policy.
MAX_AMOUNT_PENCE = 100_000
MAX_RATE_PENCE = 20_000  # £200 an hour


class ExpenseKind(StrEnum):
    TRAVEL = "travel"
    CARER_COVER = "carer_cover"
    OTHER = "other"


EXPENSE_WORDS = {
    ExpenseKind.TRAVEL: N_("Travel"),
    ExpenseKind.CARER_COVER: N_("Carer cover"),
    ExpenseKind.OTHER: N_("Other"),
}


class PaymentStatus(StrEnum):
    NONE = "none"  # nothing to pay (did not come, or funded with no expenses)
    DUE = "due"
    PAID = "paid"


class ExpenseBase(SQLModel):
    kind: str = Field(max_length=20, description="travel, carer_cover or other.")
    amount_pence: int = Field(gt=0, le=MAX_AMOUNT_PENCE, description="Whole pence: 1250 is £12.50.")
    note: str = Field(default="", max_length=200, description="What it was for, in a few words.")


class Expense(ExpenseBase, table=True):
    """What a member spent to come to a meeting, to be paid back with their time."""

    id: int = Field(default=None, primary_key=True)
    attendance_id: int = Field(foreign_key="attendance.id", index=True, ondelete="CASCADE")
    # A receipt photo under the media directory (`receipts/{network_id}/…`), cleaned like a
    # card's photo: no EXIF, no location.
    receipt_path: str | None = Field(default=None, max_length=200)
    receipt_type: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The network's change number of the last write to what this row lists as
    # (`app.services.network.changes`); API clients sync in that order.
    change_seq: int = Field(default=0, sa_type=BigInteger)


class ExpenseCreate(ExpenseBase):
    member_id: StrictInt = Field(ge=1, le=2**31 - 1, description="A member of the meeting's group.")
    kind: ExpenseKind
    amount_pence: StrictInt = Field(gt=0, le=MAX_AMOUNT_PENCE, description="Whole pence.")


class ExpensePublic(SQLModel):
    id: int
    meeting_id: int
    member_id: int
    kind: ExpenseKind
    amount_pence: int
    note: str
    has_receipt: bool
    created_at: datetime


class PayRate(BaseModel):
    hourly_rate_pence: StrictInt | None = Field(
        default=None,
        ge=0,
        le=MAX_RATE_PENCE,
        description="What an hour of a member's time is paid, in pence; null: not set.",
    )


class PaymentMark(BaseModel):
    status: PaymentStatus = Field(description="`paid` or `due` (`none` is worked out).")


class MemberPayment(SQLModel):
    """What one member is owed for one meeting."""

    meeting_id: int
    member_id: int
    display_name: str
    attended: bool
    hours: float
    already_funded: bool
    time_pence: int
    expenses_pence: int
    total_pence: int
    status: PaymentStatus
    paid_at: datetime | None
