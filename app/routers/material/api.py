"""JSON API for a network's discussion materials: materials, versions, sections and the
evidence items merged into them, with their provenance.

Only the network's lead can read or change them; anyone else gets 404. Lists are read as the
network's other lists (`app.services.network.sync`): a page at a time in the order their rows
changed, after the opaque cursor given as `after`, with `deleted` and `has_more`; a plain
number as `after` is each list's deprecated cursor. The merge candidates are the cafés'
contributions, read after a contribution id."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from app.deps.common import (
    ApiReader,
    DatabaseDep,
    ExportLang,
    NowDep,
    OptionalQueryId,
    QueryId,
    SessionDep,
    SettingsDep,
)
from app.deps.material import (
    ERRORS,
    After,
    Limit,
    ReadItem,
    ReadMaterial,
    ReadSection,
    ReadVersion,
    WriteItem,
    WriteMaterial,
    WriteSection,
    WriteVersion,
    imported_file,
)
from app.deps.network import Cursor, ReadNetwork, WriteNetwork, page_of
from app.kit.downloads import DOCX_MEDIA, downloaded
from app.models.base import ID_MAX
from app.models.material import (
    CandidatePublic,
    EvidenceItem,
    EvidenceItemPublic,
    EvidenceMerge,
    EvidenceUpdate,
    Material,
    MaterialCreate,
    MaterialPublic,
    MaterialSection,
    MaterialUpdate,
    MaterialVersion,
    MergeResultPublic,
    PublishRequest,
    SectionCreate,
    SectionPublic,
    SectionUpdate,
    SharedThemePublic,
    UsePublic,
    VersionDetail,
    VersionDiffPublic,
    VersionPublic,
    VersionStatus,
)
from app.models.network import ChangePage, Network, Page
from app.services import audit
from app.services.evidence.filters import ContributionFilter
from app.services.export import materials as material_export
from app.services.material import cross_group as cross_group_service
from app.services.material import diff as diff_service
from app.services.material import merge as merge_service
from app.services.material import provenance as provenance_service
from app.services.material import public
from app.services.material import reading as reading_service
from app.services.material import sources as source_service
from app.services.material import sync as material_sync
from app.services.material import versions as version_service
from app.services.material import views as view_service
from app.services.network import sync

router = APIRouter(prefix="/api/v1/networks/{network_id}/materials", tags=["materials"])


def _summary(session: SessionDep, network: Network, material: Material) -> MaterialPublic:
    for summary in reading_service.material_summaries(session=session, network=network):
        if summary.material.id == material.id:
            return public.material_public(summary)
    raise AssertionError("material vanished")  # pragma: no cover


def _detail(session: SessionDep, material: Material, version: MaterialVersion) -> VersionDetail:
    return public.version_detail(
        view_service.version_view(session=session, material=material, version=version)
    )


def _section(session: SessionDep, section: MaterialSection) -> SectionPublic:
    return public.section_public(view_service.section_view(session=session, section=section))


def _evidence(session: SessionDep, item: EvidenceItem) -> EvidenceItemPublic:
    return public.evidence_view_public(view_service.evidence_view(session=session, item=item))


# --- network-wide reads -----------------------------------------------------------------


@router.get("", responses=ERRORS)
def list_materials(
    network: ReadNetwork,
    session: SessionDep,
    published: Annotated[
        bool | None, Query(description="Only materials with (true) or without a published version.")
    ] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[MaterialPublic]:
    """List the network's materials with their newest, published and draft version numbers,
    in the order they changed, as a network's other lists (`deleted`: materials deleted
    since; a plain id as `after` is the deprecated id cursor)."""
    found = sync.materials(
        session=session, network=network, published=published, after=after, limit=limit
    )
    return page_of(found, lambda rows: [public.material_public(s) for s in rows])


@router.get("/cross-group", responses=ERRORS)
def cross_group(network: ReadNetwork, session: SessionDep) -> list[SharedThemePublic]:
    """Themes across the network's cafés, matched by name: the local groups that raised each,
    with counts by role, evidence type and kind; those raised by most groups first."""
    return [
        public.shared_theme_public(t)
        for t in cross_group_service.cross_group_themes(session=session, network=network)
    ]


@router.get("/candidates", responses=ERRORS)
def candidates(
    network: ReadNetwork,
    session: SessionDep,
    cafe_id: OptionalQueryId = None,
    group_id: OptionalQueryId = None,
    theme: Annotated[str | None, Query(max_length=80, description="A theme name.")] = None,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    evidence_type: Annotated[str | None, Query(max_length=20)] = None,
    role: Annotated[str | None, Query(max_length=20)] = None,
    after: After = None,
    limit: Limit = 50,
) -> Page[CandidatePublic]:
    """Visible contributions from the network's cafés that can be merged, with provenance,
    after a contribution id (`next_cursor`). Not on the network's change numbers: they are
    the cafés' contributions, each café numbering its own changes; to follow changes to
    them, sync each café's contributions (`GET /api/v1/cafes/{id}/contributions`)."""
    page = merge_service.merge_candidates(
        session=session,
        network=network,
        filters=ContributionFilter(
            cafe_id=cafe_id,
            group_id=group_id,
            theme_name=theme or None,
            kind=kind or None,
            evidence_type=evidence_type or None,
            role=role or None,
        ),
        after=after,
        limit=limit,
    )
    return page_of(
        (page.items, page.next_cursor), lambda rows: [public.candidate_public(c) for c in rows]
    )


