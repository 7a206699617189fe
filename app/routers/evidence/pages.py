"""Facilitator harvest pages (wall, themes, suggestions, charts, notes) and the participants'
"what we heard" page."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.db import Database
from app.deps.cafe import OwnedCafe, RunCafe
from app.deps.common import (
    CsrfDep,
    DatabaseDep,
    ExportLang,
    FacilitatorDep,
    NowDep,
    RowId,
    SessionDep,
)
from app.deps.phone import CafeByCode, remembered
from app.i18n import _, ngettext
from app.kit.downloads import notes_response, record_notes_export
from app.kit.forms import refusal, see_other
from app.kit.rendering import context_for, env, render
from app.models.accounts import Facilitator
from app.models.cafe import Cafe, CafeStatus, Participant
from app.models.evidence import EVIDENCE_LABELS, KIND_LABELS
from app.security import request_is_htmx
from app.services import audit
from app.services.cafe import cafes as cafe_service
from app.services.errors import DomainError, Invalid, NotFound
from app.services.evidence import harvest as harvest_service
from app.services.evidence import suggestions
from app.services.evidence import themes as theme_service
from app.services.evidence.charts import Chart, bar_chart
from app.services.evidence.filters import NO_ROLE, ContributionFilter
from app.services.export import notes_reading
from app.services.export.formats import FORMATS, NotesFormat

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])

NOTICE_KEY = "harvest_notice"


def _charts(counts: harvest_service.Counts) -> list[Chart]:
    return [
        bar_chart(chart_id="chart-table", title=_("Contributions per table"), rows=counts.by_table),
        bar_chart(chart_id="chart-round", title=_("Contributions per round"), rows=counts.by_round),
        bar_chart(
            chart_id="chart-role",
            title=_("Contributions by the author's role"),
            rows=counts.by_role,
        ),
        bar_chart(
            chart_id="chart-evidence",
            title=_("Contributions by evidence type"),
            rows=counts.by_evidence,
        ),
    ]


def _harvest(
    request: Request,
    session: SessionDep,
    cafe: Cafe,
    facilitator: Facilitator,
    filters: ContributionFilter,
    *,
    before: int | None = None,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The harvest page; an HTMX request gets the ``harvest`` block only."""
    themes = theme_service.themes_of(session=session, cafe=cafe)
    ctx: dict[str, Any] = {
        "facilitator": facilitator,
        "cafe": cafe,
        "f": filters,
        "page": harvest_service.wall(session=session, cafe=cafe, filters=filters, before=before),
        "themes": themes,
        "theme_names": {s.theme.id: s.theme.name for s in themes},
        "suggestions": suggestions.suggest_themes(session=session, cafe=cafe, filters=filters),
        "charts": _charts(harvest_service.counts(session=session, cafe=cafe, filters=filters)),
        "rounds": cafe_service.rounds_of(session=session, cafe=cafe),
        "tables": cafe_service.tables_of(session=session, cafe=cafe),
        "kind_labels": KIND_LABELS,
        "evidence_labels": EVIDENCE_LABELS,
        "no_role": NO_ROLE,
        "formats": [(f, FORMATS[f].label) for f in NotesFormat],
        "notice": notice or request.session.pop(NOTICE_KEY, None),
        "error": error,
        "partial": request_is_htmx(request),
    }
    return render(request, "evidence/harvest.html", ctx, block="harvest", status_code=status_code)


def _filter_from_back(back: str) -> ContributionFilter:
    """The wall's filter carried through a form as its query string; a damaged one is
    simply dropped rather than refusing the whole action."""
    values = {k: v[0] for k, v in parse_qs(back[:500]).items() if v}
    try:
        return ContributionFilter.from_params(values)
    except Invalid:
        return ContributionFilter()


class WallQuery(BaseModel):
    """The wall's filter (as its form and links send it) and where its page starts."""

    round: str = Field("", max_length=20)
    table: str = Field("", max_length=20)
    kind: str = Field("", max_length=20)
    evidence_type: str = Field("", max_length=20)
    role: str = Field("", max_length=20)
    theme: str = Field("", max_length=20)
    before: int | None = Field(None, ge=1)


