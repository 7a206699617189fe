"""What a member does on their own page about what carries over: mark an action of theirs as
being done or done, and give feedback after a meeting they came to (the faces, a comment, a
voice note). A refused form shows the page again with the reason and what they had chosen."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.db import Database
from app.deps.common import CsrfDep, DatabaseDep, NowDep, RowId, SessionDep, SettingsDep
from app.deps.member import MEMBER_KEY, DeviceMemberDep, member_of_device
from app.i18n import _
from app.kit import text
from app.kit.forms import see_other
from app.kit.multipart import FORM_OVERHEAD, UploadForm
from app.kit.rendering import render
from app.models.base import utcnow
from app.models.evidence import MediaKind
from app.models.network import Member
from app.security import CSRF_FIELD, CSRF_HEADER, csrf_valid, origin_allowed
from app.services import media as media_service
from app.services.errors import DomainError, Invalid
from app.services.network import actions as action_service
from app.services.network import feedback as feedback_service
from app.services.network import follow_up
from app.services.network import meetings as meeting_service
from app.services.network import member_page as member_page_service
from app.services.privacy import retention

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])
# The feedback form checks Origin and its CSRF token itself: the shared CSRF dependency
# would parse the whole multipart body before the size limit could refuse it.
uploads = APIRouter(include_in_schema=False)


def _home(
    request: Request,
    session: Session,
    settings: Settings,
    member: Member,
    context: dict[str, Any],
    *,
    status_code: int,
) -> Response:
    """The member's page again, with what went wrong (or right) in one of these forms."""
    now = utcnow()
    home = member_page_service.member_home(
        session=session,
        member=member,
        now=now,
        base_url=settings.base_url,
        secret=settings.secret_key,
    )
    follow = follow_up.for_member(session=session, member=member, now=now)
    shown = {
        "when": meeting_service.describe_when,
        "day": retention.day,
        "home": home,
        "follow": follow,
        **context,
    }
    return render(request, "member/home.html", shown, status_code=status_code)


def _no_access(request: Request) -> Response:
    return render(request, "member/no_access.html", {"stopped": False}, status_code=404)


@router.post("/me/actions/{action_id}")
def mark_action(
    request: Request,
    action_id: RowId,
    member: DeviceMemberDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    status: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The member marks an action they own as being done, or done."""
    if member is None:
        return _no_access(request)
    try:
        action = action_service.member_action(session=session, member=member, action_id=action_id)
        action_service.mark_by_member(
            session=session, member=member, action=action, status=status, now=now
        )
    except DomainError as exc:
        session.rollback()
        context = {"action_error": exc.detail}
        return _home(request, session, settings, member, context, status_code=exc.status_code)
    return see_other("/me?done=actions#actions")


async def _read_form(request: Request) -> tuple[UploadForm, DomainError | None]:
    """The feedback form as it arrives, never more than a voice note's limit. A voice note
    of the wrong kind or too large stops the reading there; the fields sent before it (the
    faces and the comment come first in the form) are kept, to show again."""
    form = UploadForm(request.headers.get("content-type", ""))
    # No refusal on the declared length alone: the faces and the comment come before the
    # file, so reading on to the limit keeps them to show again; nothing past it is read.
    room = media_service.VOICE_MAX + FORM_OVERHEAD
    try:
        async for chunk in request.stream():
            form.parser.write(chunk[:room])  # the part up to the limit is still read
            room -= len(chunk)
            if room < 0:
                raise media_service.TooLarge(media_service.too_large_message(MediaKind.VOICE))
        form.parser.finalize()
    except DomainError as exc:
        return form, exc
    return form, None


@uploads.post("/me/feedback/{meeting_id}")
async def give_feedback(
    request: Request,
    meeting_id: RowId,
    settings: SettingsDep,
    db: DatabaseDep,
) -> Response:
    """The member's feedback on a meeting they came to: the faces, a comment and a voice
    note, all optional but one; sending again replaces what they sent."""
    if not origin_allowed(request, settings):
        raise HTTPException(403, _("This form was sent from another site, so it was refused."))
    member_id = await run_in_threadpool(_member_id, request, db)
    if member_id is None:
        return _no_access(request)
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        raise HTTPException(415, _("Send the feedback form as the page sends it."))
    form, refused = await _read_form(request)
    try:
        supplied = request.headers.get(CSRF_HEADER) or form.fields.get(CSRF_FIELD)
        if not csrf_valid(request, supplied):
            raise HTTPException(403, _("This page has expired. Please reload it and try again."))
        return await run_in_threadpool(
            _save_feedback, request, db, settings, member_id, meeting_id, form, refused
        )
    finally:
        form.close()


def _member_id(request: Request, db: Database) -> int | None:
    """Who this device is, before a byte of the form is read."""
    with db.read_session() as session:
        member = member_of_device(request, session, request.session.get(MEMBER_KEY))
        return member.id if member is not None else None


def _save_feedback(
    request: Request,
    db: Database,
    settings: Settings,
    member_id: int,
    meeting_id: int,
    form: UploadForm,
    refused: DomainError | None,
) -> Response:
    with Session(db.engine, expire_on_commit=False) as session:
        member = session.get(Member, member_id)
        if member is None:
            return _no_access(request)
        now = utcnow()
        fields = {k: v for k, v in form.fields.items() if k != CSRF_FIELD}
        values = {
            "scores": {k: v for k, v in fields.items() if k in feedback_service.SCALE_KEYS},
            "comment": fields.get("comment", ""),
        }
        try:
            meeting = feedback_service.meeting_for_feedback(
                session=session, member=member, meeting_id=meeting_id, now=now
            )
        except DomainError as exc:
            session.rollback()
            shown = {"follow_error": exc.detail}
            return _home(request, session, settings, member, shown, status_code=exc.status_code)
        try:
            if refused is not None:
                raise refused
            if any(text.has_control(v) for v in fields.values()):
                raise Invalid(
                    _("Your words hold characters we cannot keep. Please type them again.")
                )
            scores = feedback_service.check_scores(
                questions=feedback_service.questions_of(session=session, meeting=meeting),
                given=fields,
            )
            voice = None
            if form.file is not None and form.size > 0:
                voice = feedback_service.prepare_voice(source=form.file, size=form.size)  # type: ignore[arg-type]
            feedback_service.give_feedback(
                session=session,
                media_dir=settings.media_dir,
                member=member,
                meeting=meeting,
                scores=scores,
                comment=fields.get("comment", ""),
                voice=voice,
                now=now,
            )
        except DomainError as exc:
            session.rollback()
            context: dict[str, Any] = {
                "feedback_for": meeting_id,
                "feedback_error": exc.detail,
                "feedback_values": values,
            }
            return _home(request, session, settings, member, context, status_code=exc.status_code)
    return see_other(f"/me?thanks={meeting_id}#feedback-{meeting_id}")
