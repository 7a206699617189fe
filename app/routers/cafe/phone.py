"""Phones: join by code, the participant page, free table choice, leaving."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.config import Settings
from app.deps.common import CsrfDep, DatabaseDep, NowDep, SessionDep, SettingsDep
from app.deps.phone import (
    CafeByCode,
    draw_phone_page,
    phone_extras,
    remember,
    remembered,
    with_cafe,
)
from app.i18n import _
from app.kit.forms import refusal
from app.kit.rendering import render
from app.live.announce import AnnounceDep, Announcer
from app.live.forecasts import plan_ahead
from app.live.fragments import board_context
from app.live.hub import CafeEvent
from app.live.reads import page_session
from app.live.writer import sqlite_writer
from app.models.base import ID_MAX
from app.models.cafe import Cafe, CafeStatus, Participant
from app.services import audit
from app.services.cafe import participants as participant_service
from app.services.cafe import seating as seating_service
from app.services.cafe import state as state_service
from app.services.errors import Conflict, DomainError, Invalid
from app.services.material import consent as consent_service
from app.services.network import invites as invite_service
from app.services.privacy import erasure

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


def _join_form(
    request: Request,
    cafe: Cafe,
    *,
    host: str | None = None,
    error: str | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
    invite: str | None = None,
    person: Participant | None = None,
    join_key: str = "",
) -> Response:
    context = {
        "cafe": cafe,
        "host": host,
        "error": error,
        "values": values or {},
        "invite": invite,
        "person": person,
        # Names the person this form makes, so sending it again does not make another.
        "join_key": join_key or secrets.token_urlsafe(16),
    }
    return render(request, "cafe/join.html", context, status_code=status_code)


@router.get("/j/{code}")
async def join_page(
    request: Request,
    code: str,
    db: DatabaseDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    host: str | None = None,
    invite: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """A read and a form: found and drawn in one go where it costs least (`with_cafe`)."""

    def draw(cafe: Cafe) -> Response:
        return _join_page(request, cafe, session, settings, host, invite)

    return await with_cafe(code, request, db, settings, now, draw)


def _join_page(
    request: Request,
    cafe: Cafe,
    session: Session,
    settings: Settings,
    host: str | None,
    invite: str | None,
) -> Response:
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict(
            _("This café has closed, so the code no longer works. Thank you for taking part.")
        )
    me = remembered(request, session, cafe)
    if me is not None and not host:
        return RedirectResponse(f"/p/{cafe.code}", status_code=303)
    if me is not None and host:
        # Already in: the host link makes this person the host, after asking.
        return _join_form(request, cafe, host=host, person=me)
    # A network member's personal invite: kept through the form, their role pre-selected.
    member = (
        invite_service.read_invite(
            session=session, cafe=cafe, token=invite, secret=settings.secret_key
        )
        if invite
        else None
    )
    if member is None:
        return _join_form(request, cafe, host=host)
    return _join_form(request, cafe, host=host, invite=invite, values={"role": member.role})


@router.post("/j/{code}")
async def join(
    request: Request,
    code: str,
    db: DatabaseDep,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    settings: SettingsDep,
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    cannot_move: Annotated[bool, Form()] = False,
    large_text: Annotated[bool, Form()] = False,
    easy_read: Annotated[bool, Form()] = False,
    host: Annotated[str, Form(max_length=40)] = "",
    invite: Annotated[str, Form(max_length=300)] = "",
    join_key: Annotated[str, Form(max_length=64)] = "",
    evidence_consent: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Join the café as a new person (or the same one, when the form is sent again)."""

    def join_as_new(cafe: Cafe) -> Response:
        # The whole join is one turn with SQLite's writer lock (app/live/writer.py), taken and
        # given back in this one thread: the lock is never held while waiting for a thread.
        with sqlite_writer(request.app.state.db):
            existing = remembered(request, session, cafe)
            if existing is not None and not host:
                # A second tap on "Join" or a re-sent form: the same person, not a new one.
                return RedirectResponse(f"/p/{cafe.code}", status_code=303)
            if existing is not None:
                return _become_host(request, session, cafe, existing, host, announce, settings)
            values = {
                "display_name": display_name,
                "role": role,
                "cannot_move": cannot_move,
                "large_text": large_text,
                "easy_read": easy_read,
                "evidence_consent": evidence_consent,
            }
            try:
                person = participant_service.join(
                    session=session,
                    cafe=cafe,
                    display_name=display_name,
                    role=role or None,
                    cannot_move=cannot_move,
                    large_text=large_text,
                    easy_read=easy_read,
                    now=now,
                    host_token=host or None,
                    join_key=join_key or None,
                    # Only an explicit yes: no choice is a no.
                    evidence_consent=evidence_consent == "yes",
                )
            except DomainError as exc:
                return _join_form(
                    request,
                    cafe,
                    host=host or None,
                    values=values,
                    invite=invite or None,
                    join_key=join_key,
                    **refusal(session, exc),
                )
            remember(request, cafe, person)
            if invite:
                invite_service.accept_invite(
                    session=session,
                    cafe=cafe,
                    participant=person,
                    token=invite,
                    secret=settings.secret_key,
                )
            announce.staff(cafe.id, CafeEvent.PARTICIPANT_JOINED, participant_id=person.id)
            # The next seating now has one more person in it.
            plan_ahead(announce, settings, request.app.state.db, cafe)
            return RedirectResponse(f"/p/{cafe.code}", status_code=303)

    # Found and written in one worker thread (`with_cafe`), one hop, not two.
    return await with_cafe(code, request, db, settings, now, join_as_new, writes=True)


