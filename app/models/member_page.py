"""A member's personal link to their own page: a long random token, kept only as its hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class MemberLink(SQLModel, table=True):
    """The member's current personal link (one a member; a new one replaces it).

    Only the token's SHA-256 is stored: a copy of the database opens nobody's page. The
    link works while `version` equals the member's `invite_version`, so the lead's "stop
    this member's invite links" stops it too. Erased with the member (the row cascades)."""

    __tablename__ = "member_link"
    __table_args__ = (UniqueConstraint("member_id"),)

    id: int = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MemberLinkPublic(SQLModel):
    """A member's new personal link: shown once, then only its hash is kept."""

    member_id: int
    url: str = Field(
        description="The member's own page: give it to this member only. Opening it signs "
        "their device in; a new link or `revoke-invites` stops it."
    )
    created_at: datetime


class MemberLinkHeld(SQLModel):
    """What is kept about a member's personal link (subject access): never the token."""

    created_at: datetime
    last_used_at: datetime | None
    working: bool = Field(description="False once stopped by the lead.")
