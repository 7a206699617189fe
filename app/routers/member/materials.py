"""A member's materials: each version the lead gave their group (or the whole network), in
three editions (standard text, easy read with pictures, listen: recordings or the phone's own
speech), and the audio edition as a download. Nothing here needs JavaScript but reading
aloud, which is hidden without it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from app.deps.common import CsrfDep, RowId, SessionDep, SettingsDep
from app.deps.member import DeviceMemberDep
from app.kit.rendering import render
from app.services.export import audio_edition
from app.services.export.formats import ZIP
from app.services.material import for_members as member_service
from app.services.material.for_members import EDITION_LABELS, Edition

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


def _no_access(request: Request) -> Response:
    return render(request, "member/no_access.html", {"stopped": False}, status_code=404)


@router.get("/me/materials/{publication_id}")
def material_page(
    request: Request,
    publication_id: RowId,
    member: DeviceMemberDep,
    session: SessionDep,
    edition: str = Edition.STANDARD,
) -> Response:
    """A material given to the member, in the edition they chose (standard, easy read or
    listen)."""
    if member is None:
        return _no_access(request)
    chosen = Edition(edition) if edition in Edition.__members__.values() else Edition.STANDARD
    publication = member_service.publication_for_member(
        session=session, member=member, publication_id=publication_id
    )
    shown = member_service.member_material(session=session, member=member, publication=publication)
    return render(
        request,
        "member/material.html",
        {"shown": shown, "edition": chosen, "editions": EDITION_LABELS},
    )


@router.get("/me/materials/{publication_id}/audio.zip")
def audio_download(
    request: Request,
    publication_id: RowId,
    member: DeviceMemberDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The audio edition of a material given to the member: its recordings and a playlist."""
    if member is None:
        return _no_access(request)
    publication = member_service.publication_for_member(
        session=session, member=member, publication_id=publication_id
    )
    shown = member_service.member_material(session=session, member=member, publication=publication)
    sections = [(s.section.heading, s.text, s.recording) for s in shown.sections]
    body = audio_edition.audio_zip(
        media_dir=settings.media_dir,
        title=shown.material.title,
        number=shown.version.number,
        sections=sections,
    )
    name = audio_edition.audio_filename(title=shown.material.title, number=shown.version.number)
    return StreamingResponse(
        body,
        media_type=ZIP.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