def _become_host(
    request: Request,
    session: SessionDep,
    cafe: Cafe,
    person: Participant,
    host: str,
    announce: Announcer,
    settings: Settings,
) -> Response:
    """Someone already in the café opened a host link and said yes: they host that table."""
    try:
        participant_service.take_host_link(
            session=session, cafe=cafe, person=person, host_token=host
        )
    except DomainError as exc:
        return _join_form(request, cafe, host=host, person=person, **refusal(session, exc))
    announce.cafe(cafe.id, CafeEvent.SEATING_CHANGED, participant_id=person.id)
    plan_ahead(announce, settings, request.app.state.db, cafe)
    return RedirectResponse(f"/p/{cafe.code}", status_code=303)


def _me(request: Request, session: SessionDep, cafe: Cafe) -> Participant | RedirectResponse:
    person = remembered(request, session, cafe)
    if person is None:
        return RedirectResponse(f"/j/{cafe.code}", status_code=303)
    return person


@router.get("/p/{code}")
async def participant_page(
    request: Request, code: str, db: DatabaseDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Every phone's first page after joining: found and drawn in one go (`with_cafe`)."""

    def draw(cafe: Cafe) -> Response:
        return _read_participant_page(request, cafe, now)

    return await with_cafe(code, request, db, settings, now, draw)


def _read_participant_page(request: Request, cafe: Cafe, now: datetime) -> Response:
    with page_session(request.app.state.db) as session:
        return _participant_page(request, cafe, session, now)


def _participant_page(request: Request, cafe: Cafe, session: Session, now: datetime) -> Response:
    # The person the join code's lookup found for this cookie (`cafe_from_code`), else read.
    known = getattr(request.state, "phone_person", None)
    person = known if known is not None else _me(request, session, cafe)
    if isinstance(person, RedirectResponse):
        return person
    state = state_service.person_state(
        session=session, cafe=cafe, person_id=person.id, now=now, known=person
    )
    view = state_service.participant_view(state=state, person=person, now=now)
    board = board_context(session, cafe, person, rnd=view.round, table=view.table)
    return draw_phone_page(
        request,
        cafe,
        view,
        block="now",
        **phone_extras(session, cafe, person, view, now),
        **board,
    )


@router.post("/p/{code}/table")
def choose_table(
    request: Request,
    cafe: CafeByCode,
    session: SessionDep,
    announce: AnnounceDep,
    table_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Sit at a table of my choice (free seating). Who is asking is settled before what
    they sent: a phone that has not joined is sent to join, whatever its form held."""
    person = _me(request, session, cafe)
    if isinstance(person, RedirectResponse):
        return person
    if not (table_id.isascii() and table_id.isdigit() and int(table_id) <= ID_MAX):
        raise Invalid(_("Choose one of the tables."))
    table = seating_service.choose_table(
        session=session, cafe=cafe, person=person, table_id=int(table_id)
    )
    announce.cafe(cafe.id, CafeEvent.SEATING_CHANGED, participant_id=person.id, table_id=table.id)
    return RedirectResponse(f"/p/{cafe.code}", status_code=303)


@router.post("/p/{code}/leave")
def leave(
    request: Request,
    cafe: CafeByCode,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    announce: AnnounceDep,
    erase: Annotated[bool, Form()] = False,
) -> Response:
    """Leave the café: the name goes; ticked, everything the person added goes too."""
    person = _me(request, session, cafe)
    if isinstance(person, RedirectResponse):
        return person
    person_id = person.id
    if erase:
        erasure.erase_participant(
            session=session,
            media_dir=settings.media_dir,
            cafe=cafe,
            person=person,
            actor=audit.participant(person_id),
            now=now,
        )
        announce.cafe(cafe.id, CafeEvent.BOARD_CHANGED)
    else:
        participant_service.leave(session=session, person=person, now=now)
    seats = dict(request.session.get("p", {}))
    seats.pop(str(cafe.id), None)
    request.session["p"] = seats
    announce.cafe(cafe.id, CafeEvent.SEATING_CHANGED, participant_id=person_id)
    return render(request, "cafe/left.html", {"cafe": cafe, "erased": erase})


@router.post("/p/{code}/consent")
def change_consent(
    request: Request,
    cafe: CafeByCode,
    session: SessionDep,
    now: NowDep,
    evidence_consent: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """'Use what I said after today': yes, or no (which takes their words out of every
    material at once)."""
    person = _me(request, session, cafe)
    if isinstance(person, RedirectResponse):
        return person
    if evidence_consent not in {"yes", "no"}:
        return _consent_refused(request, cafe, person, _("Choose yes or no."), 422)
    try:
        consent_service.set_participant_consent(
            session=session,
            person=person,
            consent=evidence_consent == "yes",
            now=now,
            actor=audit.participant(person.id),
        )
    except DomainError as exc:
        session.rollback()
        return _consent_refused(request, cafe, person, exc.detail, exc.status_code)
    return RedirectResponse(f"/p/{cafe.code}#consent", status_code=303)


def _consent_refused(
    request: Request, cafe: Cafe, person: Participant, error: str, status_code: int
) -> Response:
    return render(
        request,
        "cafe/consent.html",
        {"cafe": cafe, "person": person, "consent_error": error},
        status_code=status_code,
    )
