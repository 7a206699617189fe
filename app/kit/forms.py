"""Reading forms: a form's fields in one pass (`form_pairs`, `validated`), validation errors as
sentences a person can act on, a refused write's page (`refusal`), redirects after a post."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.i18n import N_, _
from app.kit import text
from app.kit.validation import said
from app.security import CSRF_HEADER
from app.services.errors import DomainError, Invalid

# How the lead's network forms label their fields.
FIELD_LABELS = {
    "title": N_("Title"),
    "description": N_("Description"),
    "name": N_("Name"),
    "area": N_("Area"),
    "display_name": N_("Name"),
    "role": N_("Role"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "accessibility_needs": N_("Accessibility needs"),
    "consent_note": N_("Consent note"),
    "location": N_("Location"),
    "starts_at": N_("Start"),
    "ends_at": N_("End"),
    "count": N_("Number of meetings"),
    "interval_weeks": N_("Weeks between meetings"),
    "duration_minutes": N_("Length"),
    "minutes": N_("Minutes per round"),
    "table_count": N_("Number of tables"),
    "table_capacity": N_("People per table"),
    "questions": N_("Questions"),
    "hours": N_("Hours"),
}

M = TypeVar("M", bound=BaseModel)


def sentence(error: Mapping[str, Any], labels: Mapping[str, str] = FIELD_LABELS) -> str:
    """One validation error as a sentence a person can act on, naming the field as the form
    labels it."""
    loc = [str(p) for p in error.get("loc", ()) if not str(p).isdigit()]
    known = labels.get(loc[-1]) if loc else None
    label = _(known) if known else loc[-1].replace("_", " ") if loc else _("The form")
    msg = said(error) if error.get("msg") else _("is not valid")
    msg = msg.removeprefix("Value error, ")  # not shown to people
    return _("%(label)s: %(problem)s.", label=label, problem=msg)


def readable(exc: ValidationError, labels: Mapping[str, str] = FIELD_LABELS) -> str:
    """Validation errors as sentences a person can act on."""
    return " ".join(sentence(error, labels) for error in exc.errors())


def build(model: type[Any], **values: Any) -> Any:
    """The model, or `Invalid` with the errors as sentences."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise Invalid(readable(exc)) from exc


def _plain_text(pairs: list[tuple[str, Any]]) -> None:
    """Refuse control characters in a form read here, as `app.kit.text` does for the bodies
    FastAPI reads."""
    errors = text.in_pairs(pairs, "body")
    if errors:
        raise RequestValidationError(errors)


async def form_data(request: Request) -> FormData:
    """The posted form, for forms whose fields depend on the data (attendance, plans)."""
    form = await request.form(max_fields=5000)
    _plain_text(form.multi_items())
    return form


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


def ticked(confirm: bool, *, refusal: str) -> None:
    """A delete asks for its confirmation box: refuse the post without it. `refusal` is the
    whole sentence, marked with `N_` where it is written and translated here: a sentence
    glued from pieces ("Tick the box to confirm that" + "the group should be deleted")
    cannot follow another language's word order."""
    if not confirm:
        raise Invalid(_(refusal))


_URLENCODED = "application/x-www-form-urlencoded"


async def form_pairs(request: Request, *, max_fields: int) -> list[tuple[str, str]]:
    """A form's fields in order. An urlencoded body with the CSRF token in a header is
    parsed here in one pass; anything else a client sends goes through Starlette's parser,
    as does a form whose CSRF token is in the form itself (`verify_csrf` has parsed it
    already). Too many fields answer as FastAPI's validation would."""
    urlencoded = request.headers.get("content-type", "").startswith(_URLENCODED)
    if not (urlencoded and request.headers.get(CSRF_HEADER) is not None):
        pairs = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
        _plain_text(pairs)
        return pairs
    body = (await request.body()).decode("utf-8", "replace")
    try:
        parsed = parse_qsl(body, keep_blank_values=True, max_num_fields=max_fields)
    except ValueError:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": _("Too many fields"), "type": "value_error"}]
        ) from None
    _plain_text(parsed)
    return parsed


def validated(model: type[M], fields: Mapping[str, Any]) -> M:
    """The form's fields as `model`; errors answer as FastAPI's validation of a body would."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
