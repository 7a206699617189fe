"""The owner's audit log page: a filter form, a table newest first, and the CSV download."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from app.deps.audit import page_filter
from app.deps.common import CsrfDep, DatabaseDep, FacilitatorDep, NowDep, SessionDep
from app.kit.downloads import audit_csv_response
from app.kit.rendering import render
from app.models.audit import ACTION_WORDS, AuditAction
from app.models.base import ID_MAX
from app.services import audit
from app.services.errors import Invalid
from app.services.privacy import retention

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])

PAGE_SIZE = 50
Typed = Annotated[str, Query(max_length=40)]


def _when(moment: datetime) -> str:
    return f"{retention.day(moment)}, {moment.astimezone(retention.UK):%H:%M}"


@router.get("/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    action: Typed = "",
    since: Typed = "",
    until: Typed = "",
    before: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
) -> Response:
    """Who viewed, exported, hid or erased personal data in your cafés and networks."""
    typed = {"action": action, "since": since, "until": until}
    context = {
        "facilitator": facilitator,
        "typed": typed,
        "actions": [(a.value, ACTION_WORDS[a]) for a in AuditAction],
        "words": ACTION_WORDS,
        "when": _when,
        "entries": [],
        "older": None,
        "csv_url": "/audit.csv?" + urlencode(typed),
        "error": None,
    }
    try:
        filters = page_filter(action, since, until)
    except Invalid as exc:
        context["error"] = exc.detail
        return render(request, "audit/log.html", context, status_code=422)
    rows, older = audit.newest(
        session=session, owner_id=facilitator.id, filters=filters, before=before, limit=PAGE_SIZE
    )
    context["entries"] = rows
    if older is not None:
        context["older"] = "/audit?" + urlencode({**typed, "before": older})
    return render(request, "audit/log.html", context)


@router.get("/audit.csv")
def audit_csv(
    db: DatabaseDep,
    now: NowDep,
    facilitator: FacilitatorDep,
    action: Typed = "",
    since: Typed = "",
    until: Typed = "",
) -> Response:
    """The audit log as a CSV file, with the page's filters."""
    return audit_csv_response(db, facilitator.id, page_filter(action, since, until), now)
