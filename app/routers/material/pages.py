"""The lead's pages for discussion materials: versions, sections, merging evidence from the
network's cafés, publishing, comparing versions, the cross-group view and the exports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from app.deps.common import CsrfDep, FacilitatorDep, NowDep, SessionDep
from app.deps.material import (
    LeadItem,
    LeadMaterial,
    LeadNetwork,
    LeadSection,
    LeadVersion,
    imported_file,
)
from app.kit.rendering import render
from app.models.evidence import EVIDENCE_LABELS, KIND_LABELS
from app.models.material import (
    Material,
    MaterialCreate,
    MaterialSection,
    MaterialVersion,
    SectionCreate,
    VersionStatus,
)
from app.models.network import Network
from app.services.errors import DomainError, Invalid, NotFound
from app.services.evidence.filters import NO_ROLE, ContributionFilter
from app.services.export import materials as material_export
from app.services.material import cross_group as cross_group_service
from app.services.material import diff as diff_service
from app.services.material import merge as merge_service
from app.services.material import provenance as provenance_service
from app.services.material import public
from app.services.material import reading as reading_service
from app.services.material import versions as version_service
from app.services.material import views as view_service

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])

NOTICE = "material_notice"
PAGE_SIZE = 100


def _base(network: Network) -> str:
    return f"/networks/{network.id}/materials"


def _version_url(network: Network, material: Material, number: int) -> str:
    return f"{_base(network)}/{material.id}/versions/{number}"


def _notice(request: Request, text: str) -> None:
    request.session[NOTICE] = text


def _ctx(request: Request, facilitator: Any, network: Network, **extra: Any) -> dict[str, Any]:
    return {
        "facilitator": facilitator,
        "network": network,
        "base": _base(network),
        "notice": request.session.pop(NOTICE, None),
        "kind_labels": KIND_LABELS,
        "evidence_labels": EVIDENCE_LABELS,
        "role_label": material_export.role_label,
        "provenance_line": material_export.provenance_line,
        "when": public.when,
        **extra,
    }


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- the list, creating and the cross-group view -------------------------------------------


def _list_page(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: Network,
    *,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "materials/list.html",
        _ctx(
            request,
            facilitator,
            network,
            summaries=reading_service.material_summaries(session=session, network=network),
            values=values or {},
            error=error,
        ),
        status_code=status_code,
    )


@router.get("/networks/{network_id}/materials")
def materials(
    request: Request, session: SessionDep, facilitator: FacilitatorDep, network: LeadNetwork
) -> Response:
    return _list_page(request, session, facilitator, network)


@router.post("/networks/{network_id}/materials")
def create_material(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    now: NowDep,
    title: Annotated[str, Form(max_length=1000)] = "",
    first_heading: Annotated[str, Form(max_length=1000)] = "",
    first_body: Annotated[str, Form(max_length=70_000)] = "",
    markdown: Annotated[str, Form(max_length=500_000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    values = {"title": title, "first_heading": first_heading, "first_body": first_body}
    try:
        if file is not None and file.filename:
            imported = imported_file(file)
            data = MaterialCreate(
                title=title.strip()[:200] or imported.title[:200], sections=imported.sections
            )
        elif markdown.strip():
            data = MaterialCreate(title=title.strip()[:200], markdown=markdown)
        else:
            if not first_heading.strip():
                raise Invalid("Give the first section a heading, or import a file.")
            data = MaterialCreate(
                title=title.strip()[:200],
                sections=[
                    SectionCreate(
                        heading=first_heading.strip()[:200], body_markdown=first_body[:60_000]
                    )
                ],
            )
        material = version_service.create_material(
            session=session, network=network, data=data, now=now
        )
    except DomainError as exc:
        session.rollback()
        return _list_page(
            request,
            session,
            facilitator,
            network,
            values=values,
            error=exc.detail,
            status_code=exc.status_code,
        )
    _notice(request, "Version 1 was created as a draft.")
    return _back(_version_url(network, material, 1))


@router.get("/networks/{network_id}/materials/cross-group")
def cross_group(
    request: Request, session: SessionDep, facilitator: FacilitatorDep, network: LeadNetwork
) -> Response:
    themes = cross_group_service.cross_group_themes(session=session, network=network)
    return render(
        request,
        "materials/cross_group.html",
        _ctx(
            request,
            facilitator,
            network,
            shared=[t for t in themes if t.group_count > 1],
            single=[t for t in themes if t.group_count <= 1],
            groups={
                link.group.id: link.group.name
                for link in provenance_service.network_cafes(session=session, network=network)
            },
        ),
    )


# --- a material and its versions --------------------------------------------------------------


@router.get("/networks/{network_id}/materials/{material_id}")
def material_home(network: LeadNetwork, material: LeadMaterial, session: SessionDep) -> Response:
    versions = reading_service.list_versions(session=session, material=material)
    return _back(_version_url(network, material, versions[-1].number if versions else 1))


def _version_page(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: Network,
    material: Material,
    version: MaterialVersion,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    view = view_service.version_view(session=session, material=material, version=version)
    return render(
        request,
        "materials/version.html",
        _ctx(
            request,
            facilitator,
            network,
            material=material,
            view=view,
            url=_version_url(network, material, version.number),
            error=error,
            has_draft=any(v.status == VersionStatus.DRAFT for v in view.versions),
        ),
        status_code=status_code,
    )


@router.get("/networks/{network_id}/materials/{material_id}/versions/{number}")
def version_page(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
) -> Response:
    return _version_page(request, session, facilitator, network, material, version)


@router.post("/networks/{network_id}/materials/{material_id}/rename")
def rename_material(
    request: Request,
    session: SessionDep,
    network: LeadNetwork,
    material: LeadMaterial,
    now: NowDep,
    title: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    version_service.rename_material(session=session, material=material, title=title, now=now)
    _notice(request, "The title was changed.")
    return _back(f"{_base(network)}/{material.id}")


@router.post("/networks/{network_id}/materials/{material_id}/delete")
def delete_material(
    request: Request, session: SessionDep, network: LeadNetwork, material: LeadMaterial
) -> Response:
    title = material.title
    version_service.delete_material(session=session, material=material)
    _notice(request, f"“{title}” was deleted.")
    return _back(_base(network))


@router.post("/networks/{network_id}/materials/{material_id}/next")
def start_next_version(
    request: Request,
    session: SessionDep,
    network: LeadNetwork,
    material: LeadMaterial,
    now: NowDep,
) -> Response:
    version = version_service.start_next_version(session=session, material=material, now=now)
    _notice(request, f"Version {version.number} was started as a copy of the last published one.")
    return _back(_version_url(network, material, version.number))


@router.post("/networks/{network_id}/materials/{material_id}/versions/{number}/publish")
def publish_version(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
    now: NowDep,
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        version_service.publish_version(session=session, version=version, note=note, now=now)
    except DomainError as exc:
        session.rollback()
        return _version_page(
            request,
            session,
            facilitator,
            network,
            material,
            version,
            error=exc.detail,
            status_code=exc.status_code,
        )
    _notice(request, f"Version {version.number} is published. It will not change again.")
    return _back(_version_url(network, material, version.number))


@router.get("/networks/{network_id}/materials/{material_id}/diff")
def diff_page(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    material: LeadMaterial,
    from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> Response:
    versions = reading_service.list_versions(session=session, material=material)
    newest = versions[-1].number if versions else 1
    new = to_version or newest
    old = from_version or max(1, new - 1)
    diff = diff_service.diff_versions(
        session=session, material=material, old_number=old, new_number=new
    )
    return render(
        request,
        "materials/diff.html",
        _ctx(request, facilitator, network, material=material, diff=diff, versions=versions),
    )


# --- sections -------------------------------------------------------------------------------

SECTION = "/networks/{network_id}/materials/{material_id}/versions/{number}/sections/{section_id}"


@router.post("/networks/{network_id}/materials/{material_id}/versions/{number}/sections")
def add_section(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
    now: NowDep,
    heading: Annotated[str, Form(max_length=1000)] = "",
    body_markdown: Annotated[str, Form(max_length=70_000)] = "",
    easy_read_text: Annotated[str, Form(max_length=30_000)] = "",
) -> Response:
    try:
        section = version_service.add_section(
            session=session,
            version=version,
            heading=heading,
            body_markdown=body_markdown,
            easy_read_text=easy_read_text,
            now=now,
        )
    except DomainError as exc:
        session.rollback()
        return _version_page(
            request,
            session,
            facilitator,
            network,
            material,
            version,
            error=exc.detail,
            status_code=exc.status_code,
        )
    _notice(request, f"The section “{section.heading}” was added.")
    return _back(f"{_version_url(network, material, version.number)}#section-{section.id}")


def _edit_page(
    request: Request,
    facilitator: FacilitatorDep,
    network: Network,
    material: Material,
    version: MaterialVersion,
    section: MaterialSection,
    *,
    values: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "materials/section_edit.html",
        _ctx(
            request,
            facilitator,
            network,
            material=material,
            version=version,
            section=section,
            values=values,
            error=error,
            url=_version_url(network, material, version.number),
        ),
        status_code=status_code,
    )


@router.get(SECTION + "/edit")
def edit_section_page(
    request: Request,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
    section: LeadSection,
) -> Response:
    if version.status != VersionStatus.DRAFT:
        return _back(f"{_version_url(network, material, version.number)}#section-{section.id}")
    values = {
        "heading": section.heading,
        "body_markdown": section.body_markdown,
        "easy_read_text": section.easy_read_text,
    }
    return _edit_page(request, facilitator, network, material, version, section, values=values)


@router.post(SECTION + "/edit")
def edit_section(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
    section: LeadSection,
    now: NowDep,
    heading: Annotated[str, Form(max_length=1000)] = "",
    body_markdown: Annotated[str, Form(max_length=70_000)] = "",
    easy_read_text: Annotated[str, Form(max_length=30_000)] = "",
) -> Response:
    values = {
        "heading": heading,
        "body_markdown": body_markdown,
        "easy_read_text": easy_read_text,
    }
    try:
        version_service.update_section(
            session=session,
            section=section,
            heading=heading,
            body_markdown=body_markdown,
            easy_read_text=easy_read_text,
            now=now,
        )
    except DomainError as exc:
        session.rollback()
        return _edit_page(
            request,
            facilitator,
            network,
            material,
            version,
            section,
            values=values,
            error=exc.detail,
            status_code=exc.status_code,
        )
    _notice(request, f"The section “{section.heading}” was saved.")
    return _back(f"{_version_url(network, material, version.number)}#section-{section.id}")


@router.post(SECTION + "/move")
def move_section(
    request: Request,
    session: SessionDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
    section: LeadSection,
    now: NowDep,
    position: Annotated[int, Form(ge=1, le=10_000)],
) -> Response:
    version_service.move_section(session=session, section=section, position=position, now=now)
    _notice(request, f"“{section.heading}” is now section {section.position}.")
    return _back(f"{_version_url(network, material, version.number)}#section-{section.id}")


@router.post(SECTION + "/delete")
def delete_section(
    request: Request,
    session: SessionDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
    section: LeadSection,
    now: NowDep,
) -> Response:
    heading = section.heading
    version_service.delete_section(session=session, section=section, now=now)
    _notice(request, f"The section “{heading}” was removed from this draft.")
    return _back(_version_url(network, material, version.number))


# --- merging evidence -------------------------------------------------------------------------


Text = Annotated[str, Query(max_length=80)]


@router.get(SECTION + "/merge")
def merge_page(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
    section: LeadSection,
    cafe: Text = "",
    group: Text = "",
    theme: Text = "",
    kind: Text = "",
    evidence_type: Text = "",
    role: Text = "",
    after: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    if version.status != VersionStatus.DRAFT:
        return _back(f"{_version_url(network, material, version.number)}#section-{section.id}")
    chosen = {
        "cafe": cafe,
        "group": group,
        "theme": theme,
        "kind": kind,
        "evidence_type": evidence_type,
        "role": role,
    }
    return _merge_page(
        request, session, facilitator, network, material, version, section, chosen, after
    )


def _merge_page(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: Network,
    material: Material,
    version: MaterialVersion,
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
    page = merge_service.merge_candidates(
        session=session, network=network, filters=filters, after=after, limit=PAGE_SIZE
    )
    links = provenance_service.network_cafes(session=session, network=network)
    themes = merge_service.network_themes(session=session, network=network)
    in_section = {
        ev.item.contribution_id
        for ev in view_service.section_view(session=session, section=section).evidence
    }
    return render(
        request,
        "materials/merge.html",
        _ctx(
            request,
            facilitator,
            network,
            material=material,
            version=version,
            section=section,
            url=_version_url(network, material, version.number),
            page=page,
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
        ),
        status_code=status_code,
    )


@router.post(SECTION + "/merge")
def merge(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
    section: LeadSection,
    now: NowDep,
    contribution: Annotated[list[int] | None, Form()] = None,
    theme_id: Annotated[list[int] | None, Form()] = None,
    all_shown: Annotated[bool, Form()] = False,
    cafe: Annotated[str, Form(max_length=80)] = "",
    group: Annotated[str, Form(max_length=80)] = "",
    theme: Annotated[str, Form(max_length=80)] = "",
    kind: Annotated[str, Form(max_length=80)] = "",
    evidence_type: Annotated[str, Form(max_length=80)] = "",
    role: Annotated[str, Form(max_length=80)] = "",
    after: Annotated[int | None, Form(ge=0)] = None,
) -> Response:
    chosen = {
        "cafe": cafe,
        "group": group,
        "theme": theme,
        "kind": kind,
        "evidence_type": evidence_type,
        "role": role,
    }
    ids = list(contribution or [])
    if all_shown:
        try:
            filters = ContributionFilter.from_params(chosen, network=True)
        except Invalid:
            # Nothing is merged: the page says what is wrong with the filter.
            return _merge_page(
                request, session, facilitator, network, material, version, section, chosen, after
            )
        page = merge_service.merge_candidates(
            session=session,
            network=network,
            filters=filters,
            after=after,
            limit=PAGE_SIZE,
        )
        ids = [c.contribution.id for c in page.items]
    try:
        result = merge_service.merge_evidence(
            session=session,
            network=network,
            section=section,
            contribution_ids=ids,
            theme_ids=list(theme_id or []),
            now=now,
        )
    except DomainError as exc:
        session.rollback()
        return _merge_page(
            request,
            session,
            facilitator,
            network,
            material,
            version,
            section,
            chosen,
            after,
            error=exc.detail,
            status_code=exc.status_code,
        )
    added = len(result.added)
    text = f"{added} evidence item{'s' if added != 1 else ''} added to “{section.heading}”."
    if result.skipped:
        text += f" {result.skipped} {'was' if result.skipped == 1 else 'were'} already there."
    _notice(request, text)
    return _back(f"{_version_url(network, material, version.number)}#section-{section.id}")


@router.post(SECTION + "/evidence/{item_id}/paraphrase")
def paraphrase(
    request: Request,
    session: SessionDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
    item: LeadItem,
    now: NowDep,
    text: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    merge_service.update_evidence_item(session=session, item=item, paraphrase=text, now=now)
    _notice(request, "The paraphrase was saved." if text.strip() else "The paraphrase was cleared.")
    return _back(f"{_version_url(network, material, version.number)}#evidence-{item.id}")


@router.post(SECTION + "/evidence/{item_id}/remove")
def remove_item(
    request: Request,
    session: SessionDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
    section: LeadSection,
    item: LeadItem,
    now: NowDep,
) -> Response:
    merge_service.remove_evidence_item(session=session, item=item, now=now)
    _notice(request, "The evidence item was taken out of this draft.")
    return _back(f"{_version_url(network, material, version.number)}#section-{section.id}")


# --- print, easy read and downloads -------------------------------------------------------

VERSION = "/networks/{network_id}/materials/{material_id}/versions/{number}"


@router.get(VERSION + "/print")
def print_view(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
) -> Response:
    view = view_service.version_view(session=session, material=material, version=version)
    return render(
        request,
        "materials/print.html",
        _ctx(
            request,
            facilitator,
            network,
            material=material,
            view=view,
            heading=material_export.version_heading(view),
            url=_version_url(network, material, version.number),
        ),
    )


@router.get(VERSION + "/easy-read")
def easy_read(
    request: Request,
    session: SessionDep,
    facilitator: FacilitatorDep,
    network: LeadNetwork,
    material: LeadMaterial,
    version: LeadVersion,
) -> Response:
    view = view_service.version_view(session=session, material=material, version=version)
    return render(
        request,
        "materials/easy_read.html",
        _ctx(
            request,
            facilitator,
            network,
            material=material,
            view=view,
            heading=material_export.version_heading(view),
            sections=material_export.easy_read_edition(view),
            url=_version_url(network, material, version.number),
        ),
    )


@router.get(VERSION + "/download/{name}")
def download(
    name: str,
    session: SessionDep,
    material: LeadMaterial,
    version: LeadVersion,
) -> Response:
    view = view_service.version_view(session=session, material=material, version=version)
    # The file names the version page links to: (format, easy-read edition).
    chosen = {
        "material.md": ("md", False),
        "material.docx": ("docx", False),
        "easy-read.md": ("md", True),
        "easy-read.docx": ("docx", True),
        "material.json": ("json", False),
    }.get(name)
    if chosen is None:
        raise NotFound("There is no such download.")
    file = material_export.export_version(view=view, fmt=chosen[0], easy_read=chosen[1])
    return Response(
        file.body,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
    )
