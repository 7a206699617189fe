"""Change numbers of a network, as API clients sync its lists (`app.services.network.changes`):
each network's counter, and tombstones of the rows deleted from its lists."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class NetworkChangeCounter(SQLModel, table=True):
    """The last change number a network gave out (the café's `change_counter`, per network)."""

    __tablename__ = "network_change_counter"

    network_id: int = Field(foreign_key="network.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(sa_type=BigInteger)


class ListKind(StrEnum):
    """The network's lists a client syncs, each with its own row ids."""

    GROUP = "group"
    MEMBER = "member"
    MEETING = "meeting"
    ATTENDANCE = "attendance"  # a member's row of one meeting's sheet: the member's id
    UPDATE = "update"
    ACTION = "action"
    EXPENSE = "expense"
    MATERIAL = "material"
    VERSION = "version"  # a material's versions (never deleted one by one)
    SECTION = "section"  # a version's sections: `parent_id` the version
    EVIDENCE = "evidence"  # evidence items: `parent_id` the section
    PUBLICATION = "publication"  # a material's publications for members: `parent_id` it


class NetworkTombstone(SQLModel, table=True):
    """A row deleted from one of a network's lists (or erased with its member): its id, the
    list it was in and where (its group, its meeting), and the change number of the delete,
    so a client syncing the list learns to drop it. Ids only; it goes with the network."""

    __tablename__ = "network_tombstone"
    __table_args__ = (
        Index("ix_network_tombstone_network_id_seq", "network_id", "kind", "change_seq"),
    )

    id: int = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    row_id: int
    group_id: int | None = Field(default=None)
    meeting_id: int | None = Field(default=None)
    # The row a deleted one was listed under, for the lists inside a material (its section,
    # version or material) and an expense's member.
    parent_id: int | None = Field(default=None)
    change_seq: int = Field(sa_type=BigInteger)
    deleted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