@router.get("/cafes/{cafe_id}/harvest")
def harvest_page(
    request: Request,
    cafe: OwnedCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    query: Annotated[WallQuery, Query()],
) -> Response:
    """The harvest wall with its filters, themes, suggestions and charts."""
    try:
        filters = ContributionFilter.from_params(query.model_dump(exclude={"before"}))
    except Invalid as exc:
        return _harvest(
            request,
            session,
            cafe,
            facilitator,
            ContributionFilter(),
            error=exc.detail,
            status_code=422,
        )
    return _harvest(request, session, cafe, facilitator, filters, before=query.before)


@dataclass(frozen=True, slots=True)
class HarvestWrite:
    """What a write from the harvest wall holds: the café, who and when, and the wall's filter
    it was sent from (the form's `back`), so the wall is shown again as it was."""

    request: Request
    session: Session
    cafe: Cafe
    facilitator: Facilitator
    now: datetime
    filters: ContributionFilter

    def refused(self, exc: DomainError) -> Response:
        """The wall again, saying why, with nothing of the write kept."""
        return _harvest(
            self.request,
            self.session,
            self.cafe,
            self.facilitator,
            self.filters,
            **refusal(self.session, exc),
        )

    def done(self, notice: str, filters: ContributionFilter | None = None) -> Response:
        """After the write: the wall for HTMX; otherwise back to it (Post/Redirect/Get), the
        notice kept in the session for the page that follows."""
        filters = self.filters if filters is None else filters
        if self.request.headers.get("hx-request") == "true":
            return _harvest(
                self.request, self.session, self.cafe, self.facilitator, filters, notice=notice
            )
        self.request.session[NOTICE_KEY] = notice
        query = filters.query()
        return see_other(f"/cafes/{self.cafe.id}/harvest" + (f"?{query}" if query else ""))


def harvest_write(
    request: Request,
    cafe: OwnedCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    now: NowDep,
    back: Annotated[str, Form(max_length=500)] = "",
) -> HarvestWrite:
    return HarvestWrite(request, session, cafe, facilitator, now, _filter_from_back(back))


HarvestWriteDep = Annotated[HarvestWrite, Depends(harvest_write)]
ContributionIds = Annotated[list[int], Form()]