@router.get("/evidence", responses=ERRORS)
def evidence_items(
    network: ReadNetwork,
    session: SessionDep,
    contribution_id: Annotated[
        int | None,
        Query(ge=1, le=ID_MAX, description="Only items made from this contribution."),
    ] = None,
    material_id: OptionalQueryId = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[EvidenceItemPublic]:
    """Evidence items across the network's materials, e.g. everywhere a contribution was
    used, in the order they changed (merged, paraphrased, redacted, their source's mark);
    `deleted`: items taken out, or deleted with their section or material. What has become
    of a source now (`source_now`) is read live from its café, not a change here."""
    found = material_sync.network_evidence(
        session=session,
        network=network,
        contribution_id=contribution_id,
        material_id=material_id,
        after=after,
        limit=limit,
    )
    live = source_service.live_sources(session=session, items=found.rows)
    return page_of(
        found, lambda rows: [public.evidence_public(i, source_now=live[i.id]) for i in rows]
    )


@router.get("/uses", responses=ERRORS)
def uses(network: ReadNetwork, session: SessionDep, contribution_id: QueryId) -> list[UsePublic]:
    """Where a contribution was used: material, version and section of each evidence item."""
    return [
        public.use_public(u)
        for u in provenance_service.uses_of_contribution(
            session=session, network=network, contribution_id=contribution_id
        )
    ]


# --- materials ----------------------------------------------------------------------------


@router.post("", status_code=201, responses=ERRORS)
def create_material(
    body: MaterialCreate, network: WriteNetwork, session: SessionDep, now: NowDep
) -> MaterialPublic:
    """Create a material; version 1 is a draft with the given sections or imported Markdown."""
    material = version_service.create_material(session=session, network=network, data=body, now=now)
    return _summary(session, network, material)


@router.post("/import", status_code=201, responses=ERRORS)
def import_material(
    network: WriteNetwork,
    session: SessionDep,
    now: NowDep,
    file: Annotated[UploadFile, File(description="A .md or .docx file.")],
    title: Annotated[str, Form(max_length=200)] = "",
) -> MaterialPublic:
    """Create a material from a Markdown or Word file: its headings become sections."""
    imported = imported_file(file)
    material = version_service.create_material(
        session=session,
        network=network,
        data=MaterialCreate(title=title.strip() or imported.title, sections=imported.sections),
        now=now,
    )
    return _summary(session, network, material)


@router.get("/{material_id:int}", responses=ERRORS)
def read_material(
    material: ReadMaterial, network: ReadNetwork, session: SessionDep
) -> MaterialPublic:
    """Read a material with its newest, published and draft version numbers."""
    return _summary(session, network, material)


@router.patch("/{material_id:int}", responses=ERRORS)
def rename_material(
    body: MaterialUpdate,
    material: WriteMaterial,
    network: WriteNetwork,
    session: SessionDep,
    now: NowDep,
) -> MaterialPublic:
    """Change a material's title."""
    version_service.rename_material(session=session, material=material, title=body.title, now=now)
    return _summary(session, network, material)


@router.delete("/{material_id:int}", status_code=204, responses=ERRORS)
def delete_material(
    material: WriteMaterial, session: SessionDep, settings: SettingsDep
) -> Response:
    """Delete a material that has never been published (409 once a version is published)."""
    version_service.delete_material(
        session=session, material=material, media_dir=settings.media_dir
    )
    return Response(status_code=204)


# --- versions -----------------------------------------------------------------------------


@router.get("/{material_id:int}/versions", responses=ERRORS)
def list_versions(
    material: ReadMaterial,
    session: SessionDep,
    status: Annotated[
        VersionStatus | None, Query(description="Only draft or only published versions.")
    ] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[VersionPublic]:
    """List a material's versions in the order they changed: a new version, a draft
    published (a published version never changes again; a draft's sections are their own
    list). Versions go only with their material, so `deleted` stays empty. Deprecated: a
    version number as `after` reads in number order after it, as before."""
    found = material_sync.versions(
        session=session,
        material=material,
        status=status.value if status else None,
        after=after,
        limit=limit,
    )
    return page_of(found, lambda rows: [public.version_public(v) for v in rows])


@router.post("/{material_id:int}/versions", status_code=201, responses=ERRORS)
def start_next_version(material: WriteMaterial, session: SessionDep, now: NowDep) -> VersionDetail:
    """Start the next version as a draft copy of the newest published one."""
    version = version_service.start_next_version(session=session, material=material, now=now)
    return _detail(session, material, version)


@router.get("/{material_id:int}/versions/{number}", responses=ERRORS)
def read_version(
    material: ReadMaterial, version: ReadVersion, session: SessionDep
) -> VersionDetail:
    """A whole version: sections, easy-read texts and evidence items with full provenance."""
    return _detail(session, material, version)


@router.get(
    "/{material_id:int}/versions/{number}/export",
    responses={
        **ERRORS,
        200: {
            "content": {
                "application/json": {},
                "text/markdown": {},
                DOCX_MEDIA: {},
            },
            "description": "The version as JSON, Markdown or DOCX.",  # not shown to people
        },
    },
    response_model=None,
)
def export_version(
    material: ReadMaterial,
    version: ReadVersion,
    who: ApiReader,
    db: DatabaseDep,
    session: SessionDep,
    lang: ExportLang,
    format: Literal["json", "md", "docx"] = "json",
    edition: Literal["standard", "easy_read"] = "standard",
) -> Response:
    """Download a version as JSON (with provenance), Markdown or DOCX; `edition=easy_read`
    gives the easy-read edition. Each export is in the audit log."""
    view = view_service.version_view(session=session, material=material, version=version)
    material_export.record_export(
        db=db,
        session=session,
        actor=audit.facilitator(who),
        material=material,
        version=version,
        detail=f"{format}, {edition.replace('_', ' ')}",
    )
    return downloaded(
        material_export.export_version(
            view=view, fmt=format, easy_read=edition == "easy_read", lang=lang
        )
    )


@router.post("/{material_id:int}/versions/{number}/publish", responses=ERRORS)
def publish_version(
    material: WriteMaterial,
    version: WriteVersion,
    session: SessionDep,
    now: NowDep,
    body: PublishRequest | None = None,
) -> VersionDetail:
    """Publish a draft: from then on it never changes (409 if it is already published)."""
    version_service.publish_version(
        session=session, version=version, note=(body or PublishRequest()).note, now=now
    )
    return _detail(session, material, version)


@router.get("/{material_id:int}/diff", responses=ERRORS)
def diff_versions(
    material: ReadMaterial,
    session: SessionDep,
    from_version: Annotated[int, Query(alias="from", ge=1)],
    to_version: Annotated[int, Query(alias="to", ge=1)],
) -> VersionDiffPublic:
    """What changed between two versions: sections added, removed or changed (with a unified
    text diff), and evidence added or removed, counted by local group."""
    return public.diff_public(
        diff_service.diff_versions(
            session=session, material=material, old_number=from_version, new_number=to_version
        )
    )


# --- sections -----------------------------------------------------------------------------

SECTIONS = "/{material_id:int}/versions/{number}/sections"


@router.get(SECTIONS, responses=ERRORS)
def list_sections(
    network: ReadNetwork,
    version: ReadVersion,
    session: SessionDep,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[SectionPublic]:
    """A version's sections, each with its evidence, in the order they changed (written,
    moved, their evidence merged, changed or taken out; sort by `position` to read them);
    `deleted`: sections removed since. Deprecated: a position as `after` reads in position
    order after it, as before."""
    found = material_sync.sections(
        session=session, network_id=network.id, version=version, after=after, limit=limit
    )
    return page_of(found, lambda rows: [_section(session, s) for s in rows])


@router.post(SECTIONS, status_code=201, responses=ERRORS)
def add_section(
    body: SectionCreate, version: WriteVersion, session: SessionDep, now: NowDep
) -> SectionPublic:
    """Add a section at the end of a draft version."""
    section = version_service.add_section(
        session=session,
        version=version,
        heading=body.heading,
        body_markdown=body.body_markdown,
        easy_read_text=body.easy_read_text,
        heading_cy=body.heading_cy,
        body_markdown_cy=body.body_markdown_cy,
        easy_read_text_cy=body.easy_read_text_cy,
        now=now,
    )
    return _section(session, section)


@router.get(SECTIONS + "/{section_id}", responses=ERRORS)
def read_section(section: ReadSection, session: SessionDep) -> SectionPublic:
    """Read one section with its evidence items."""
    return _section(session, section)


@router.patch(SECTIONS + "/{section_id}", responses=ERRORS)
def update_section(
    body: SectionUpdate, section: WriteSection, session: SessionDep, now: NowDep
) -> SectionPublic:
    """Change a draft section's heading, text or easy-read text, or move it to a position."""
    fields = body.model_dump(exclude_unset=True, exclude={"position"})
    if fields:
        version_service.update_section(
            session=session,
            section=section,
            heading=fields.get("heading") or section.heading,
            body_markdown=fields.get("body_markdown", section.body_markdown) or "",
            easy_read_text=fields.get("easy_read_text", section.easy_read_text) or "",
            # Absent keeps the Welsh heading; null or "" takes it away.
            heading_cy=fields.get("heading_cy", section.heading_cy) or "",
            body_markdown_cy=fields.get("body_markdown_cy", section.body_markdown_cy) or "",
            easy_read_text_cy=fields.get("easy_read_text_cy", section.easy_read_text_cy) or "",
            now=now,
        )
    if body.position is not None:
        version_service.move_section(
            session=session, section=section, position=body.position, now=now
        )
    return _section(session, section)


@router.delete(SECTIONS + "/{section_id}", status_code=204, responses=ERRORS)
def delete_section(
    section: WriteSection, session: SessionDep, now: NowDep, settings: SettingsDep
) -> Response:
    """Remove a section and its evidence items from a draft version."""
    version_service.delete_section(
        session=session, section=section, now=now, media_dir=settings.media_dir
    )
    return Response(status_code=204)


# --- evidence items -------------------------------------------------------------------------

EVIDENCE = SECTIONS + "/{section_id}/evidence"


@router.get(EVIDENCE, responses=ERRORS)
def list_evidence(
    network: ReadNetwork,
    section: ReadSection,
    session: SessionDep,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[EvidenceItemPublic]:
    """A section's evidence items with provenance and what became of each source, in the
    order they changed (merged, paraphrased, redacted, their source's mark); `deleted`:
    items taken out since. `source_now` is read live from the café, not a change here."""
    found = material_sync.section_evidence(
        session=session, network_id=network.id, section=section, after=after, limit=limit
    )
    return page_of(
        found,
        lambda rows: [
            public.evidence_view_public(ev)
            for ev in view_service.evidence_views(session=session, section=section, items=rows)
        ],
    )


@router.post(EVIDENCE, status_code=201, responses=ERRORS)
def merge_evidence(
    body: EvidenceMerge,
    network: WriteNetwork,
    section: WriteSection,
    session: SessionDep,
    now: NowDep,
) -> MergeResultPublic:
    """Merge contributions, or whole themes, from any of the network's cafés into a draft
    section; each becomes an evidence item with its provenance copied."""
    result = merge_service.merge_evidence(
        session=session,
        network=network,
        section=section,
        contribution_ids=body.contribution_ids,
        theme_ids=body.theme_ids,
        paraphrase=body.paraphrase,
        now=now,
    )
    return MergeResultPublic(
        added=[public.evidence_public(i) for i in result.added], skipped=result.skipped
    )


@router.get(EVIDENCE + "/{item_id}", responses=ERRORS)
def read_evidence(item: ReadItem, session: SessionDep) -> EvidenceItemPublic:
    """Read one evidence item with its provenance."""
    return _evidence(session, item)


@router.patch(EVIDENCE + "/{item_id}", responses=ERRORS)
def update_evidence(
    body: EvidenceUpdate, item: WriteItem, session: SessionDep, now: NowDep
) -> EvidenceItemPublic:
    """Change an evidence item's paraphrase in a draft (the original words never change)."""
    merge_service.update_evidence_item(
        session=session, item=item, paraphrase=body.paraphrase, now=now
    )
    return _evidence(session, item)


@router.delete(EVIDENCE + "/{item_id}", status_code=204, responses=ERRORS)
def remove_evidence(item: WriteItem, session: SessionDep, now: NowDep) -> Response:
    """Take an evidence item out of a draft section (the contribution is not touched)."""
    merge_service.remove_evidence_item(session=session, item=item, now=now)
    return Response(status_code=204)
