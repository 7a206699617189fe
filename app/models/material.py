"""Discussion materials: a network's evidence document, its versions, sections and the
evidence items merged into them from the network's cafés."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.i18n import N_
from app.models.base import RowRef, UTCDateTime, utcnow

MAX_TITLE = 200
MAX_HEADING = 200
MAX_BODY = 60_000
MAX_EASY_READ = 20_000
MAX_PARAPHRASE = 1000
# In place of the words of someone who withdrew consent, in every edition and export.
WITHDRAWN_TEXT = N_("Withdrawn by the person who said it")


def new_key() -> str:
    return uuid.uuid4().hex


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


# A version's status as people read it (translated where shown).
STATUS_LABELS: dict[str, str] = {
    VersionStatus.DRAFT: N_("draft"),
    VersionStatus.PUBLISHED: N_("published"),
}


class SourceStatus(StrEnum):
    """What became of the contribution an evidence item was made from."""

    CURRENT = "current"  # still visible where it was said
    HIDDEN = "hidden"  # hidden by the facilitator since
    WITHDRAWN = "withdrawn"  # taken back by its author since
    REMOVED = "removed"  # the café it came from was deleted
    ERASED = "erased"  # the person's words were erased (their request, or past keep-for)


class MaterialBase(SQLModel):
    """A material's fields as a lead gives them (`MaterialUpdate`) and as stored."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)


class Material(MaterialBase, table=True):
    id: int = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The network's change number of the last write to what its listing says (its title,
    # its newest, published and draft versions: `app.services.network.changes`).
    change_seq: int = Field(default=0, sa_type=BigInteger)


class MaterialVersionBase(SQLModel):
    """A version's fields as a lead gives them (`PublishRequest`) and as stored."""

    note: str = Field(default="", max_length=1000, description="What changed in this version.")


class MaterialVersion(MaterialVersionBase, table=True):
    """One version of a material. A published version never changes again."""

    __tablename__ = "material_version"
    __table_args__ = (UniqueConstraint("material_id", "number"),)

    id: int = Field(default=None, primary_key=True)
    material_id: int = Field(foreign_key="material.id", index=True, ondelete="CASCADE")
    number: int
    status: str = Field(default=VersionStatus.DRAFT, max_length=10)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    based_on_version_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("material_version.id", ondelete="SET NULL"), nullable=True
        ),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The network's change number of its last change (publishing it, its note).
    change_seq: int = Field(default=0, sa_type=BigInteger)


class MaterialSectionBase(SQLModel):
    """A section's fields as a lead gives them (`SectionCreate`) and as stored."""

    heading: str = Field(min_length=1, max_length=MAX_HEADING)
    body_markdown: str = Field(default="", max_length=MAX_BODY, description="Markdown.")
    easy_read_text: str = Field(
        default="", max_length=MAX_EASY_READ, description="Plain words, one idea per line."
    )
    # The same in Welsh, optional: members reading in Welsh see it where it is written.
    heading_cy: str | None = Field(
        default=None, max_length=MAX_HEADING, description="The heading in Welsh, optional."
    )
    body_markdown_cy: str = Field(
        default="", max_length=MAX_BODY, description="The text in Welsh (Markdown), optional."
    )
    easy_read_text_cy: str = Field(
        default="", max_length=MAX_EASY_READ, description="The easy-read text in Welsh, optional."
    )


class MaterialSection(MaterialSectionBase, table=True):
    __tablename__ = "material_section"
    __table_args__ = (UniqueConstraint("version_id", "section_key"),)

    id: int = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="material_version.id", index=True, ondelete="CASCADE")
    position: int
    # The same section in every version shares this key, so versions can be compared.
    section_key: str = Field(default_factory=new_key, max_length=32)
    # The network's change number of its last change: its words, its position, its evidence.
    change_seq: int = Field(default=0, sa_type=BigInteger)


class EvidenceItem(SQLModel, table=True):
    """A contribution merged into a section. Its provenance is copied when it is merged, so a
    published version reads the same however the café is edited later."""

    __tablename__ = "evidence_item"

    id: int = Field(default=None, primary_key=True)
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
    # When the person who said it withdrew consent: the text and paraphrase were then
    # replaced by WITHDRAWN_TEXT in every version, published ones too; provenance stays.
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The network's change number of its last change (its paraphrase, its source's mark).
    change_seq: int = Field(default=0, sa_type=BigInteger)


# --- API schemas -------------------------------------------------------------------------
# The `*Public` models list their fields again on purpose: they show the stored values
# without the input limits and defaults, and `/openapi.json` is a published contract.


class SectionCreate(MaterialSectionBase):
    pass


class SectionUpdate(SQLModel):
    heading: str | None = Field(default=None, min_length=1, max_length=MAX_HEADING)
    body_markdown: str | None = Field(default=None, max_length=MAX_BODY)
    easy_read_text: str | None = Field(default=None, max_length=MAX_EASY_READ)
    heading_cy: str | None = Field(
        default=None,
        max_length=MAX_HEADING,
        description="The heading in Welsh; null or empty takes it away.",
    )
    body_markdown_cy: str | None = Field(default=None, max_length=MAX_BODY)
    easy_read_text_cy: str | None = Field(default=None, max_length=MAX_EASY_READ)
    position: int | None = Field(default=None, ge=1, description="Move the section here.")