@router.post("/cafes/{cafe_id}/harvest/themes")
def create_theme(
    write: HarvestWriteDep,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    contribution_ids: ContributionIds = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    """Create a theme; from a suggestion it holds the suggested contributions at once."""
    try:
        theme = theme_service.create_theme(
            session=write.session,
            cafe=write.cafe,
            name=name,
            description=description,
            contribution_ids=contribution_ids,
            now=write.now,
        )
    except DomainError as exc:
        return write.refused(exc)
    held = len(set(contribution_ids))
    if not held:
        return write.done(_("Theme “%(name)s” created.", name=theme.name))
    return write.done(
        ngettext(
            "Theme “%(name)s” created with %(num)s contribution.",
            "Theme “%(name)s” created with %(num)s contributions.",
            held,
            name=theme.name,
        )
    )


@router.post("/cafes/{cafe_id}/harvest/themes/{theme_id}/edit")
def edit_theme(
    theme_id: RowId,
    write: HarvestWriteDep,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Rename a theme or change its description."""
    try:
        theme = theme_service.update_theme(
            session=write.session,
            cafe=write.cafe,
            theme_id=theme_id,
            name=name,
            description=description,
        )
    except DomainError as exc:
        return write.refused(exc)
    return write.done(_("Theme “%(name)s” saved.", name=theme.name))


@router.post("/cafes/{cafe_id}/harvest/themes/{theme_id}/delete")
def delete_theme(theme_id: RowId, write: HarvestWriteDep) -> Response:
    """Delete a theme; its contributions stay on the wall."""
    theme = theme_service.delete_theme(
        session=write.session, cafe=write.cafe, theme_id=theme_id, now=write.now
    )
    filters = write.filters
    if filters.theme == theme_id:
        filters = replace(filters, theme=None)
    notice = _(
        "Theme “%(name)s” deleted. Its contributions are still on the wall.", name=theme.name
    )
    return write.done(notice, filters)


@router.post("/cafes/{cafe_id}/harvest/assign")
def assign(
    write: HarvestWriteDep,
    theme_id: Annotated[str, Form(max_length=20)] = "",
    action: Annotated[str, Form(max_length=10)] = "assign",
    contribution_ids: ContributionIds = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    """Put the ticked contributions in a theme, or take them out of it."""
    try:
        if not theme_id.isdigit():
            raise Invalid(_("Choose a theme first."))
        theme = theme_service.get_theme(
            session=write.session, cafe=write.cafe, theme_id=int(theme_id)
        )
        taking_out = action == "unassign"
        change = theme_service.unassign if taking_out else theme_service.assign
        n = change(
            session=write.session,
            cafe=write.cafe,
            theme_id=int(theme_id),
            contribution_ids=contribution_ids,
            now=write.now,
        )
    except DomainError as exc:
        return write.refused(exc)
    if taking_out:
        return write.done(
            ngettext(
                "%(num)s contribution taken out of “%(name)s”.",
                "%(num)s contributions taken out of “%(name)s”.",
                n,
                name=theme.name,
            )
        )
    return write.done(
        ngettext(
            "%(num)s contribution added to “%(name)s”.",
            "%(num)s contributions added to “%(name)s”.",
            n,
            name=theme.name,
        )
    )


# --- notes ---------------------------------------------------------------------------------


@router.get("/cafes/{cafe_id}/notes/download")
def download_notes(
    cafe: RunCafe,
    facilitator: FacilitatorDep,
    db: DatabaseDep,
    now: NowDep,
    lang: ExportLang,
    format: NotesFormat = NotesFormat.JSON,
) -> Response:
    """The session notes as a file, for a facilitator logged in to the site."""
    return notes_response(db, cafe, format, now, audit.facilitator(facilitator), lang)


def _stream_template(
    db: Database, cafe_id: RowId, now: datetime, base: Mapping[str, Any]
) -> Iterator[bytes]:
    with db.read_session() as session:
        cafe = session.get(Cafe, cafe_id)
        if cafe is None:
            return
        outline = notes_reading.notes_outline(session=session, cafe=cafe, now=now)
        pending: list[str] = []
        size = 0
        for piece in env.get_template("evidence/notes_print.html").generate(
            {**base, "cafe": cafe, "o": outline}
        ):
            pending.append(piece)
            size += len(piece)
            if size > 32_000:
                yield "".join(pending).encode()
                pending, size = [], 0
        yield "".join(pending).encode()


@router.get("/cafes/{cafe_id}/notes/print")
def print_notes(
    request: Request, cafe: RunCafe, db: DatabaseDep, now: NowDep, facilitator: FacilitatorDep
) -> Response:
    """The session notes as one long page made for printing (or saving as PDF)."""
    owner = cafe.facilitator_id == facilitator.id
    record_notes_export(db, cafe, audit.facilitator(facilitator), "print")
    base = context_for(
        request, {"facilitator": facilitator, "formats": list(NotesFormat), "owner": owner}
    )
    return StreamingResponse(
        _stream_template(db, cafe.id, now, base),
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


# --- what we heard -------------------------------------------------------------------------


def _heard(
    request: Request,
    session: SessionDep,
    cafe: Cafe,
    *,
    preview: bool,
    person: Participant | None = None,
) -> Response:
    ready = cafe.status == CafeStatus.CLOSED
    return render(
        request,
        "evidence/heard.html",
        {
            "cafe": cafe,
            "ready": ready or preview,
            "preview": preview,
            "person": person,
            "h": harvest_service.heard(session=session, cafe=cafe) if ready or preview else None,
        },
    )


@router.get("/cafes/{cafe_id}/heard")
def heard_preview(request: Request, cafe: OwnedCafe, session: SessionDep) -> Response:
    """The facilitator's preview of the participants' "what we heard" page."""
    return _heard(request, session, cafe, preview=True)


@router.get("/p/{code}/heard")
def heard_page(request: Request, cafe: CafeByCode, session: SessionDep) -> Response:
    """What we heard: themes and contributions, without names, once the café has closed."""
    person = remembered(request, session, cafe)
    if person is None:
        raise NotFound(_("This page is for the people who took part in this café."))
    return _heard(request, session, cafe, preview=False, person=person)
