"""JSON (and CSV) API for the audit log: the caller's own entries as owner."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.deps.audit import utc
from app.deps.common import ApiReader, DatabaseDep, NowDep, SessionDep, api_errors
from app.deps.network import After, Limit
from app.kit.downloads import audit_csv_response
from app.models.audit import AuditAction, AuditEntryPublic
from app.models.network import Page
from app.services import audit
from app.services.audit import AuditFilter

router = APIRouter(prefix="/api/v1", tags=["personal data"])

Instant = Annotated[datetime | None, Query(description="An instant; UTC if it has no offset.")]


@router.get(
    "/audit",
    response_model=Page[AuditEntryPublic],
    responses={
        **api_errors(),
        200: {
            "description": "A page of entries as JSON, or every matching entry as CSV",
            "content": {"application/json": {}, "text/csv": {}},
        },
    },
)
def read_audit(
    who: ApiReader,
    db: DatabaseDep,
    session: SessionDep,
    now: NowDep,
    action: AuditAction | None = None,
    since: Instant = None,
    until: Instant = None,
    after: After = None,
    limit: Limit = 50,
    format: Literal["json", "csv"] = "json",
) -> Page[AuditEntryPublic] | Response:
    """Your audit log, oldest first, a page at a time: who viewed contact details, exported
    notes or materials, hid a card, erased data or changed consent or keep-for, and when;
    `since` (inclusive) and `until` (exclusive) bound when. Entries about your cafés and
    networks stay after those are erased. `format=csv` gives every matching entry as CSV."""
    filters = AuditFilter(action=action, since=utc(since), until=utc(until))
    if format == "csv":
        return audit_csv_response(db, who.id, filters, now)
    rows, cursor = audit.entries(
        session=session, owner_id=who.id, filters=filters, after=after, limit=limit
    )
    return Page(
        items=[AuditEntryPublic.model_validate(e, from_attributes=True) for e in rows],
        next_cursor=cursor,
    )
