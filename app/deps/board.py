"""A phone's new card as its form sends it, read in one pass."""

from __future__ import annotations

from typing import Any

from fastapi import (
    Request,
)
from pydantic import BaseModel
from pydantic import Field as PydanticField

from app.kit.forms import form_pairs, validated
from app.models.evidence import (
    MAX_TEXT,
)
from app.services.board import posting


class PostForm(BaseModel):
    """A phone's new card, as its form sends it (one model: cheaper to read than six fields)."""

    client_id: str = PydanticField("", max_length=100)
    text: str = PydanticField("", max_length=4 * MAX_TEXT)
    kind: str = PydanticField("idea", max_length=40)
    evidence_type: str = PydanticField("", max_length=40)
    for_table: bool = False
    themes: list[int] = PydanticField([], max_length=posting.MAX_THEMES_PER_POST)
    # The page the post was written on (`page_id`): its own live connection is not sent the
    # card the answer already put on the page.
    page: str = PydanticField("", max_length=32)
    # The round the page showed when the card was written: a card that waited on a phone
    # without a connection goes to that round's board.
    round: int | None = PydanticField(None, ge=1, le=1000)


_MAX_POST_FIELDS = 100  # a phone's form has six fields and a few themes


async def read_post_form(request: Request) -> PostForm:
    """The phone's form, read in one pass (`form_pairs`: FastAPI's form parameters cost the
    busiest request about a tenth of its CPU). Errors answer as FastAPI's would."""
    fields: dict[str, Any] = {}
    themes: list[str] = []
    for key, value in await form_pairs(request, max_fields=_MAX_POST_FIELDS):
        if key == "themes":
            themes.append(value)
        elif key == "round" and not value:
            continue  # a page outside any round
        elif key in PostForm.model_fields:
            fields[key] = value
    if themes:
        fields["themes"] = themes
    return validated(PostForm, fields)
