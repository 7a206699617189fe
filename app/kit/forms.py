"""Form helpers for pages: validation errors as sentences, a form read whole, a redirect after a
post."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.services.errors import DomainError, Invalid

# How the lead's network forms label their fields.
FIELD_LABELS = {
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


def sentence(error: Mapping[str, Any], labels: Mapping[str, str] = FIELD_LABELS) -> str:
    """One validation error as a sentence a person can act on, naming the field as the form
    labels it."""
    loc = [str(p) for p in error.get("loc", ()) if not str(p).isdigit()]
    label = labels.get(loc[-1], loc[-1].replace("_", " ")) if loc else "The form"
    msg = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"{label}: {msg}."


def readable(exc: ValidationError, labels: Mapping[str, str] = FIELD_LABELS) -> str:
    """Validation errors as sentences a person can act on."""
    return " ".join(sentence(error, labels) for error in exc.errors())


def build(model: type[Any], **values: Any) -> Any:
    """The model, or `Invalid` with the errors as sentences."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise Invalid(readable(exc)) from exc


async def form_data(request: Request) -> FormData:
    """The posted form, for forms whose fields depend on the data (attendance, plans)."""
    return await request.form(max_fields=5000)


FormDep = Annotated[FormData, Depends(form_data)]


def see_other(url: str) -> RedirectResponse:
    """After a successful post: the page to show, fetched again (Post/Redirect/Get)."""
    return RedirectResponse(url, status_code=303)


def refusal(
    session: Session, exc: DomainError, *stale: object, status_code: int | None = None
) -> dict[str, Any]:
    """After a service refused a page's write: undo what it had begun, reload the `stale` rows
    the page shows again, and give the page what to say, as its keyword arguments:
    `return page(request, …, **refusal(session, exc, cafe))` (`error`, `status_code`: the
    refusal's own unless the form always answers with one)."""
    session.rollback()
    for row in stale:
        session.refresh(row)
    return {"error": exc.detail, "status_code": status_code or exc.status_code}


def ticked(confirm: bool, *, what: str) -> None:
    """A delete asks for its confirmation box: refuse the post without it. `what` ends the
    sentence: "Tick the box to confirm that the group should be deleted."."""
    if not confirm:
        raise Invalid(f"Tick the box to confirm that {what}.")
