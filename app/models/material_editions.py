"""A material for members: which published version a local group (or the whole network) is
given, and the files of its easy-read and audio editions (a picture and a recording per
section)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import RowRef, UTCDateTime, utcnow

MAX_ALT = 300


class SectionFileKind(StrEnum):
    PICTURE = "picture"  # beside the section's easy-read text
    RECORDING = "recording"  # the section read aloud, for the audio edition


class MaterialPublication(SQLModel, table=True):
    """A published version given to the members of one local group, or of the whole network
    (`group_id` None). A material has at most one publication per audience: publishing
    another version for it replaces the older one."""

    __tablename__ = "material_publication"

    id: int = Field(default=None, primary_key=True)
    material_id: int = Field(foreign_key="material.id", index=True, ondelete="CASCADE")
    version_id: int = Field(foreign_key="material_version.id", index=True, ondelete="CASCADE")
    group_id: int | None = Field(
        default=None, foreign_key="local_group.id", index=True, ondelete="CASCADE"
    )
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The network's change number of when it was made (a publication never changes).
    change_seq: int = Field(default=0, sa_type=BigInteger)


class SectionFile(SQLModel, table=True):
    """A section's picture (easy read) or recording (audio edition). A version copied to a
    new draft shares its files: the file goes from disk when no row names it any more."""

    __tablename__ = "material_section_file"
    __table_args__ = (UniqueConstraint("section_id", "kind"),)

    id: int = Field(default=None, primary_key=True)
    section_id: int = Field(foreign_key="material_section.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=10)
    content_type: str = Field(max_length=60)
    # Relative to the media dir (`materials/{network_id}/…`); a random name.
    path: str = Field(max_length=200, index=True)
    size: int
    # Required for a picture: what it shows, for people who cannot see it.
    alt_text: str = Field(default="", max_length=MAX_ALT)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- API schemas -------------------------------------------------------------------------


class PublicationCreate(SQLModel):
    group_id: RowRef | None = Field(
        default=None, description="The local group it is for; leave out for the whole network."
    )


class PublicationPublic(SQLModel):
    id: int
    material_id: int
    version_number: int
    group_id: int | None = Field(description="Null: every member of the network.")
    audience: str = Field(description="Who it is for, in words.")
    published_at: datetime


class SectionFilePublic(SQLModel):
    id: int
    section_id: int
    kind: str = Field(description="`picture` (easy read) or `recording` (audio edition).")
    content_type: str
    size: int
    alt_text: str
    created_at: datetime
