"""Facilitator accounts, API tokens and rate-limit hits."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"


class Facilitator(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), unique=True, nullable=False))
    display_name: str = Field(default="", max_length=80)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiTokenBase(SQLModel):
    """An API token's fields as its owner gives them (`ApiTokenCreate`) and as stored."""

    name: str = Field(min_length=1, max_length=80)


class ApiToken(ApiTokenBase, table=True):
    __tablename__ = "api_token"

    id: int = Field(default=None, primary_key=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True, ondelete="CASCADE")
    # Only a SHA-256 of the token is kept; the token itself is shown once.
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    prefix: str = Field(max_length=12)
    scope: str = Field(max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RateLimitHit(SQLModel, table=True):
    """One counted attempt; shared by every worker because it lives in the database."""

    __tablename__ = "rate_limit_hit"

    id: int = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=40, index=True)
    key: str = Field(max_length=300, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ApiTokenCreate(ApiTokenBase):
    scope: TokenScope = TokenScope.READ


class ApiTokenPublic(SQLModel):
    # Not an `ApiTokenBase`: the API shows the stored values without the input limits.
    id: int
    name: str
    prefix: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenPublic):
    token: str = Field(description="Shown once; store it safely.")


class AccessToken(SQLModel):
    access_token: str
    token_type: str = "bearer"
    scope: str = "write"
