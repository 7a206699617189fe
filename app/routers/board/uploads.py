"""Photos and voice notes: the upload (the code and the person checked before the body is read,
which is then read as it streams, refused at the first byte past a limit) and the file, for
people of its café only."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from fastapi import (
    APIRouter,
    HTTPException,
    Request,
    Response,
)
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.db import Database
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
    Phone,
    joined_person,
    read_phone,
    remembered,
    seat_now,
    whole_phone_page,
)
from app.i18n import _
from app.kit.multipart import UploadForm, read_upload
from app.kit.rendering import render_html
from app.kit.text import MESSAGE as CONTROL_MESSAGE
from app.kit.text import has_control
from app.live.announce import AnnounceDep
from app.live.board import announce_board
from app.live.fragments import compose_context
from app.live.hub import CafeEvent
from app.live.writer import sqlite_writer
from app.models.base import utcnow
from app.models.evidence import (
    MAX_TEXT,
    Contribution,
)
from app.security import CSRF_FIELD, CSRF_HEADER, csrf_valid, origin_allowed, request_is_htmx
from app.services import media as media_service
from app.services.board import cards as board_cards
from app.services.board import compose, drafts, posting
from app.services.cafe import cafes as cafe_service
from app.services.errors import DomainError, Invalid, NotFound

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
        raise HTTPException(403, _("This form was sent from another site, so it was refused."))
    # Who is sending, before a byte of the body is read: an unknown code counts against
    # guessing (and is held up past the allowance) as on the post route and the join page,
    # someone not in the café is refused, and a person of the café is never held up.
    await run_in_threadpool(read_phone, code, request, db, settings, now)
    form = await read_upload(request)
    try:
        supplied = request.headers.get(CSRF_HEADER) or form.fields.get(CSRF_FIELD)
        if not csrf_valid(request, supplied):
            raise HTTPException(403, _("This page has expired. Please reload it and try again."))
        upload = form.file
        if upload is None or form.size == 0:
            raise Invalid(_("Choose a photo or a voice note to add."))

        def attach() -> tuple[str, Contribution]:
            # The database is touched only now, after the body is in, and the write lock
            # only after the photo is cleaned: a slow upload never holds SQLite's lock.
            with db.read_session() as read:
                cafe = cafe_service.get_by_code(session=read, code=code)
                if cafe is None:
                    raise NotFound(_("We could not find a café with that code."))
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
        raise NotFound(_("There is nothing at this address."))
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
        raise NotFound(_("This file is no longer here."))
    label = "photo" if item.kind == "photo" else "voice-note"
    ext = path.suffix
    return FileResponse(
        path,
        media_type=item.content_type,
        headers={"Content-Disposition": f'inline; filename="{label}-{item.id}{ext}"'},
    )


# --- a new card with a photo or a voice note, from the compose form ----------------------

COMPOSE_FILES = ("photo", "voice")


@uploads.post("/p/{code}/compose")
async def compose_card(
    request: Request,
    code: str,
    settings: SettingsDep,
    db: DatabaseDep,
    now: NowDep,
    announce: AnnounceDep,
) -> Response:
    """Add a card to my table's board from the compose form (multipart): a photo and/or a
    voice note, the words a caption (optional then); a retry with the same client id stores
    no second card and no second file. 413/415 say why a file was refused."""
    if not origin_allowed(request, settings):
        raise HTTPException(403, _("This form was sent from another site, so it was refused."))
    # Who is sending, before a byte of the body is read (as `upload_media`).
    phone = await run_in_threadpool(read_phone, code, request, db, settings, now)
    blank = drafts.new_draft(phone.person)
    try:
        form = UploadForm(request.headers.get("content-type", ""), COMPOSE_FILES)
    except DomainError as exc:
        return _compose_answer(request, phone, now, blank, error=exc)
    try:
        await read_upload(
            request,
            max_files_size=media_service.PHOTO_MAX + media_service.VOICE_MAX,
            into=form,
        )
    except DomainError as exc:
        # Refused before the body's end: the words (sent before the files) come back
        # with the reason; the phone's script keeps the form as it was anyway.
        form.close()
        return _compose_answer(request, phone, now, _draft_of(form, blank), error=exc)
    try:
        supplied = request.headers.get(CSRF_HEADER) or form.fields.get(CSRF_FIELD)
        if not csrf_valid(request, supplied):
            raise HTTPException(403, _("This page has expired. Please reload it and try again."))
        draft = _draft_of(form, blank)
        try:
            if any(has_control(v) for values in form.lists.values() for v in values):
                # As every other form: refused, not quietly cleaned (`app.kit.text`).
                raise Invalid(CONTROL_MESSAGE)
            posted = await run_in_threadpool(_compose, db, settings, phone, form, draft)
        except DomainError as exc:
            return _compose_answer(request, phone, now, draft, error=exc)
    finally:
        form.close()
    if posted.created:
        contribution = posted.contribution
        await run_in_threadpool(
            announce_board,
            request,
            announce,
            contribution,
            CafeEvent.BOARD_CHANGED,
            audience=posted.audience or None,
        )
    if not request_is_htmx(request):
        anchor = "board" if posted.late else f"c-{posted.contribution.id}"
        return RedirectResponse(f"/p/{phone.cafe.code}#{anchor}", status_code=303)
    return _compose_answer(request, phone, now, None)


def _draft_of(form: UploadForm, blank: drafts.Draft) -> drafts.Draft:
    """The form's words and choices, to post or to give back with a refusal."""
    fields = form.fields
    themes = [int(t) for t in form.lists.get("themes", []) if t.isdigit() and len(t) < 10]
    written_in = fields.get("round", "")
    return drafts.Draft(
        client_id=fields.get("client_id", "")[:100] or blank.client_id,
        text=fields.get("text", "")[: 2 * MAX_TEXT],
        kind=fields.get("kind", "") or "idea",
        evidence_type=fields.get("evidence_type", ""),
        for_table=fields.get("for_table", "") == "true",
        theme_ids=themes[: posting.MAX_THEMES_PER_POST + 1],
        written_in=int(written_in) if written_in.isdigit() and 0 < int(written_in) < 1000 else None,
    )


