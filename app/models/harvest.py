"""API schemas for the harvest: contribution records with provenance, pages, themes.

No tables here: contributions and themes live in ``app.models.evidence``.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import RowRef
from app.models.evidence import ThemeBase


class ThemeRef(SQLModel):
    id: int
    name: str


class ContributionRecord(SQLModel):
    """One contribution as evidence, with where and when it was said.

    Contributions that are no longer visible (hidden by the facilitator, withdrawn by their
    author, or waiting for moderation) come back as tombstones: their status and times, but
    no text, so a syncing client knows to drop them.
    """

    id: int
    cafe_id: int
    status: str = Field(description="visible, pending, hidden or withdrawn")
    text: str | None = Field(description="null unless the contribution is visible")
    kind: str
    evidence_type: str
    author_role: str | None = Field(description="The author's stakeholder role when they wrote it")
    for_table: bool = Field(description="A host wrote it on behalf of the whole table")
    round: int | None = Field(description="Round number")
    table: int | None = Field(description="Table number")
    table_name: str | None
    question: str | None = Field(description="The question at that table in that round")
    themes: list[ThemeRef]
    reactions: int
    author: str | None = Field(
        default=None, description="The author's display name, only when the café shows names"
    )
    created_at: datetime
    updated_at: datetime = Field(
        description="Last change: an edit, a moderation decision or a theme assignment"
    )


class ContributionPage(SQLModel):
    items: list[ContributionRecord]
    erased: list[int] = Field(
        default_factory=list,
        description="Ids of contributions erased since `after` (their author was erased, at "
        "their request or by the owner): drop them. Whatever the filters; nothing of them is "
        "kept but the id.",
    )
    next_cursor: str | None = Field(
        description="Pass as `after` to get what was added or changed since this page. "
        "It is set even on the last page, so a client can keep it and poll later."
    )
    has_more: bool = Field(description="More items are waiting right now")


class ThemeCreate(ThemeBase):
    contribution_ids: list[RowRef] = Field(
        default_factory=list, max_length=5000, description="Contributions to put in it at once"
    )


class ThemeUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=80)
    description: str | None = Field(default=None, max_length=500)


class ThemePublic(SQLModel):
    # Not a `ThemeBase`: the API shows the stored values without the input limits.
    id: int
    name: str
    description: str
    contributions: int = Field(description="How many visible contributions it holds")
    created_at: datetime
