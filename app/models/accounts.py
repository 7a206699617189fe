"""Facilitator accounts, their signed-in sessions, API tokens, password resets and
rate-limit hits."""

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


class SessionKind(StrEnum):
    BROWSER = "browser"  # a login on the login page: the key rides in the signed cookie
    API = "api"  # a bearer token from POST /api/v1/auth/token: the key rides in the token


class FacilitatorSession(SQLModel, table=True):
    """One sign-in, checked on every facilitator request: ending it (logout, "sign out", a
    password change or reset) refuses its cookie or bearer token at once. Kept: when it
    began and was last seen, and a coarse device name; never the address."""

    __tablename__ = "facilitator_session"

    id: int = Field(default=None, primary_key=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True, ondelete="CASCADE")
    # Only a SHA-256 of the random key is kept; the key itself is in the cookie or token.
    key_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    kind: str = Field(max_length=10)
    description: str = Field(default="", max_length=80)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class PasswordReset(SQLModel, table=True):
    """A one-time link to set a new password, made by `python -m app reset-password`."""

    __tablename__ = "password_reset"

    id: int = Field(default=None, primary_key=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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


class SessionPublic(SQLModel):
    id: int
    kind: str = Field(description="browser: a login page sign-in; api: a bearer token")
    description: str = Field(description="The browser and system, e.g. 'Firefox on Linux'")
    created_at: datetime
    last_seen_at: datetime = Field(description="Updated at most every five minutes")
    expires_at: datetime
    current: bool = Field(description="The session this request was made with")


class AccessToken(SQLModel):
    access_token: str
    token_type: str = "bearer"
    scope: str = "write"
