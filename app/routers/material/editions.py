"""The lead's pages for a version's easy-read pictures and recordings (upload, remove), its
audio edition as a download, and giving it to members (a local group or the whole network)
or taking it back; and the files themselves, for the lead and the members given them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from app import i18n
from app.deps.common import (
    CsrfDep,
    DatabaseDep,
    NowDep,
    RowId,
    SessionDep,
    SettingsDep,
    facilitator_id_if_signed_in,
)
from app.deps.material import LeadSection
from app.deps.material_pages import VERSION, LeadVersionPage, VersionPage
from app.deps.member import DeviceMemberDep
from app.i18n import N_, _
from app.kit.forms import refusal
from app.kit.multipart import UploadRefused, read_upload_keeping_fields
from app.models.base import utcnow
from app.models.material import MaterialSection
from app.models.material_editions import SectionFileKind
from app.security import CSRF_FIELD, CSRF_HEADER, csrf_valid, origin_allowed
from app.services import audit
from app.services.errors import DomainError, Invalid, NotFound
from app.services.export import audio_edition
from app.services.export import materials as material_export
from app.services.export.formats import ZIP
from app.services.material import editions
from app.services.material import for_members as member_service

router = APIRouter(prefix=VERSION, include_in_schema=False, dependencies=[CsrfDep])
# Uploads check Origin and the CSRF token themselves: the shared CSRF dependency would parse
# the whole multipart body before the size limit could refuse it.
uploads = APIRouter(prefix=VERSION, include_in_schema=False)
files = APIRouter(include_in_schema=False)

SECTION = "/sections/{section_id}"
KINDS = {"picture": SectionFileKind.PICTURE, "recording": SectionFileKind.RECORDING}
DONE = {
    SectionFileKind.PICTURE: N_("The picture was added to “%(heading)s”."),
    SectionFileKind.RECORDING: N_("The recording was added to “%(heading)s”."),
}


async def _upload(
    request: Request,
    page: VersionPage,
    section: MaterialSection,
    kind: SectionFileKind,
    settings: SettingsDep,
) -> Response:
    if not origin_allowed(request, settings):
        raise HTTPException(403, _("This form was sent from another site, so it was refused."))
    anchor = f"section-{section.id}"
    kept = {"section_id": section.id, "kind": kind.value}
    try:
        form = await read_upload_keeping_fields(request)
    except UploadRefused as refused:
        # What was typed (the picture's description) is shown again with the message.
        kept["alt_text"] = refused.fields.get("alt_text", "")
        page.session.rollback()
        return await run_in_threadpool(
            page.show,
            error=editions.refusal_words(refused.error, kind),
            status_code=refused.error.status_code,
            kept=kept,
        )
    try:
        supplied = request.headers.get(CSRF_HEADER) or form.fields.get(CSRF_FIELD)
        if not csrf_valid(request, supplied):
            raise HTTPException(403, _("This page has expired. Please reload it and try again."))
        alt_text = form.fields.get("alt_text", "")
        kept["alt_text"] = alt_text

        def store() -> None:
            if kind == SectionFileKind.PICTURE:
                editions.clean_alt(alt_text)  # before the slow part: the picture waits
            upload = form.file
            if upload is None or form.size == 0:
                raise Invalid(
                    _("Choose a picture to add.")
                    if kind == SectionFileKind.PICTURE
                    else _("Choose a recording to add.")
                )
            prepared = editions.prepare(kind=kind, source=upload, size=form.size)  # type: ignore[arg-type]
            editions.attach(
                session=page.session,
                media_dir=settings.media_dir,
                section=section,
                kind=kind,
                prepared=prepared,
                alt_text=alt_text,
                now=utcnow(),
            )

        try:
            await run_in_threadpool(store)
        except DomainError as exc:
            shown = refusal(page.session, exc)
            return await run_in_threadpool(page.show, kept=kept, **shown)
    finally:
        form.close()
    page.notice(_(DONE[kind], heading=section.heading))
    return page.back(anchor)


@uploads.post(SECTION + "/picture")
async def upload_picture(
    request: Request, page: LeadVersionPage, section: LeadSection, settings: SettingsDep
) -> Response:
    return await _upload(request, page, section, SectionFileKind.PICTURE, settings)


@uploads.post(SECTION + "/recording")
async def upload_recording(
    request: Request, page: LeadVersionPage, section: LeadSection, settings: SettingsDep
) -> Response:
    return await _upload(request, page, section, SectionFileKind.RECORDING, settings)


def _remove(
    page: VersionPage, section: MaterialSection, kind: SectionFileKind, settings: SettingsDep
) -> Response:
    removed = editions.remove(
        session=page.session,
        media_dir=settings.media_dir,
        section=section,
        kind=kind,
        now=utcnow(),
    )
    picture = kind == SectionFileKind.PICTURE
    if removed:
        done = (
            N_("The picture of “%(heading)s” was removed.")
            if picture
            else N_("The recording of “%(heading)s” was removed.")
        )
    else:
        done = (
            N_("“%(heading)s” has no picture.")
            if picture
            else N_("“%(heading)s” has no recording.")
        )
    page.notice(_(done, heading=section.heading))
    return page.back(f"section-{section.id}")


@router.post(SECTION + "/picture/remove")
def remove_picture(page: LeadVersionPage, section: LeadSection, settings: SettingsDep) -> Response:
    return _remove(page, section, SectionFileKind.PICTURE, settings)


@router.post(SECTION + "/recording/remove")
def remove_recording(
    page: LeadVersionPage, section: LeadSection, settings: SettingsDep
) -> Response:
    return _remove(page, section, SectionFileKind.RECORDING, settings)


@router.post("/members")
def publish_for_members(
    page: LeadVersionPage,
    now: NowDep,
    audience: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    group_id: int | None = None
    try:
        if audience == "network":
            group_id = None
        elif audience.isdigit() and 0 < int(audience) < 2**31:
            group_id = int(audience)
        else:
            raise Invalid(
                _("Choose who this version is for: one local group or the whole network.")
            )
        publication = member_service.publish_for_members(
            session=page.session,
            network=page.network,
            material=page.material,
            version=page.version,
            group_id=group_id,
            now=now,
        )
    except DomainError as exc:
        return page.show(**refusal(page.session, exc), kept={"audience": audience})
    who = member_service.audience(session=page.session, publication=publication)
    page.notice(
        _(
            "Version %(number)s is now on the members' pages: %(audience)s.",
            number=page.version.number,
            audience=who,
        )
    )
    return page.back("for-members")


@router.post("/members/{publication_id}/withdraw")
def withdraw_for_members(page: LeadVersionPage, publication_id: RowId) -> Response:
    try:
        publication = member_service.get_publication(
            session=page.session, material=page.material, publication_id=publication_id
        )
        who = member_service.audience(session=page.session, publication=publication)
        member_service.withdraw(session=page.session, publication=publication)
    except DomainError as exc:
        return page.show(**refusal(page.session, exc))
    page.notice(_("Taken back from the members' pages (%(audience)s).", audience=who))
    return page.back("for-members")


@router.get("/audio.zip")
def audio_download(page: LeadVersionPage, db: DatabaseDep, settings: SettingsDep) -> Response:
    body = audio_edition.audio_zip(
        media_dir=settings.media_dir,
        title=page.material.title,
        number=page.version.number,
        sections=member_service.lead_sections(
            session=page.session, version=page.version, lang=i18n.current()
        ),
    )
    material_export.record_export(
        db=db,
        session=page.session,
        actor=audit.facilitator(page.facilitator),
        material=page.material,
        version=page.version,
        detail="audio edition",
    )
    name = audio_edition.audio_filename(title=page.material.title, number=page.version.number)
    return StreamingResponse(
        body,
        media_type=ZIP.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@files.get("/material-files/{file_id}")
def material_file(
    request: Request,
    file_id: RowId,
    session: SessionDep,
    settings: SettingsDep,
    member: DeviceMemberDep,
    now: NowDep,
) -> Response:
    """A section's picture or recording: for its network's lead, and for the members the
    version was given to."""
    facilitator_id = facilitator_id_if_signed_in(request, session, now)
    item = None
    if facilitator_id is not None:
        try:
            item = editions.file_for_lead(
                session=session, facilitator_id=facilitator_id, file_id=file_id
            )
        except NotFound:
            item = None
    if item is None:
        if member is None:
            raise NotFound(_("There is nothing at this address."))
        item = member_service.file_for_member(session=session, member=member, file_id=file_id)
    path = editions.file_path(media_dir=settings.media_dir, item=item)
    return FileResponse(
        path,
        media_type=item.content_type,
        headers={
            "Content-Disposition": f'inline; filename="{item.kind}-{item.id}{path.suffix}"',
            "Cache-Control": "private, max-age=3600",
        },
    )
