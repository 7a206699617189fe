"""IMPACT Networks: a network with its local groups, their members, meetings and attendance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class Network(SQLModel, table=True):
    """A network on one topic, led by one facilitator (the lead)."""

    id: int | None = Field(default=None, primary_key=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=120)
    description: str = Field(default="", max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LocalGroup(SQLModel, table=True):
    """One local group of a network, usually one per area or nation."""

    __tablename__ = "local_group"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    area: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    """A person in a local group. Contact details are private to the lead."""

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="local_group.id", index=True, ondelete="CASCADE")
    display_name: str = Field(max_length=80)
    # One of app.models.cafe.StakeholderRole.
    role: str = Field(max_length=20)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    accessibility_needs: str = Field(default="", max_length=2000)
    consent_given: bool = Field(default=False)
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consent_note: str = Field(default="", max_length=1000)
    # Bumping this invalidates every invite link already sent to the member.
    invite_version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Meeting(SQLModel, table=True):
    """A meeting of one local group; it may run as a café."""

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="local_group.id", index=True, ondelete="CASCADE")
    number: int
    title: str = Field(max_length=120)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    location: str = Field(default="", max_length=300)
    cafe_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("cafe.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Attendance(SQLModel, table=True):
    """Whether a member came to a meeting, and the hours to pay them for."""

    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    attended: bool = Field(default=False)
    hours: float = Field(default=0.0)


class MemberParticipant(SQLModel, table=True):
    """Which café participant is which member; only the lead can follow the link."""

    __tablename__ = "member_participant"
    __table_args__ = (UniqueConstraint("participant_id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE")
    linked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
