"""Discussion materials: a network's evidence document, its versions, sections and the
evidence items merged into them from the network's cafés."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow

MAX_TITLE = 200
MAX_HEADING = 200
MAX_BODY = 60_000
MAX_EASY_READ = 20_000
MAX_PARAPHRASE = 1000


def new_key() -> str:
    return uuid.uuid4().hex


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class SourceStatus(StrEnum):
    """What became of the contribution an evidence item was made from."""

    CURRENT = "current"  # still visible where it was said
    HIDDEN = "hidden"  # hidden by the facilitator since
    WITHDRAWN = "withdrawn"  # taken back by its author since
    REMOVED = "removed"  # the café it came from was deleted


class Material(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=MAX_TITLE)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MaterialVersion(SQLModel, table=True):
    """One version of a material. A published version never changes again."""

    __tablename__ = "material_version"
    __table_args__ = (UniqueConstraint("material_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    material_id: int = Field(foreign_key="material.id", index=True, ondelete="CASCADE")
    number: int
    status: str = Field(default=VersionStatus.DRAFT, max_length=10)
    note: str = Field(default="", max_length=1000, description="What changed in this version.")
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    based_on_version_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("material_version.id", ondelete="SET NULL"), nullable=True
        ),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MaterialSection(SQLModel, table=True):
    __tablename__ = "material_section"
    __table_args__ = (UniqueConstraint("version_id", "section_key"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="material_version.id", index=True, ondelete="CASCADE")
    position: int
    heading: str = Field(max_length=MAX_HEADING)
    body_markdown: str = Field(default="", max_length=MAX_BODY)
    easy_read_text: str = Field(default="", max_length=MAX_EASY_READ)
    # The same section in every version shares this key, so versions can be compared.
    section_key: str = Field(default_factory=new_key, max_length=32)


class EvidenceItem(SQLModel, table=True):
    """A contribution merged into a section. Its provenance is copied when it is merged, so a
    published version reads the same however the café is edited later."""

    __tablename__ = "evidence_item"

    id: int | None = Field(default=None, primary_key=True)
    section_id: int = Field(foreign_key="material_section.id", index=True, ondelete="CASCADE")
    # Kept across versions (like section_key) so a diff can tell a copied item from a new one.
    item_key: str = Field(default_factory=new_key, max_length=32)
    contribution_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("contribution.id", ondelete="SET NULL"),
            nullable=True,
            index=True,
        ),
    )
    paraphrase: str = Field(default="", max_length=MAX_PARAPHRASE)
    # Frozen provenance: plain copies, not foreign keys, so they outlive renames and deletions.
    network_id: int
    group_id: int | None = None
    group_name: str = Field(default="", max_length=120)
    meeting_id: int | None = None
    meeting_number: int | None = None
    meeting_starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cafe_id: int
    cafe_title: str = Field(default="", max_length=120)
    table_name: str = Field(default="", max_length=60)
    round_number: int | None = None
    question: str = Field(default="", max_length=500)
    author_role: str | None = Field(default=None, max_length=20)
    evidence_type: str = Field(max_length=20)
    kind: str = Field(max_length=12)
    theme_names: str = Field(default="", max_length=1000)
    original_text: str = Field(max_length=500)
    contributed_at: datetime = Field(sa_type=UTCDateTime)
    # Kept in step with the contribution while the version is a draft; frozen on publishing.
    source_status: str = Field(default=SourceStatus.CURRENT, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
