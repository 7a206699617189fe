"""The lead's pages for a draft version's sections: adding, editing, moving and deleting one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response

from app.deps.common import CsrfDep, NowDep, SettingsDep
from app.deps.material import LeadSection
from app.deps.material_pages import VERSION, LeadVersionPage, VersionPage
from app.i18n import _
from app.kit.forms import refusal
from app.models.material import MaterialSection, VersionStatus
from app.services.errors import DomainError
from app.services.material import versions as version_service

router = APIRouter(prefix=VERSION, include_in_schema=False, dependencies=[CsrfDep])

SECTION = "/sections/{section_id}"


def _section_form(
    heading: Annotated[str, Form(max_length=1000)] = "",
    body_markdown: Annotated[str, Form(max_length=70_000)] = "",
    easy_read_text: Annotated[str, Form(max_length=30_000)] = "",
    heading_cy: Annotated[str, Form(max_length=1000)] = "",
    body_markdown_cy: Annotated[str, Form(max_length=70_000)] = "",
    easy_read_text_cy: Annotated[str, Form(max_length=30_000)] = "",
) -> dict[str, str]:
    return {
        "heading": heading,
        "body_markdown": body_markdown,
        "easy_read_text": easy_read_text,
        "heading_cy": heading_cy,
        "body_markdown_cy": body_markdown_cy,
        "easy_read_text_cy": easy_read_text_cy,
    }


# A section's fields as the lead typed them (kept when the form is shown again).
SectionForm = Annotated[dict[str, str], Depends(_section_form)]


@router.post("/sections")
def add_section(page: LeadVersionPage, now: NowDep, form: SectionForm) -> Response:
    try:
        section = version_service.add_section(
            session=page.session, version=page.version, now=now, **form
        )
    except DomainError as exc:
        return page.show(**refusal(page.session, exc))
    page.notice(_("The section “%(heading)s” was added.", heading=section.heading))
    return page.back(f"section-{section.id}")


def _edit_page(
    page: VersionPage,
    section: MaterialSection,
    values: dict[str, str],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return page.render(
        "material/section_edit.html",
        section=section,
        values=values,
        error=error,
        status_code=status_code,
    )


@router.get(SECTION + "/edit")
def edit_section_page(page: LeadVersionPage, section: LeadSection) -> Response:
    if page.version.status != VersionStatus.DRAFT:
        return page.back(f"section-{section.id}")
    values = {
        "heading": section.heading,
        "body_markdown": section.body_markdown,
        "easy_read_text": section.easy_read_text,
        "heading_cy": section.heading_cy or "",
        "body_markdown_cy": section.body_markdown_cy,
        "easy_read_text_cy": section.easy_read_text_cy,
    }
    return _edit_page(page, section, values)


@router.post(SECTION + "/edit")
def edit_section(
    page: LeadVersionPage, section: LeadSection, now: NowDep, form: SectionForm
) -> Response:
    try:
        version_service.update_section(session=page.session, section=section, now=now, **form)
    except DomainError as exc:
        return _edit_page(page, section, form, **refusal(page.session, exc))
    page.notice(_("The section “%(heading)s” was saved.", heading=section.heading))
    return page.back(f"section-{section.id}")


@router.post(SECTION + "/move")
def move_section(
    page: LeadVersionPage,
    section: LeadSection,
    now: NowDep,
    position: Annotated[int, Form(ge=1, le=10_000)],
) -> Response:
    version_service.move_section(session=page.session, section=section, position=position, now=now)
    page.notice(
        _(
            "“%(heading)s” is now section %(number)s.",
            heading=section.heading,
            number=section.position,
        )
    )
    return page.back(f"section-{section.id}")


@router.post(SECTION + "/delete")
def delete_section(
    page: LeadVersionPage, section: LeadSection, now: NowDep, settings: SettingsDep
) -> Response:
    heading = section.heading
    version_service.delete_section(
        session=page.session, section=section, now=now, media_dir=settings.media_dir
    )
    page.notice(_("The section “%(heading)s” was removed from this draft.", heading=heading))
    return page.back()
