"""The lead's pages for a network's discussion materials: the list, creating one, the
cross-group view, a material's versions (renaming, deleting, starting and publishing one) and
comparing two versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile

from app.deps.common import CsrfDep, NowDep, SettingsDep
from app.deps.material import LeadMaterial, imported_file
from app.deps.material_pages import MATERIALS, LeadPage, LeadVersionPage, MaterialPage
from app.i18n import _
from app.kit.forms import refusal, see_other
from app.models.material import MaterialCreate, SectionCreate
from app.services.errors import DomainError, Invalid
from app.services.material import cross_group as cross_group_service
from app.services.material import diff as diff_service
from app.services.material import provenance as provenance_service
from app.services.material import reading as reading_service
from app.services.material import versions as version_service

router = APIRouter(prefix=MATERIALS, include_in_schema=False, dependencies=[CsrfDep])


# --- the list, creating and the cross-group view -------------------------------------------


def _list_page(
    page: MaterialPage,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    summaries = reading_service.material_summaries(session=page.session, network=page.network)
    return page.render(
        "material/list.html",
        summaries=summaries,
        values=values or {},
        error=error,
        status_code=status_code,
    )


@router.get("")
def materials(page: LeadPage) -> Response:
    return _list_page(page)


@dataclass(frozen=True)
class NewMaterial:
    """The new-material form as the lead filled it in."""

    title: str
    first_heading: str
    first_body: str
    markdown: str
    file: UploadFile | None

    def typed(self) -> dict[str, str]:
        """What the form shows again after a refusal."""
        return {
            "title": self.title,
            "first_heading": self.first_heading,
            "first_body": self.first_body,
        }

    def data(self) -> MaterialCreate:
        """What the form asks for: an imported file, pasted Markdown, or a first section."""
        title = self.title.strip()[:200]
        if self.file is not None and self.file.filename:
            imported = imported_file(self.file)
            return MaterialCreate(title=title or imported.title[:200], sections=imported.sections)
        if self.markdown.strip():
            return MaterialCreate(title=title, markdown=self.markdown)
        if not self.first_heading.strip():
            raise Invalid(_("Give the first section a heading, or import a file."))
        first = SectionCreate(
            heading=self.first_heading.strip()[:200], body_markdown=self.first_body[:60_000]
        )
        return MaterialCreate(title=title, sections=[first])


def _new_material(
    title: Annotated[str, Form(max_length=1000)] = "",
    first_heading: Annotated[str, Form(max_length=1000)] = "",
    first_body: Annotated[str, Form(max_length=70_000)] = "",
    markdown: Annotated[str, Form(max_length=500_000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> NewMaterial:
    return NewMaterial(title, first_heading, first_body, markdown, file)


@router.post("")
def create_material(
    page: LeadPage, now: NowDep, form: Annotated[NewMaterial, Depends(_new_material)]
) -> Response:
    try:
        material = version_service.create_material(
            session=page.session, network=page.network, data=form.data(), now=now
        )
    except DomainError as exc:
        return _list_page(page, values=form.typed(), **refusal(page.session, exc))
    page.notice(_("Version 1 was created as a draft."))
    return page.to_version(material, 1)


@router.get("/cross-group")
def cross_group(page: LeadPage) -> Response:
    session, network = page.session, page.network
    themes = cross_group_service.cross_group_themes(session=session, network=network)
    return page.render(
        "material/cross_group.html",
        shared=[t for t in themes if t.group_count > 1],
        single=[t for t in themes if t.group_count <= 1],
        groups={
            link.group.id: link.group.name
            for link in provenance_service.network_cafes(session=session, network=network)
        },
    )


# --- a material and its versions --------------------------------------------------------------


@router.get("/{material_id}")
def material_home(page: LeadPage, material: LeadMaterial) -> Response:
    versions = reading_service.list_versions(session=page.session, material=material)
    return page.to_version(material, versions[-1].number if versions else 1)


@router.get("/{material_id}/versions/{number}")
def show_version(page: LeadVersionPage) -> Response:
    return page.show()


@router.post("/{material_id}/rename")
def rename_material(
    page: LeadPage,
    material: LeadMaterial,
    now: NowDep,
    title: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    version_service.rename_material(session=page.session, material=material, title=title, now=now)
    page.notice(_("The title was changed."))
    return see_other(f"{page.base}/{material.id}")


@router.post("/{material_id}/delete")
def delete_material(page: LeadPage, material: LeadMaterial, settings: SettingsDep) -> Response:
    title = material.title
    version_service.delete_material(
        session=page.session, material=material, media_dir=settings.media_dir
    )
    page.notice(_("“%(title)s” was deleted.", title=title))
    return see_other(page.base)


@router.post("/{material_id}/next")
def start_next_version(page: LeadPage, material: LeadMaterial, now: NowDep) -> Response:
    version = version_service.start_next_version(session=page.session, material=material, now=now)
    page.notice(
        _(
            "Version %(number)s was started as a copy of the last published one.",
            number=version.number,
        )
    )
    return page.to_version(material, version.number)


@router.post("/{material_id}/versions/{number}/publish")
def publish_version(
    page: LeadVersionPage, now: NowDep, note: Annotated[str, Form(max_length=5000)] = ""
) -> Response:
    version = page.version
    try:
        version_service.publish_version(session=page.session, version=version, note=note, now=now)
    except DomainError as exc:
        return page.show(**refusal(page.session, exc))
    page.notice(
        _("Version %(number)s is published. It will not change again.", number=version.number)
    )
    return page.back()


@router.get("/{material_id}/diff")
def diff_page(
    page: LeadPage,
    material: LeadMaterial,
    from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> Response:
    versions = reading_service.list_versions(session=page.session, material=material)
    new = to_version or (versions[-1].number if versions else 1)
    old = from_version or max(1, new - 1)
    diff = diff_service.diff_versions(
        session=page.session, material=material, old_number=old, new_number=new
    )
    return page.render("material/diff.html", material=material, diff=diff, versions=versions)
