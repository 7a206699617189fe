"""JSON API for giving a published version to members (a local group or the whole network)
and for the files of a version's easy-read and audio editions: a picture per section (with
its description) and a recording per section, and the audio edition as a zip.

Files are sent as `multipart/form-data` with the file in the field `file`; they are checked
by their content (413 past the size limit, 415 for another kind of file), pictures encoded
again from their pixels alone and recordings stripped of their tags."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from app import i18n
from app.deps.common import (
    ApiReader,
    DatabaseDep,
    ExportLang,
    NowDep,
    RowId,
    SessionDep,
    SettingsDep,
)
from app.deps.material import (
    ERRORS,
    ReadMaterial,
    ReadSection,
    ReadVersion,
    WriteMaterial,
    WriteSection,
    WriteVersion,
)
from app.deps.network import Cursor, Limit, WriteNetwork, page_of
from app.i18n import _
from app.kit.multipart import UploadRefused, read_upload_keeping_fields
from app.models.base import ID_MAX, utcnow
from app.models.material import MaterialSection
from app.models.material_editions import (
    PublicationCreate,
    PublicationPublic,
    SectionFile,
    SectionFileKind,
    SectionFilePublic,
)
from app.models.network import ChangePage
from app.services import audit
from app.services.errors import Invalid
from app.services.export import audio_edition
from app.services.export import materials as material_export
from app.services.export.formats import ZIP
from app.services.material import editions
from app.services.material import for_members as member_service
from app.services.material import sync as material_sync

router = APIRouter(prefix="/api/v1/networks/{network_id}/materials", tags=["materials"])

VERSION = "/{material_id:int}/versions/{number}"
SECTION = VERSION + "/sections/{section_id}"

UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    413: {
        "description": "The file is larger than its kind allows "  # not shown to people
        "(pictures 8 MB, recordings 10 MB)."
    },
    415: {
        "description": "Not a picture (JPEG, PNG, WebP) "  # not shown to people
        "or a recording (WebM, Ogg, M4A, MP3, "
        "WAV), or it does not read as one all through."
    },
}


def _multipart(*, alt_text: bool) -> dict[str, object]:
    properties: dict[str, object] = {"file": {"type": "string", "format": "binary"}}
    if alt_text:
        properties["alt_text"] = {
            "type": "string",
            "maxLength": 300,
            "description": "What the picture shows, "  # not shown to people
            "for people who cannot see it (required).",
        }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "alt_text"] if alt_text else ["file"],
                        "properties": properties,
                    }
                }
            },
        }
    }


def file_public(item: SectionFile) -> SectionFilePublic:
    return SectionFilePublic(
        id=item.id,
        section_id=item.section_id,
        kind=item.kind,
        content_type=item.content_type,
        size=item.size,
        alt_text=item.alt_text,
        created_at=item.created_at,
    )


# --- for members --------------------------------------------------------------------------


@router.get("/{material_id:int}/publications", responses=ERRORS)
def list_publications(
    material: ReadMaterial,
    session: SessionDep,
    group_id: Annotated[
        int | None,
        Query(ge=0, le=ID_MAX, description="Only this local group's; 0: the whole network's."),
    ] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[PublicationPublic]:
    """Who each version of a material was given to (a local group or the whole network), in
    the order they were made; a publication never changes: giving an audience another
    version replaces theirs (`deleted`: the old one's id, and those withdrawn or gone with
    their group)."""
    found = material_sync.publications(
        session=session, material=material, group_id=group_id, after=after, limit=limit
    )
    return page_of(
        found,
        lambda rows: [
            member_service.publication_public(session=session, publication=p) for p in rows
        ],
    )


@router.post(VERSION + "/publications", status_code=201, responses=ERRORS)
def publish_for_members(
    network: WriteNetwork,
    material: WriteMaterial,
    version: WriteVersion,
    session: SessionDep,
    now: NowDep,
    body: PublicationCreate | None = None,
) -> PublicationPublic:
    """Give a published version to the members of a local group (`group_id`) or of the whole
    network (no `group_id`); it replaces what that audience had of this material (409 for a
    draft)."""
    publication = member_service.publish_for_members(
        session=session,
        network=network,
        material=material,
        version=version,
        group_id=(body or PublicationCreate()).group_id,
        now=now,
    )
    return member_service.publication_public(session=session, publication=publication)


@router.delete(
    "/{material_id:int}/publications/{publication_id}", status_code=204, responses=ERRORS
)
def withdraw_for_members(
    material: WriteMaterial, publication_id: RowId, session: SessionDep
) -> Response:
    """Take a version back from the members' pages (the version stays published)."""
    publication = member_service.get_publication(
        session=session, material=material, publication_id=publication_id
    )
    member_service.withdraw(session=session, publication=publication)
    return Response(status_code=204)


