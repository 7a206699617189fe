"""A phone's new card as its form sends it, read in one pass."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import (
    Request,
)
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField

from app.models.evidence import (
    MAX_TEXT,
)
from app.security import CSRF_HEADER
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


_URLENCODED = "application/x-www-form-urlencoded"


_MAX_POST_FIELDS = 100  # a phone's form has six fields and a few themes


async def read_post_form(request: Request) -> PostForm:
    """The phone's form. Its urlencoded body is read here in one pass (FastAPI's form
    parameters cost the busiest request about a tenth of its CPU); anything else a
    client sends goes through Starlette's parser, as does a form whose CSRF token is in the
    form itself (no header: `verify_csrf` has parsed it already). Errors answer as FastAPI's
    would."""
    urlencoded = request.headers.get("content-type", "").startswith(_URLENCODED)
    if urlencoded and request.headers.get(CSRF_HEADER) is not None:
        body = (await request.body()).decode("utf-8", "replace")
        try:
            pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=_MAX_POST_FIELDS)
        except ValueError:
            raise RequestValidationError(
                [{"loc": ("body",), "msg": "Too many fields", "type": "value_error"}]
            ) from None
    else:
        pairs = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    fields: dict[str, Any] = {}
    themes: list[str] = []
    for key, value in pairs:
        if key == "themes":
            themes.append(value)
        elif key == "round" and not value:
            continue  # a page outside any round
        elif key in PostForm.model_fields:
            fields[key] = value
    if themes:
        fields["themes"] = themes
    try:
        return PostForm.model_validate(fields)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
