"""The lead's pages for the evidence in a draft section: choosing contributions from the
network's cafés to merge, merging them, and paraphrasing or removing an evidence item."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Response

from app.deps.common import CsrfDep, NowDep
from app.deps.material import LeadItem, LeadSection
from app.deps.material_pages import VERSION, LeadVersionPage, VersionPage
from app.i18n import _, ngettext
from app.kit.forms import refusal
from app.models.material import MaterialSection, VersionStatus
from app.services.errors import DomainError, Invalid
from app.services.evidence.filters import NO_ROLE, ContributionFilter
from app.services.material import merge as merge_service
from app.services.material import provenance as provenance_service
from app.services.material import views as view_service

router = APIRouter(prefix=VERSION, include_in_schema=False, dependencies=[CsrfDep])

SECTION = "/sections/{section_id}"
PAGE_SIZE = 100

# The filter's fields, in the order the form shows them (and its links repeat them).
FILTER_FIELDS = ("cafe", "group", "theme", "kind", "evidence_type", "role")


def _filter_fields(source: Callable[..., Any]) -> Callable[..., dict[str, str]]:
    """A dependency reading the filter's fields (each optional, at most 80 characters) from
    the query (`source=Query`) or the posted form (`Form`), as the lead chose them."""

    def chosen(**values: str) -> dict[str, str]:
        return {name: values[name] for name in FILTER_FIELDS}

    field = Annotated[str, source(max_length=80)]
    chosen.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default="", annotation=field)
            for name in FILTER_FIELDS
        ]
    )
    return chosen


Shown = Annotated[dict[str, str], Depends(_filter_fields(Query))]
Posted = Annotated[dict[str, str], Depends(_filter_fields(Form))]


@dataclass(frozen=True)
class Picked:
    """What the lead ticked on the merge page."""

    contribution_ids: list[int]
    theme_ids: list[int]
    all_shown: bool


def _picked(
    contribution: Annotated[list[int] | None, Form()] = None,
    theme_id: Annotated[list[int] | None, Form()] = None,
    all_shown: Annotated[bool, Form()] = False,
) -> Picked:
    return Picked(list(contribution or []), list(theme_id or []), all_shown)


def _merge_page(
    page: VersionPage,
    section: MaterialSection,
    chosen: dict[str, str],
    after: int | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        filters = ContributionFilter.from_params(chosen, network=True)
    except Invalid as exc:
        filters, error, status_code = ContributionFilter(), exc.detail, exc.status_code
    session, network = page.session, page.network
    candidates = merge_service.merge_candidates(
        session=session, network=network, filters=filters, after=after, limit=PAGE_SIZE
    )
    links = provenance_service.network_cafes(session=session, network=network)
    themes = merge_service.network_themes(session=session, network=network)
    in_section = {
        ev.item.contribution_id
        for ev in view_service.section_view(session=session, section=section).evidence
    }
    return page.render(
        "material/merge.html",
        section=section,
        page=candidates,
        links=links,
        groups=list({link.group.id: link.group for link in links}.values()),
        themes=themes,
        theme_names=sorted({" ".join(t.theme.name.split()) for t in themes}, key=str.casefold),
        f=filters,
        no_role=NO_ROLE,
        chosen=chosen,
        filtered=any(chosen.values()),
        in_section=in_section,
        after=after,
        error=error,
        status_code=status_code,
    )


@router.get(SECTION + "/merge")
def merge_page(
    page: LeadVersionPage,
    section: LeadSection,
    chosen: Shown,
    after: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    if page.version.status != VersionStatus.DRAFT:
        return page.back(f"section-{section.id}")
    return _merge_page(page, section, chosen, after)


@router.post(SECTION + "/merge")
def merge(
    page: LeadVersionPage,
    section: LeadSection,
    now: NowDep,
    picked: Annotated[Picked, Depends(_picked)],
    chosen: Posted,
    after: Annotated[int | None, Form(ge=0)] = None,
) -> Response:
    ids = picked.contribution_ids
    if picked.all_shown:
        try:
            filters = ContributionFilter.from_params(chosen, network=True)
        except Invalid:
            # Nothing is merged: the page says what is wrong with the filter.
            return _merge_page(page, section, chosen, after)
        candidates = merge_service.merge_candidates(
            session=page.session,
            network=page.network,
            filters=filters,
            after=after,
            limit=PAGE_SIZE,
        )
        ids = [c.contribution.id for c in candidates.items]
    try:
        result = merge_service.merge_evidence(
            session=page.session,
            network=page.network,
            section=section,
            contribution_ids=ids,
            theme_ids=picked.theme_ids,
            now=now,
        )
    except DomainError as exc:
        return _merge_page(page, section, chosen, after, **refusal(page.session, exc))
    added = len(result.added)
    text = ngettext(
        "%(num)s evidence item added to “%(heading)s”.",
        "%(num)s evidence items added to “%(heading)s”.",
        added,
        heading=section.heading,
    )
    if result.skipped:
        skipped = ngettext(
            "%(num)s was already there.", "%(num)s were already there.", result.skipped
        )
        text = f"{text} {skipped}"
    page.notice(text)
    return page.back(f"section-{section.id}")


@router.post(SECTION + "/evidence/{item_id}/paraphrase")
def paraphrase(
    page: LeadVersionPage,
    item: LeadItem,
    now: NowDep,
    text: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    merge_service.update_evidence_item(session=page.session, item=item, paraphrase=text, now=now)
    page.notice(
        _("The paraphrase was saved.") if text.strip() else _("The paraphrase was cleared.")
    )
    return page.back(f"evidence-{item.id}")


@router.post(SECTION + "/evidence/{item_id}/remove")
def remove_item(
    page: LeadVersionPage, section: LeadSection, item: LeadItem, now: NowDep
) -> Response:
    merge_service.remove_evidence_item(session=page.session, item=item, now=now)
    page.notice(_("The evidence item was taken out of this draft."))
    return page.back(f"section-{section.id}")
