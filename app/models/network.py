"""IMPACT Networks: a network with its local groups, their members, meetings and attendance."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, StrictBool, field_validator
from sqlalchemy import BigInteger, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.i18n import _
from app.models.base import RowRef, UTCDateTime, utcnow
from app.models.cafe import DEFAULT_PRIVACY_NOTICE, MAX_PRIVACY_NOTICE

# The languages a network's members' pages and letters can be in (`app.i18n.LANGUAGES`).
NETWORK_LANGUAGES = ("en", "cy")
_LANGUAGE_SCHEMA = {"json_schema_extra": {"enum": list(NETWORK_LANGUAGES)}}
_LANGUAGE_HELP = (
    "The language of members' pages and letters"  # not shown to people
    " for members who have not chosen their own: en (English) or cy (Welsh)."
)


def checked_language(value: str | None) -> str | None:
    """A network language as given, or a readable refusal (in the reader's language)."""
    if value is not None and value not in NETWORK_LANGUAGES:
        raise ValueError(_("Choose English (en) or Cymraeg (cy) for the network's language."))
    return value


class NetworkBase(SQLModel):
    """A network's fields as its lead gives them (`NetworkCreate`) and as stored."""

    title: str = Field(min_length=1, max_length=120, description="The network's topic.")
    description: str = Field(default="", max_length=4000)
    privacy_notice: str = Field(
        default=DEFAULT_PRIVACY_NOTICE,
        max_length=MAX_PRIVACY_NOTICE,
        description="What happens to what members say, in plain words: shown to members.",
    )
    language: str = Field(
        default="en", max_length=5, description=_LANGUAGE_HELP, schema_extra=_LANGUAGE_SCHEMA
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str | None:
        return checked_language(value)


class Network(NetworkBase, table=True):
    """A network on one topic, led by one facilitator (the lead)."""

    id: int = Field(default=None, primary_key=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Days personal data is kept after the last meeting; None: the default from settings.
    keep_days: int | None = Field(default=None)
    # What the network pays a member for an hour of their time, in pence (None: not set).
    hourly_rate_pence: int | None = Field(default=None)
    # The network's change number of its last change (its pay rate is in every row of a
    # meeting's payments: `app.services.network.changes`).
    change_seq: int = Field(default=0, sa_type=BigInteger)


class LocalGroupBase(SQLModel):
    """A local group's fields as the lead gives them (`GroupCreate`) and as stored."""

    name: str = Field(min_length=1, max_length=120)
    area: str = Field(default="", max_length=120, description="Area or nation.")


class LocalGroup(LocalGroupBase, table=True):
    """One local group of a network, usually one per area or nation."""

    __tablename__ = "local_group"

    id: int = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The network's change number of the last write to what this row lists as
    # (`app.services.network.changes`); API clients sync in that order.
    change_seq: int = Field(default=0, sa_type=BigInteger)


class MemberBase(SQLModel):
    """A member's fields as the lead gives them (`MemberCreate`) and as stored."""

    display_name: str = Field(min_length=1, max_length=80)
    # One of app.models.cafe.StakeholderRole (`MemberCreate` takes only those).
    role: str = Field(max_length=20)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    accessibility_needs: str = Field(default="", max_length=2000)
    consent_given: bool = False
    consent_note: str = Field(default="", max_length=1000)


class Member(MemberBase, table=True):
    """A person in a local group. Contact details are private to the lead."""

    id: int = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="local_group.id", index=True, ondelete="CASCADE")
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Bumping this invalidates every invite link already sent to the member.
    invite_version: int = Field(default=0)
    # Their time is paid by someone else already (an employer): no fee for their hours.
    already_funded: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The network's change number of the last write to what this row lists as
    # (`app.services.network.changes`); API clients sync in that order.
    change_seq: int = Field(default=0, sa_type=BigInteger)


class MeetingBase(SQLModel):
    """A meeting's fields as the lead gives them (`MeetingCreate`) and as stored."""

    title: str = Field(max_length=120)
    starts_at: AwareDatetime = Field(sa_type=UTCDateTime)
    ends_at: AwareDatetime = Field(sa_type=UTCDateTime)
    location: str = Field(default="", max_length=300)
    directions: str = Field(
        default="", max_length=1000, description="How to get there, for the members' page."
    )
    bring: str = Field(default="", max_length=1000, description="What to bring, in plain words.")


class Meeting(MeetingBase, table=True):
    """A meeting of one local group; it may run as a café."""

    id: int = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="local_group.id", index=True, ondelete="CASCADE")
    number: int
    cafe_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("cafe.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The network's change number of the last write to what this row lists as
    # (`app.services.network.changes`); API clients sync in that order.
    change_seq: int = Field(default=0, sa_type=BigInteger)


class Attendance(SQLModel, table=True):
    """Whether a member came to a meeting, and the hours to pay them for."""

    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: int = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    attended: bool = Field(default=False)
    hours: float = Field(default=0.0)
    # Whether what the member is owed for this meeting (time and expenses) was paid.
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The network's change number of the last write to what this row lists as
    # (`app.services.network.changes`); API clients sync in that order.
    change_seq: int = Field(default=0, sa_type=BigInteger)


class MemberParticipant(SQLModel, table=True):
    """Which café participant is which member; only the lead can follow the link."""

    __tablename__ = "member_participant"
    __table_args__ = (UniqueConstraint("participant_id"),)

    id: int = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE")
    linked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API schemas -------------------------------------------------------------------------
# The `*Public` models list their fields again on purpose: they show the stored values
# without the input limits and defaults, and `/openapi.json` is a published contract.

from typing import Generic, TypeVar  # noqa: E402

from pydantic import BaseModel, model_validator  # noqa: E402

from app.models.cafe import StakeholderRole  # noqa: E402

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list; pass `next_cursor` back as `after` for the next page."""

    items: list[ItemT]
    next_cursor: int | None = Field(
        default=None, description="Give this as `after` to read on; null on the last page."
    )


class ChangePage(BaseModel, Generic[ItemT]):
    """One page of a network's list in the order its rows changed, as a café's contributions
    are read: pass `next_cursor` back as `after` for what was added, changed or deleted since."""

    items: list[ItemT]
    deleted: list[int] = Field(
        default_factory=list,
        description="Ids of rows deleted from this list since `after` (or erased with their "
        "member or group): drop them. Whatever the filters; nothing of them is kept but the id.",
    )
    next_cursor: str | int | None = Field(
        default=None,
        description="Pass as `after` to get what was added, changed or deleted since this "
        "page. It is set even on the last page, so a client can keep it and poll later. "
        "Deprecated: after `after` given as a row id, the row id to read on from (null on "
        "the last page).",
    )
    has_more: bool = Field(default=False, description="More items are waiting right now")


class NetworkCreate(NetworkBase):
    pass


class NetworkUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=4000)
    privacy_notice: str | None = Field(default=None, max_length=MAX_PRIVACY_NOTICE)
    language: str | None = Field(
        default=None,
        max_length=5,
        description=_LANGUAGE_HELP,
        schema_extra={"json_schema_extra": {"enum": [*NETWORK_LANGUAGES, None]}},
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        return checked_language(value)


class NetworkPublic(SQLModel):
    id: int
    title: str
    description: str
    privacy_notice: str
    language: str = Field(description=_LANGUAGE_HELP, schema_extra=_LANGUAGE_SCHEMA)
    created_at: datetime
    group_count: int = 0


class GroupCreate(LocalGroupBase):
    first_meeting_at: AwareDatetime | None = Field(
        default=None,
        description="If given, the default schedule (four meetings over six months) is "
        "planned from this instant.",
    )
    location: str = Field(default="", max_length=300, description="Venue for the schedule.")


class GroupUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    area: str | None = Field(default=None, max_length=120)


class GroupPublic(SQLModel):
    id: int
    network_id: int
    name: str
    area: str
    created_at: datetime
    member_count: int = 0
    meeting_count: int = 0


class MemberCreate(MemberBase):
    role: StakeholderRole
    consent_given: StrictBool = False


class MemberUpdate(SQLModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=80)
    role: StakeholderRole | None = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    accessibility_needs: str | None = Field(default=None, max_length=2000)
    consent_given: StrictBool | None = None
    consent_note: str | None = Field(default=None, max_length=1000)
    already_funded: StrictBool | None = Field(
        default=None, description="Their time is paid by someone else: no fee for their hours."
    )


class MemberPublic(SQLModel):
    """A member as the lead sees them (contact details included: only the lead reads this)."""

    id: int
    group_id: int
    display_name: str
    role: str
    email: str
    phone: str
    accessibility_needs: str
    consent_given: bool
    consent_at: datetime | None
    consent_note: str
    already_funded: bool = False
    created_at: datetime


class MeetingCreate(MeetingBase):
    title: str = Field(default="", max_length=120, description="Defaults to 'Meeting N'.")

    @model_validator(mode="after")
    def _order(self) -> MeetingCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("the meeting must end after it starts")
        return self


class MeetingUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=120)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    location: str | None = Field(default=None, max_length=300)
    directions: str | None = Field(default=None, max_length=1000)
    bring: str | None = Field(default=None, max_length=1000)


class MeetingPublic(SQLModel):
    id: int
    group_id: int
    number: int
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    directions: str
    bring: str
    cafe_id: int | None
    created_at: datetime


class ScheduleRequest(SQLModel):
    start: AwareDatetime = Field(description="When the first meeting starts.")
    count: int = Field(default=4, ge=1, le=12, description="How many meetings.")
    interval_weeks: int = Field(default=8, ge=1, le=26, description="Weeks between meetings.")
    duration_minutes: int = Field(default=120, ge=15, le=720)
    location: str = Field(default="", max_length=300)


class AttendanceMark(SQLModel):
    member_id: RowRef
    attended: StrictBool
    hours: float | None = Field(
        default=None,
        ge=0,
        le=24,
        description="Hours to pay for; defaults to the meeting's length if attended, else 0.",
    )


class AttendanceRequest(SQLModel):
    marks: list[AttendanceMark] = Field(min_length=1, max_length=200)


class AttendancePublic(SQLModel):
    meeting_id: int
    member_id: int
    display_name: str
    role: str
    attended: bool
    hours: float
    marked: bool = Field(description="False while nobody has marked this member yet.")
    joined_cafe: bool = Field(
        description="True if the member joined the meeting's café through their invite."
    )


class RunAsCafeRequest(SQLModel):
    questions: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="One question per round; a default set is used if empty.",
    )
    minutes: int = Field(default=20, ge=1, le=180)
    table_count: int | None = Field(
        default=None, ge=1, le=50, description="Defaults to one table per five members."
    )
    table_capacity: int = Field(default=6, ge=2, le=30)
    cafe_id: RowRef | None = Field(
        default=None,
        description="Attach this existing café of yours instead of creating one (it must not "
        "be attached to another meeting; the other fields are then not used).",
    )


class InvitePublic(SQLModel):
    member_id: int
    display_name: str
    url: str = Field(description="A personal join link: share it with this member only.")
