"""A version of a material to print, in its easy-read edition, and as files to download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from app import i18n
from app.deps.common import CsrfDep, DatabaseDep, ExportLang, FacilitatorDep, SessionDep
from app.deps.material import LeadMaterial, LeadVersion
from app.deps.material_pages import VERSION, LeadVersionPage, VersionPage
from app.i18n import _
from app.kit.downloads import downloaded
from app.services import audit
from app.services.errors import NotFound
from app.services.export import materials as material_export
from app.services.material import editions
from app.services.material import views as view_service
from app.services.material.wording import section_words

router = APIRouter(prefix=VERSION, include_in_schema=False, dependencies=[CsrfDep])

# The file names the version page links to: (format, easy-read edition).
DOWNLOADS = {
    "material.md": ("md", False),
    "material.docx": ("docx", False),
    "easy-read.md": ("md", True),
    "easy-read.docx": ("docx", True),
    "material.json": ("json", False),
    "easy-read.json": ("json", True),
}


def _reading(page: VersionPage, *, easy_read: bool) -> Response:
    """The version laid out to print, or its easy-read edition."""
    view = view_service.version_view(
        session=page.session, material=page.material, version=page.version
    )
    edition: dict[str, Any]
    if easy_read:
        files = editions.files_by_section(
            session=page.session, section_ids=[sv.section.id for sv in view.sections]
        )
        edition = {
            "sections": material_export.easy_read_edition(view),
            "pictures": {key: f.picture for key, f in files.items() if f.picture is not None},
        }
    else:
        # Each section's words in the reader's language, where the lead wrote them in it.
        lang = i18n.current()
        edition = {"sections": [(sv, section_words(sv.section, lang)) for sv in view.sections]}
    return page.render(
        "material/easy_read.html" if easy_read else "material/print.html",
        view=view,
        heading=material_export.version_heading(view),
        **edition,
    )


@router.get("/print")
def print_view(page: LeadVersionPage, db: DatabaseDep) -> Response:
    material_export.record_export(
        db=db,
        session=page.session,
        actor=audit.facilitator(page.facilitator),
        material=page.material,
        version=page.version,
        detail="print",
    )
    return _reading(page, easy_read=False)


@router.get("/easy-read")
def easy_read(page: LeadVersionPage) -> Response:
    return _reading(page, easy_read=True)


@router.get("/download/{name}")
def download(
    name: str,
    db: DatabaseDep,
    session: SessionDep,
    facilitator: FacilitatorDep,
    material: LeadMaterial,
    version: LeadVersion,
    lang: ExportLang,
) -> Response:
    view = view_service.version_view(session=session, material=material, version=version)
    chosen = DOWNLOADS.get(name)
    if chosen is None:
        raise NotFound(_("There is no such download."))
    material_export.record_export(
        db=db,
        session=session,
        actor=audit.facilitator(facilitator),
        material=material,
        version=version,
        detail=name,
    )
    return downloaded(
        material_export.export_version(view=view, fmt=chosen[0], easy_read=chosen[1], lang=lang)
    )
