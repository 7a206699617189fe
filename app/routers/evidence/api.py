"""JSON API for evidence: contributions with a sync cursor, session notes, themes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.deps.cafe import ERRORS, ReadRunCafe, WriteCafe
from app.deps.common import ApiReader, DatabaseDep, ExportLang, NowDep, RowId, SessionDep
from app.kit.downloads import notes_response
from app.models.cafe import Cafe, StakeholderRole
from app.models.evidence import ContributionKind, ContributionStatus, EvidenceType
from app.models.harvest import (
    ContributionPage,
    ContributionRecord,
    ThemeCreate,
    ThemePublic,
    ThemeUpdate,
)
from app.services import audit
from app.services.evidence import records as record_service
from app.services.evidence import themes as theme_service
from app.services.evidence.filters import ContributionFilter
from app.services.export.formats import FORMATS, NotesFormat

router = APIRouter(prefix="/api/v1/cafes", tags=["evidence"])

ROLE_PATTERN = "^(" + "|".join([*(r.value for r in StakeholderRole), "none"]) + ")$"


@router.get("/{cafe_id}/contributions", responses=ERRORS)
def list_contributions(
    cafe: ReadRunCafe,
    session: SessionDep,
    table: Annotated[int | None, Query(ge=1, description="Table number")] = None,
    round: Annotated[int | None, Query(ge=1, description="Round number")] = None,
    evidence_type: EvidenceType | None = None,
    role: Annotated[
        str | None,
        Query(pattern=ROLE_PATTERN, description="Author's role at the time; `none` if not given"),
    ] = None,
    theme: Annotated[
        int | None, Query(ge=0, description="Theme id; 0 for contributions in no theme")
    ] = None,
    kind: ContributionKind | None = None,
    status: Annotated[
        ContributionStatus | None,
        Query(description="Only this status; by default every status, as tombstones"),
    ] = None,
    after: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` from the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ContributionPage:
    """Contributions in the order they last changed, for incremental sync with a cursor;
    `erased` lists the ids of contributions erased since the cursor (drop them)."""
    filters = ContributionFilter.from_params(
        {
            "round": round,
            "table": table,
            "kind": kind,
            "evidence_type": evidence_type,
            "role": role,
            "theme": theme,
        }
    )
    return record_service.contribution_page(
        session=session,
        cafe=cafe,
        filters=filters,
        status=status.value if status else None,
        after=after,
        limit=limit,
    )


@router.get(
    "/{cafe_id}/notes",
    responses={
        **ERRORS,
        200: {
            "description": "The notes as a download",  # not shown to people
            "content": {FORMATS[f].media_type: {} for f in NotesFormat},
        },
    },
    response_class=StreamingResponse,
)
def notes(
    cafe: ReadRunCafe,
    who: ApiReader,
    db: DatabaseDep,
    now: NowDep,
    lang: ExportLang,
    format: NotesFormat = NotesFormat.JSON,
) -> Response:
    """Session notes of visible contributions: JSON, CSV, Markdown or DOCX, streamed. Each
    export is in the audit log."""
    return notes_response(db, cafe, format, now, audit.facilitator(who), lang)


@router.get("/{cafe_id}/themes", responses=ERRORS)
def list_themes(cafe: ReadRunCafe, session: SessionDep) -> list[ThemePublic]:
    """The café's themes, each with how many visible contributions it holds."""
    return [
        theme_service.theme_public(summary=s)
        for s in theme_service.themes_of(session=session, cafe=cafe)
    ]


def _theme_public(session: SessionDep, cafe: Cafe, theme_id: RowId) -> ThemePublic:
    found = next(
        s for s in theme_service.themes_of(session=session, cafe=cafe) if s.theme.id == theme_id
    )
    return theme_service.theme_public(summary=found)


@router.post("/{cafe_id}/themes", status_code=201, responses=ERRORS)
def create_theme(
    body: ThemeCreate, cafe: WriteCafe, session: SessionDep, now: NowDep
) -> ThemePublic:
    """Create a theme, optionally with contributions in it (409 if the name is taken)."""
    theme = theme_service.create_theme(
        session=session,
        cafe=cafe,
        name=body.name,
        description=body.description,
        contribution_ids=body.contribution_ids,
        now=now,
    )
    return _theme_public(session, cafe, theme.id)


@router.patch("/{cafe_id}/themes/{theme_id}", responses=ERRORS)
def update_theme(
    theme_id: RowId, body: ThemeUpdate, cafe: WriteCafe, session: SessionDep
) -> ThemePublic:
    """Rename a theme or change its description."""
    theme_service.update_theme(
        session=session,
        cafe=cafe,
        theme_id=theme_id,
        name=body.name,
        description=body.description,
    )
    return _theme_public(session, cafe, theme_id)


@router.delete("/{cafe_id}/themes/{theme_id}", status_code=204, responses=ERRORS)
def delete_theme(theme_id: RowId, cafe: WriteCafe, session: SessionDep, now: NowDep) -> Response:
    """Delete a theme; its contributions stay."""
    theme_service.delete_theme(session=session, cafe=cafe, theme_id=theme_id, now=now)
    return Response(status_code=204)


def _regroup(
    change: Callable[..., int],
    theme_id: RowId,
    contribution_id: RowId,
    cafe: Cafe,
    session: Session,
    now: datetime,
) -> ContributionRecord:
    """Put one contribution in a theme or take it out (`change`), and show it as it is now."""
    change(
        session=session, cafe=cafe, theme_id=theme_id, contribution_ids=[contribution_id], now=now
    )
    return record_service.get_record(session=session, cafe=cafe, contribution_id=contribution_id)


@router.post("/{cafe_id}/themes/{theme_id}/contributions/{contribution_id}", responses=ERRORS)
def assign(
    theme_id: RowId, contribution_id: RowId, cafe: WriteCafe, session: SessionDep, now: NowDep
) -> ContributionRecord:
    """Put a contribution in a theme (doing it twice changes nothing)."""
    return _regroup(theme_service.assign, theme_id, contribution_id, cafe, session, now)


@router.delete("/{cafe_id}/themes/{theme_id}/contributions/{contribution_id}", responses=ERRORS)
def unassign(
    theme_id: RowId, contribution_id: RowId, cafe: WriteCafe, session: SessionDep, now: NowDep
) -> ContributionRecord:
    """Take a contribution out of a theme."""
    return _regroup(theme_service.unassign, theme_id, contribution_id, cafe, session, now)
