""" "You said, we did": what a network's lead (or a group's coordinator) tells members was
done with what they said, for one local group or the whole network, linked to the themes
and evidence items it answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from app.models.base import RowRef, UTCDateTime, utcnow

MAX_SAID = 1000
MAX_DID = 2000
MAX_LINKS = 50


class YouSaidBase(SQLModel):
    """An update's words as the lead writes them and as stored."""

    you_said: str = Field(
        min_length=1,
        max_length=MAX_SAID,
        description="What people said, in plain words (it may quote them).",
    )
    we_did: str = Field(
        min_length=1, max_length=MAX_DID, description="What was done about it, in plain words."
    )


class YouSaid(YouSaidBase, table=True):
    """One update. Not personal data of members: the lead's words; quotes of people's words
    in it are replaced when those words are erased or their consent withdrawn."""

    __tablename__ = "you_said"

    id: int = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True, ondelete="CASCADE")
    # None: for the whole network (every group's members see it).
    group_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("local_group.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The network's change number of the last write to what this row lists as
    # (`app.services.network.changes`); API clients sync in that order.
    change_seq: int = Field(default=0, sa_type=BigInteger)


class YouSaidLink(SQLModel, table=True):
    """What an update answers: a café theme or a material's evidence item (one of the two)."""

    __tablename__ = "you_said_link"

    id: int = Field(default=None, primary_key=True)
    update_id: int = Field(foreign_key="you_said.id", index=True, ondelete="CASCADE")
    theme_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("theme.id", ondelete="CASCADE"), nullable=True, index=True
        ),
    )
    evidence_item_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("evidence_item.id", ondelete="CASCADE"),
            nullable=True,
            index=True,
        ),
    )


# --- API schemas -------------------------------------------------------------------------


class YouSaidCreate(YouSaidBase):
    group_id: RowRef | None = Field(
        default=None, description="The local group it answers; null for the whole network."
    )
    theme_ids: list[RowRef] = Field(
        default_factory=list,
        max_length=MAX_LINKS,
        description="Themes of the network's cafés it answers.",
    )
    evidence_item_ids: list[RowRef] = Field(
        default_factory=list,
        max_length=MAX_LINKS,
        description="Evidence items of the network's materials it answers.",
    )


class YouSaidChange(SQLModel):
    """A change to an update: only the fields given change (`group_id: null` makes it the
    whole network's)."""

    you_said: str | None = Field(default=None, min_length=1, max_length=MAX_SAID)
    we_did: str | None = Field(default=None, min_length=1, max_length=MAX_DID)
    group_id: RowRef | None = None
    theme_ids: list[RowRef] | None = Field(default=None, max_length=MAX_LINKS)
    evidence_item_ids: list[RowRef] | None = Field(default=None, max_length=MAX_LINKS)


class YouSaidPublic(SQLModel):
    id: int
    network_id: int
    group_id: int | None
    you_said: str
    we_did: str
    theme_ids: list[int]
    evidence_item_ids: list[int]
    created_at: datetime
    updated_at: datetime
