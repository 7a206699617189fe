"""Form helpers for pages: validation errors as sentences, a form read whole, a redirect after a
post."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from app.services.errors import Invalid

_FIELD_LABELS = {
    "title": "Title",
    "description": "Description",
    "name": "Name",
    "area": "Area",
    "display_name": "Name",
    "role": "Role",
    "email": "Email",
    "phone": "Phone",
    "accessibility_needs": "Accessibility needs",
    "consent_note": "Consent note",
    "location": "Location",
    "starts_at": "Start",
    "ends_at": "End",
    "count": "Number of meetings",
    "interval_weeks": "Weeks between meetings",
    "duration_minutes": "Length",
    "minutes": "Minutes per round",
    "table_count": "Number of tables",
    "table_capacity": "People per table",
    "questions": "Questions",
    "hours": "Hours",
}


def readable(exc: ValidationError) -> str:
    """Validation errors as sentences a person can act on."""
    sentences = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if not str(p).isdigit()]
        label = _FIELD_LABELS.get(loc[-1], loc[-1].replace("_", " ")) if loc else "The form"
        msg = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        sentences.append(f"{label}: {msg}.")
    return " ".join(sentences)


def build(model: type[Any], **values: Any) -> Any:
    try:
        return model(**values)
    except ValidationError as exc:
        raise Invalid(readable(exc)) from exc


async def form_data(request: Request) -> FormData:
    """The posted form, for forms whose fields depend on the data (attendance, plans)."""
    return await request.form(max_fields=5000)


FormDep = Annotated[FormData, Depends(form_data)]


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
