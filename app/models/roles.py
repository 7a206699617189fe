"""Roles beside the owner: co-facilitators of a café and coordinators of a network's local
group, and the single-use links that invite them. What each role may do is written down in
`app.services.roles`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class Role(StrEnum):
    """Who a facilitator account is to a café or a local group."""

    OWNER = "owner"
    CO_FACILITATOR = "co_facilitator"
    COORDINATOR = "coordinator"


def _cafe_ref() -> Column[int]:
    return Column(Integer, ForeignKey("cafe.id", ondelete="CASCADE"), nullable=True, index=True)


def _group_ref() -> Column[int]:
    return Column(
        Integer, ForeignKey("local_group.id", ondelete="CASCADE"), nullable=True, index=True
    )


class RoleGrant(SQLModel, table=True):
    """One facilitator account helping with one café (`co_facilitator`) or one local group
    (`coordinator`). Exactly one of `cafe_id` and `group_id` is set."""

    __tablename__ = "role_grant"
    __table_args__ = (
        # Named here: the naming convention names a constraint after its first column only.
        UniqueConstraint("facilitator_id", "cafe_id", name="uq_role_grant_facilitator_cafe"),
        UniqueConstraint("facilitator_id", "group_id", name="uq_role_grant_facilitator_group"),
    )

    id: int = Field(default=None, primary_key=True)
    role: str = Field(max_length=20)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True, ondelete="CASCADE")
    cafe_id: int | None = Field(default=None, sa_column=_cafe_ref())
    group_id: int | None = Field(default=None, sa_column=_group_ref())
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoleInvite(SQLModel, table=True):
    """A link the owner sent to invite someone into a role. Only the token's SHA-256 is
    kept; the link is shown once. Single use, revocable, and it expires."""

    __tablename__ = "role_invite"

    id: int = Field(default=None, primary_key=True)
    role: str = Field(max_length=20)
    cafe_id: int | None = Field(default=None, sa_column=_cafe_ref())
    group_id: int | None = Field(default=None, sa_column=_group_ref())
    token_hash: str = Field(max_length=64, unique=True)
    # The invited account's email, normalised; blanked once the invite is used or revoked.
    email: str = Field(default="", max_length=254)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class InviteRequest(SQLModel):
    """Whom to invite: the email of their facilitator account (only that account can accept)."""

    email: str = Field(min_length=3, max_length=254)


class InviteCreated(SQLModel):
    """A new invite: the link to send (shown only this once) and when it stops working."""

    id: int
    role: Role
    email: str
    link: str = Field(description="The invite link. It is not stored and cannot be shown again.")
    expires_at: datetime


class InvitePending(SQLModel):
    """An invite not yet accepted, revoked or expired."""

    id: int
    role: Role
    email: str
    created_at: datetime
    expires_at: datetime


class HelperPublic(SQLModel):
    """Someone who helps run a café or a local group."""

    id: int = Field(description="The role's id (use it to remove them).")
    role: Role
    facilitator_id: int
    name: str
    email: str
    since: datetime


class HelpersPublic(SQLModel):
    """Who helps, and the invites still open."""

    helpers: list[HelperPublic]
    invites: list[InvitePending]


class AcceptRequest(SQLModel):
    """The token from an invite link (the part after `/r/`)."""

    token: str = Field(min_length=1, max_length=200)


class MyRolePublic(SQLModel):
    """A café or a local group the caller helps with."""

    id: int
    role: Role
    cafe_id: int | None
    group_id: int | None
    title: str