class MaterialCreate(MaterialBase):
    title: str = Field(
        default="", max_length=MAX_TITLE, description="May be left out when importing Markdown."
    )
    sections: list[SectionCreate] = Field(default_factory=list, max_length=200)
    markdown: str | None = Field(
        default=None,
        max_length=500_000,
        description="Import version 1 from Markdown instead of giving sections: `#` and `##` "
        "headings start sections, `### Easy read` starts a section's easy-read text.",
    )


class MaterialUpdate(MaterialBase):
    pass


class MaterialPublic(SQLModel):
    id: int
    network_id: int
    title: str
    created_at: datetime
    updated_at: datetime
    latest_version: int | None
    published_version: int | None = Field(description="The newest published version.")
    draft_version: int | None


class VersionPublic(SQLModel):
    id: int
    material_id: int
    number: int
    status: str
    note: str
    published_at: datetime | None
    based_on_version_id: int | None
    created_at: datetime


class PublishRequest(MaterialVersionBase):
    pass


class EvidenceItemPublic(SQLModel):
    id: int
    item_key: str
    section_id: int
    contribution_id: int | None
    paraphrase: str
    original_text: str
    network_id: int
    group_id: int | None
    group_name: str
    meeting_id: int | None
    meeting_number: int | None
    meeting_starts_at: datetime | None
    cafe_id: int
    cafe_title: str
    table_name: str
    round_number: int | None
    question: str
    author_role: str | None = Field(description="The author's stakeholder role at the time.")
    evidence_type: str
    kind: str
    theme_names: list[str]
    contributed_at: datetime
    withdrawn_at: datetime | None = Field(
        description="When the person who said it withdrew consent; the text then reads "
        "'Withdrawn by the person who said it'."
    )
    source_status: str = Field(
        description="Stored mark: follows the contribution in drafts, frozen once published."
    )
    source_now: str = Field(description="What has become of the contribution now.")
    marker: str | None = Field(description="A note for readers when the source has changed.")
    created_at: datetime


class SectionPublic(SQLModel):
    id: int
    section_key: str = Field(description="The same section in every version shares this key.")
    position: int
    heading: str
    body_markdown: str
    easy_read_text: str
    heading_cy: str | None = Field(description="The heading in Welsh; null when not written.")
    body_markdown_cy: str = Field(description="The text in Welsh; empty when not written.")
    easy_read_text_cy: str = Field(
        description="The easy-read text in Welsh; empty when not written."
    )
    evidence: list[EvidenceItemPublic]


class VersionDetail(VersionPublic):
    material_title: str
    network_id: int
    sections: list[SectionPublic]


class EvidenceMerge(SQLModel):
    contribution_ids: list[RowRef] = Field(
        default_factory=list,
        max_length=500,
        description="Refused with 409 if the author of one has not agreed to their words "
        "being used as evidence.",
    )
    theme_ids: list[RowRef] = Field(
        default_factory=list,
        max_length=100,
        description="Merge every visible contribution whose author agreed to their words being "
        "used as evidence (the others are left out).",
    )
    paraphrase: str = Field(
        default="", max_length=MAX_PARAPHRASE, description="Only when merging one contribution."
    )


class MergeResultPublic(SQLModel):
    added: list[EvidenceItemPublic]
    skipped: int = Field(description="Already in this section, so not added again.")


class EvidenceUpdate(SQLModel):
    paraphrase: str = Field(max_length=MAX_PARAPHRASE)


class UsePublic(SQLModel):
    item_id: int
    material_id: int
    material_title: str
    version_number: int
    version_status: str
    section_id: int
    section_heading: str


class CandidatePublic(SQLModel):
    contribution_id: int
    text: str
    kind: str
    evidence_type: str
    author_role: str | None
    created_at: datetime
    group_id: int | None
    group_name: str
    meeting_id: int | None
    meeting_number: int | None
    cafe_id: int
    cafe_title: str
    table_name: str
    round_number: int | None
    question: str
    theme_names: list[str]
    used_in: list[UsePublic]


class TextDiffPublic(SQLModel):
    changed: bool
    unified: list[str] = Field(description="Unified diff lines (`-` removed, `+` added).")


class ParaphraseChange(SQLModel):
    item_key: str
    old: str
    new: str


class SectionDiffPublic(SQLModel):
    section_key: str
    status: str = Field(description="added, removed, changed or unchanged")
    heading_old: str | None
    heading_new: str | None
    moved: bool
    heading: TextDiffPublic
    body: TextDiffPublic
    easy_read: TextDiffPublic
    heading_cy: TextDiffPublic = Field(description="The Welsh heading's changes.")
    body_cy: TextDiffPublic = Field(description="The Welsh text's changes.")
    easy_read_cy: TextDiffPublic = Field(description="The Welsh easy-read text's changes.")
    evidence_added: list[EvidenceItemPublic]
    evidence_removed: list[EvidenceItemPublic]
    paraphrase_changed: list[ParaphraseChange]


class VersionDiffPublic(SQLModel):
    material_id: int
    from_version: int
    to_version: int
    sections_added: int
    sections_removed: int
    sections_changed: int
    evidence_added_by_group: dict[str, int]
    sections: list[SectionDiffPublic]


class GroupCountPublic(SQLModel):
    group_id: int
    group_name: str
    count: int


class SharedThemePublic(SQLModel):
    name: str
    key: str
    theme_ids: list[int]
    group_count: int
    groups: list[GroupCountPublic]
    total: int = Field(description="Visible contributions with this theme.")
    by_role: dict[str, int]
    by_evidence_type: dict[str, int]
    by_kind: dict[str, int]
    used: int = Field(description="How many of them are evidence in this network's materials.")