def _compose(
    db: Database, settings: Settings, phone: Phone, form: UploadForm, draft: drafts.Draft
) -> posting.Posted:
    """Post the card: the retry check first (no file is cleaned for a card already made),
    then the files cleaned outside any transaction, then the card and its files' rows."""
    cafe, person = phone.cafe, phone.person
    uploads_sent = list(form.uploads.values())
    if uploads_sent:
        with db.read_session() as read:
            existing = compose.already_posted(
                session=read, person=person, client_id=draft.client_id
            )
        if existing is not None:
            return posting.Posted(existing, created=False)
    prepared = [media_service.prepare(source=u.file, size=u.size) for u in uploads_sent]  # type: ignore[arg-type]
    with Session(db.engine, expire_on_commit=False) as session, sqlite_writer(db):
        if not prepared:
            # No file chosen (a phone without the script sends the form this way too).
            return posting.post_contribution(
                session=session,
                cafe=cafe,
                person=person,
                client_id=draft.client_id,
                text=draft.text,
                kind=draft.kind,
                evidence_type=draft.evidence_type or None,
                for_table=draft.for_table,
                theme_ids=draft.theme_ids,
                now=utcnow(),
                written_in=draft.written_in,
            )
        return compose.post_with_media(
            session=session,
            media_dir=settings.media_dir,
            cafe=cafe,
            person=person,
            client_id=draft.client_id,
            text=draft.text,
            kind=draft.kind,
            evidence_type=draft.evidence_type or None,
            for_table=draft.for_table,
            theme_ids=draft.theme_ids,
            files=prepared,
            now=utcnow(),
            written_in=draft.written_in,
        ).posted


def _compose_answer(
    request: Request,
    phone: Phone,
    now: datetime,
    draft: drafts.Draft | None,
    *,
    error: DomainError | None = None,
) -> Response:
    """htmx (the phone's script): the board block, and after a refusal the form with the
    reason and the words as they were sent. Without the script: the page, with the form
    and the reason after a refusal."""
    status = error.status_code if error is not None else 200
    if draft is not None and error is not None:
        detail = error.detail
        if draft.text or draft.theme_ids:
            detail = _(
                "%(reason)s What you wrote is kept below; choose the photo or voice note again.",
                reason=detail,
            )
        draft = dataclasses.replace(draft, error=detail)
    cafe, person = phone.cafe, phone.person
    db: Database = request.app.state.db
    with db.read_session() as session:
        if request_is_htmx(request):
            rnd, table = seat_now(session, cafe, person)
            cards = board_cards.table_cards(session=session, cafe=cafe, rnd=rnd, table=table)
            board = board_cards.board_for(cards=cards, person=person)
            ctx = {
                "cafe": cafe,
                "person": person,
                "b": board,
                **compose_context(cafe, person, board, draft),
            }
            html = render_html("cafe/participant.html", ctx, conn=request, block="board")
            if error is not None:
                html += render_html(
                    "cafe/participant.html", {**ctx, "oob": True}, conn=request, block="compose"
                )
            return HTMLResponse(html, status_code=status, headers={"Vary": "HX-Request"})
        return whole_phone_page(request, session, phone, now, draft=draft, status_code=status)