# --- pictures and recordings --------------------------------------------------------------


@router.get(SECTION + "/files", responses=ERRORS)
def list_files(section: ReadSection, session: SessionDep) -> list[SectionFilePublic]:
    """A section's picture and recording, if it has them."""
    return [file_public(f) for f in editions.files_of(session=session, section_ids=[section.id])]


async def _put(
    request: Request,
    section: MaterialSection,
    session: SessionDep,
    settings: SettingsDep,
    kind: SectionFileKind,
) -> SectionFilePublic:
    try:
        form = await read_upload_keeping_fields(request)
    except UploadRefused as refused:
        error = refused.error
        raise type(error)(editions.refusal_words(error, kind)) from None
    try:
        alt_text = form.fields.get("alt_text", "")

        def store() -> SectionFile:
            if kind == SectionFileKind.PICTURE:
                editions.clean_alt(alt_text)
            if form.file is None or form.size == 0:
                raise Invalid(_("Send the file in the field `file`."))
            prepared = editions.prepare(kind=kind, source=form.file, size=form.size)  # type: ignore[arg-type]
            return editions.attach(
                session=session,
                media_dir=settings.media_dir,
                section=section,
                kind=kind,
                prepared=prepared,
                alt_text=alt_text,
                now=utcnow(),
            )

        item = await run_in_threadpool(store)
    finally:
        form.close()
    return file_public(item)


@router.put(SECTION + "/picture", responses=UPLOAD_ERRORS, openapi_extra=_multipart(alt_text=True))
async def put_picture(
    request: Request, section: WriteSection, session: SessionDep, settings: SettingsDep
) -> SectionFilePublic:
    """Give a section its easy-read picture (JPEG, PNG or WebP, with `alt_text`); a new one
    replaces the old."""
    return await _put(request, section, session, settings, SectionFileKind.PICTURE)


@router.put(
    SECTION + "/recording", responses=UPLOAD_ERRORS, openapi_extra=_multipart(alt_text=False)
)
async def put_recording(
    request: Request, section: WriteSection, session: SessionDep, settings: SettingsDep
) -> SectionFilePublic:
    """Give a section its recording for the audio edition (WebM, Ogg, M4A, MP3 or WAV); a new
    one replaces the old."""
    return await _put(request, section, session, settings, SectionFileKind.RECORDING)


def _delete(
    section: MaterialSection, session: SessionDep, settings: SettingsDep, kind: SectionFileKind
) -> Response:
    editions.remove(
        session=session, media_dir=settings.media_dir, section=section, kind=kind, now=utcnow()
    )
    return Response(status_code=204)


@router.delete(SECTION + "/picture", status_code=204, responses=ERRORS)
def delete_picture(section: WriteSection, session: SessionDep, settings: SettingsDep) -> Response:
    """Take a section's picture away (204 also when it had none)."""
    return _delete(section, session, settings, SectionFileKind.PICTURE)


@router.delete(SECTION + "/recording", status_code=204, responses=ERRORS)
def delete_recording(section: WriteSection, session: SessionDep, settings: SettingsDep) -> Response:
    """Take a section's recording away (204 also when it had none)."""
    return _delete(section, session, settings, SectionFileKind.RECORDING)


@router.get(
    VERSION + "/audio",
    responses={
        **ERRORS,
        200: {
            "content": {ZIP.media_type: {}},
            "description": "The recordings and a playlist.",  # not shown to people
        },
    },
    response_class=StreamingResponse,
)
def audio_download(
    material: ReadMaterial,
    version: ReadVersion,
    who: ApiReader,
    db: DatabaseDep,
    session: SessionDep,
    settings: SettingsDep,
    lang: ExportLang,
) -> StreamingResponse:
    """The audio edition as a zip: each section's recording in order, an .m3u playlist and the
    words read (404 when no section has a recording), in `lang`: each section's heading and
    words in Welsh where the lead wrote them in Welsh. Each download is in the audit log."""
    with i18n.speaking(lang) as chosen:
        body = audio_edition.audio_zip(
            media_dir=settings.media_dir,
            title=material.title,
            number=version.number,
            sections=member_service.lead_sections(session=session, version=version, lang=chosen),
        )
    material_export.record_export(
        db=db,
        session=session,
        actor=audit.facilitator(who),
        material=material,
        version=version,
        detail="audio edition",
    )
    name = audio_edition.audio_filename(title=material.title, number=version.number)
    return StreamingResponse(
        body,
        media_type=ZIP.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
