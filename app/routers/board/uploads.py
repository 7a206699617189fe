"""Photos and voice notes: the upload (the code and the person checked before the body is read,
which is then read as it streams, refused at the first byte past a limit) and the file, for
people of its café only."""

from __future__ import annotations

from fastapi import (
    APIRouter,
    HTTPException,
    Request,
    Response,
)
from fastapi.responses import FileResponse, RedirectResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.deps.common import (
    CsrfDep,
    DatabaseDep,
    NowDep,
    RowId,
    SessionDep,
    SettingsDep,
    facilitator_id_if_signed_in,
)
from app.deps.phone import (
    joined_person,
    read_phone,
    remembered,
)
from app.kit.multipart import read_upload
from app.live.announce import AnnounceDep
from app.live.board import announce_board
from app.live.hub import CafeEvent
from app.live.writer import sqlite_writer
from app.models.base import utcnow
from app.models.evidence import (
    Contribution,
)
from app.security import CSRF_FIELD, CSRF_HEADER, csrf_valid, origin_allowed
from app.services import media as media_service
from app.services.board import posting
from app.services.cafe import cafes as cafe_service
from app.services.errors import Invalid, NotFound

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])
# Uploads check Origin and the CSRF token themselves: the shared CSRF dependency would parse
# the whole multipart body before the size limit could refuse it.
uploads = APIRouter(include_in_schema=False)


@uploads.post("/p/{code}/contributions/{contribution_id}/media")
async def upload_media(
    request: Request,
    code: str,
    contribution_id: RowId,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
) -> Response:
    """Add a photo or a voice note to one of my contributions (one of each; a new one
    replaces the old)."""
    if not origin_allowed(request, settings):
        raise HTTPException(403, "This form was sent from another site, so it was refused.")
    # Who is sending, before a byte of the body is read: an unknown code counts against
    # guessing (and is held up past the allowance) as on the post route and the join page,
    # someone not in the café is refused, and a person of the café is never held up.
    await run_in_threadpool(read_phone, code, request, db, settings, now)
    form = await read_upload(request)
    try:
        supplied = request.headers.get(CSRF_HEADER) or form.fields.get(CSRF_FIELD)
        if not csrf_valid(request, supplied):
            raise HTTPException(403, "This page has expired. Please reload it and try again.")
        upload = form.file
        if upload is None or form.size == 0:
            raise Invalid("Choose a photo or a voice note to add.")

        def attach() -> tuple[str, Contribution]:
            # The database is touched only now, after the body is in, and the write lock
            # only after the photo is cleaned: a slow upload never holds SQLite's lock.
            with db.read_session() as read:
                cafe = cafe_service.get_by_code(session=read, code=code)
                if cafe is None:
                    raise NotFound("We could not find a café with that code.")
                person = joined_person(request, read, cafe)
                own = posting.own_contribution(
                    session=read, cafe=cafe, person=person, contribution_id=contribution_id
                )
                posting.check_changeable(session=read, cafe=cafe, contribution=own)
            prepared = media_service.prepare(source=upload, size=form.size)  # type: ignore[arg-type]
            with Session(db.engine, expire_on_commit=False) as session, sqlite_writer(db):
                item = media_service.attach(
                    session=session,
                    media_dir=settings.media_dir,
                    cafe=cafe,
                    person=person,
                    contribution_id=contribution_id,
                    prepared=prepared,
                    now=utcnow(),
                )
            assert item.contribution_id == own.id
            return cafe.code, own

        cafe_code, contribution = await run_in_threadpool(attach)
    finally:
        form.close()
    await run_in_threadpool(
        announce_board, request, announce, contribution, CafeEvent.BOARD_CHANGED
    )
    return RedirectResponse(f"/p/{cafe_code}#c-{contribution.id}", status_code=303)


@router.get("/media/{media_id}")
def media_file(
    request: Request, media_id: RowId, session: SessionDep, settings: SettingsDep
) -> Response:
    """A photo or voice note, for people of its café and its facilitator only."""
    found = media_service.media_of(session=session, media_id=media_id)
    if found is None:
        raise NotFound("There is nothing at this address.")
    item, contribution, cafe = found
    person = remembered(request, session, cafe)
    media_service.check_visible(
        session=session,
        contribution=contribution,
        cafe=cafe,
        facilitator_id=facilitator_id_if_signed_in(request, session, utcnow()),
        person=person,
    )
    path = media_service.safe_path(media_dir=settings.media_dir, relative=item.path)
    if path is None or not path.is_file():
        raise NotFound("This file is no longer here.")
    label = "photo" if item.kind == "photo" else "voice-note"
    ext = path.suffix
    return FileResponse(
        path,
        media_type=item.content_type,
        headers={"Content-Disposition": f'inline; filename="{label}-{item.id}{ext}"'},
    )
