"""The table board on phones, uploads, media, and moderation on the console and the API.

Phones post plain forms (they work without JavaScript: the answer is a redirect back to the
participant page) or the same forms through htmx (the answer is the board fragment). After
the service commits, the router announces the change and every phone at that table, and the
console, re-render their own view.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from tempfile import SpooledTemporaryFile
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from anyio import to_thread
from fastapi import (
    APIRouter,
    BackgroundTasks,
    Body,
    Form,
    HTTPException,
    Request,
    Response,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.db import Database
from app.deps.cafe import ERRORS, OwnedCafe, WriteCafe
from app.deps.common import CsrfDep, DatabaseDep, NowDep, SessionDep, SettingsDep
from app.deps.phone import (
    CafeByCode,
    Phone,
    PhoneDep,
    joined_person,
    read_phone,
    remembered,
    seat_now,
)
from app.kit.rendering import render, render_html
from app.live.announce import AnnounceDep, Announcer, announcer
from app.live.fragments import board_context, card_board, compose_context, new_page_id
from app.live.hub import CafeEvent, board_channel, participant_channel
from app.live.reads import NewCard, new_cards
from app.models.base import utcnow
from app.models.cafe import Cafe, Participant, Round
from app.models.evidence import (
    EVIDENCE_LABELS,
    KIND_LABELS,
    MAX_TEXT,
    Contribution,
    ModerationPublic,
    ModerationRequest,
)
from app.security import CSRF_FIELD, CSRF_HEADER, csrf_valid, origin_allowed, request_is_htmx
from app.services import board as board_service
from app.services import cafe as cafe_service
from app.services import media as media_service
from app.services.errors import DomainError, Invalid, NotFound

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])
# Uploads check Origin and the CSRF token themselves: the shared CSRF dependency would parse
# the whole multipart body before the size limit could refuse it.
uploads = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/cafes", tags=["contributions"])

T = TypeVar("T")


# --- context shared by the page, htmx answers and websocket pushes -------------------------


def _phone_answer(
    request: Request,
    phone: Phone,
    now: datetime,
    *,
    draft: board_service.Draft | None = None,
    error: str | None = None,
    status_code: int = 200,
    with_compose: bool = False,
    anchor: str = "board",
) -> Response:
    """htmx: the board block (and the form, when it was the form that was sent).
    Without JavaScript: back to the page after a success, the page with the message after a
    refusal."""
    htmx = request_is_htmx(request)
    cafe, person = phone.cafe, phone.person
    if not htmx and status_code < 400:
        return RedirectResponse(f"/p/{cafe.code}#{anchor}", status_code=303)
    db: Database = request.app.state.db
    # A session of its own: the write has committed, and drawing the answer must not hold
    # SQLite's write lock (the request's session would take it again for these reads).
    with db.read_session() as session:
        if htmx:
            rnd, table = seat_now(session, cafe, person)
            cards = board_service.table_cards(session=session, cafe=cafe, rnd=rnd, table=table)
            return _board_answer(
                request,
                phone,
                cards,
                draft=draft,
                error=error,
                status_code=status_code,
                with_compose=with_compose,
            )
        state = cafe_service.cafe_state(session=session, cafe=cafe, now=now)
        view = cafe_service.participant_view(state, person, now)
        return render(
            request,
            "participant.html",
            {
                "cafe": cafe,
                "v": view,
                "person": person,
                "page_id": new_page_id(),
                "board_error": error,
                **board_context(
                    session, cafe, person, rnd=view.round, table=view.table, draft=draft
                ),
            },
            status_code=status_code,
        )


def _board_answer(
    request: Request,
    phone: Phone,
    cards: board_service.TableCards,
    *,
    draft: board_service.Draft | None = None,
    error: str | None = None,
    status_code: int = 200,
    with_compose: bool = False,
    notice: str = "",
) -> Response:
    """The htmx answer: the board block, and the form when it was the form that was sent."""
    board = board_service.board_for(cards, phone.person)
    ctx = {
        "cafe": phone.cafe,
        "person": phone.person,
        "board_error": error,
        "board_notice": notice,
        "b": board,
        **compose_context(phone.cafe, phone.person, board, draft),
    }
    html = render_html("participant.html", ctx, conn=request, block="board")
    if with_compose:
        html += render_html("participant.html", {**ctx, "oob": True}, conn=request, block="compose")
    return HTMLResponse(html, status_code=status_code, headers={"Vary": "HX-Request"})


def _posted(
    request: Request,
    phone: Phone,
    announce: Announcer,
    posted: board_service.Posted,
    *,
    page: str = "",
) -> Response:
    """The answer to a new post and its announcement, with nothing read again.

    The new card goes to the phones at the table on its own (`card_added`); each puts it at
    the top of the board it shows. The author's htmx answer is the card too, put at the top
    of their board; the form clears itself on the phone. Without JavaScript: back to the page.
    """
    db: Database = request.app.state.db
    contribution = posted.contribution
    card = NewCard.of(phone.cafe, contribution, phone.person.display_name, posted.themes)
    new_cards.put(db, card)
    # A card waiting for pre-moderation is for its author and the facilitator only.
    audience = posted.audience if contribution.status == board_service.VISIBLE else []
    _announce_board(
        request, announce, contribution, CafeEvent.CARD_ADDED, audience=audience, page=page
    )
    if not request_is_htmx(request):
        anchor = "board" if posted.late else f"c-{contribution.id}"
        return RedirectResponse(f"/p/{phone.cafe.code}#{anchor}", status_code=303)
    if posted.late:
        # Written in an earlier round and sent only now: the board on the phone is another
        # one, so it is drawn again with a word on where the card went.
        with db.read_session() as session:
            rnd, table = seat_now(session, phone.cafe, phone.person)
            cards = board_service.table_cards(
                session=session, cafe=phone.cafe, rnd=rnd, table=table
            )
            written = session.get(Round, contribution.round_id)
        number = written.number if written is not None else "?"
        notice = f"Sent: it went to the board of round {number}, the round you wrote it in."
        return _board_answer(request, phone, cards, notice=notice)
    html = render_html(
        "_card_push.html",
        {
            "cafe": phone.cafe,
            "card": card.mine,
            "b": card_board(phone.cafe),
            "news": "Sent: your card is at the top of the board.",
        },
        conn=request,
    )
    return HTMLResponse(html, headers={"Vary": "HX-Request"})


# SQLite has one writer at a time. Writers that find the lock taken poll for it, sleeping up
# to 100 ms between tries, so under a burst of posts the lock sits idle while they sleep.
# Queuing this process's board writes here hands the lock straight from one to the next.
# (Re-entrant: a post run on the event loop holds it from before who is posting is read.)
_SQLITE_WRITER = threading.RLock()


def _writer(db: Database) -> contextlib.AbstractContextManager[Any]:
    return _SQLITE_WRITER if db.url.startswith("sqlite") else contextlib.nullcontext()


def _attempt(request: Request, session: Session, action: Callable[[], T]) -> T | DomainError:
    """Run one write of the board service; a refusal comes back as a value, rolled back."""
    with _writer(request.app.state.db):
        try:
            return action()
        except DomainError as exc:
            session.rollback()
            return exc


# Events that change what a phone's board shows (a safeguarding alert is for the console).
PHONE_BOARD_EVENTS = {
    CafeEvent.BOARD_CHANGED,
    CafeEvent.CARD_ADDED,
    CafeEvent.CONTRIBUTION_HIDDEN,
}


def _announce_board(
    request: Request,
    announce: Announcer,
    contribution: Contribution,
    *events: CafeEvent,
    audience: list[int] | None = None,
    token: str | None = None,
    page: str = "",
) -> None:
    """Tell the facilitator's views and the phones at the card's table, after the response.

    Board changes are frequent, so they do not go to the café channel, which every phone of
    the café hears: only the few people seated at that table are told, on their own channels.
    `audience` (those people) and `token` (the change's) may come from the caller's read;
    `page` names the page that posted a new card, whose own connection needs no copy of it.
    """
    if audience is None:
        db: Database = request.app.state.db
        with db.read_session() as session:
            audience = board_service.audience(session=session, contribution=contribution)
    token = token or secrets.token_hex(8)  # the phones at the table share one read per change
    for event in events:
        payload = {
            "type": str(event),
            "cafe_id": contribution.cafe_id,
            "table_id": contribution.table_id,
            "contribution_id": contribution.id,
            "board_seq": token,
        }
        if page and event == CafeEvent.CARD_ADDED:
            payload["page"] = page
        channels = [board_channel(contribution.cafe_id)]
        if event in PHONE_BOARD_EVENTS:
            channels += [participant_channel(pid) for pid in audience]
        announce.background.add_task(announce.hub.publish_many, channels, payload)


# --- phones -------------------------------------------------------------------------------


class PostForm(BaseModel):
    """A phone's new card, as its form sends it (one model: cheaper to read than six fields)."""

    client_id: str = PydanticField("", max_length=100)
    text: str = PydanticField("", max_length=4 * MAX_TEXT)
    kind: str = PydanticField("idea", max_length=40)
    evidence_type: str = PydanticField("", max_length=40)
    for_table: bool = False
    themes: list[int] = PydanticField([], max_length=board_service.MAX_THEMES_PER_POST)
    # The page the post was written on (`page_id`): its own live connection is not sent the
    # card the answer already put on the page.
    page: str = PydanticField("", max_length=32)
    # The round the page showed when the card was written: a card that waited on a phone
    # without a connection goes to that round's board.
    round: int | None = PydanticField(None, ge=1, le=1000)


_URLENCODED = "application/x-www-form-urlencoded"
_MAX_POST_FIELDS = 100  # a phone's form has six fields and a few themes


async def _read_post_form(request: Request) -> PostForm:
    """The phone's form. Its urlencoded body is read here in one pass (FastAPI's form
    parameters cost the busiest request about a tenth of its CPU); anything else a
    client sends goes through Starlette's parser, as does a form whose CSRF token is in the
    form itself (no header: `verify_csrf` has parsed it already). Errors answer as FastAPI's
    would."""
    urlencoded = request.headers.get("content-type", "").startswith(_URLENCODED)
    if urlencoded and request.headers.get(CSRF_HEADER) is not None:
        body = (await request.body()).decode("utf-8", "replace")
        try:
            pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=_MAX_POST_FIELDS)
        except ValueError:
            raise RequestValidationError(
                [{"loc": ("body",), "msg": "Too many fields", "type": "value_error"}]
            ) from None
    else:
        pairs = [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]
    fields: dict[str, Any] = {}
    themes: list[str] = []
    for key, value in pairs:
        if key == "themes":
            themes.append(value)
        elif key == "round" and not value:
            continue  # a page outside any round
        elif key in PostForm.model_fields:
            fields[key] = value
    if themes:
        fields["themes"] = themes
    try:
        return PostForm.model_validate(fields)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


@router.post("/p/{code}/contributions")
async def post_contribution(request: Request, code: str, background: BackgroundTasks) -> Response:
    """Add a contribution to my table's board; a retry with the same client id adds nothing.

    The busiest request there is, so it asks FastAPI for as little as it can: what the app
    holds (database, settings, the announcer) is taken from the app itself, not through a
    dependency each (each costs about as much as one of the post's statements)."""
    sent = await _read_post_form(request)
    db: Database = request.app.state.db
    settings: Settings = request.app.state.settings
    announce = announcer(request, background)
    now = utcnow()
    draft = board_service.Draft(
        client_id=sent.client_id,
        text=sent.text,
        kind=sent.kind,
        evidence_type=sent.evidence_type,
        for_table=sent.for_table,
        theme_ids=list(sent.themes),
        written_in=sent.round,
    )
    # The busiest write there is. On SQLite it runs right here on the event loop when no
    # other write holds the lock: its few statements take about a millisecond, less than a
    # hop to the thread pool and back, after which the two threads trade the GIL with the
    # sockets' pushes (at 100 posts a second: 8.9 -> 7.7 ms of CPU a post, p99 392 -> 33 ms).
    # The loop never waits for the lock: if any writer holds it, the post is run again in a
    # worker thread, which waits. Elsewhere (PostgreSQL: the network) it always goes there.
    # Either way who is posting, the write and the answer make ONE trip.
    engine = db.nowait_engine
    if engine is not None and _SQLITE_WRITER.acquire(blocking=False):
        try:
            return _post_as_phone(
                request, code, db, settings, now, announce, draft, engine, sent.page, on_loop=True
            )
        except OperationalError as exc:
            if not _locked(exc):
                raise
        finally:
            _SQLITE_WRITER.release()
    return await to_thread.run_sync(
        _post_as_phone, request, code, db, settings, now, announce, draft, db.engine, sent.page
    )


def _locked(exc: OperationalError) -> bool:
    """SQLite's "database is locked" (SQLITE_BUSY): another connection holds the lock."""
    return getattr(exc.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY


def _post_as_phone(
    request: Request,
    code: str,
    db: Database,
    settings: Settings,
    now: datetime,
    announce: Announcer,
    sent: board_service.Draft,
    engine: Engine,
    page: str = "",
    *,
    on_loop: bool = False,
) -> Response:
    # The write's own session (not the request's), closed as soon as the write is done: the
    # answer is drawn without it. On the event loop nothing else of this process runs
    # meanwhile, so who is posting is read in it too (one session and connection, not two);
    # in a worker thread it is read before, so the lock is held for the write alone.
    with Session(engine, expire_on_commit=False) as session:
        phone = read_phone(code, request, db, settings, now, session=session if on_loop else None)
        cafe, person = phone.cafe, phone.person
        result = _attempt(
            request,
            session,
            lambda: board_service.post_contribution(
                session=session,
                cafe=cafe,
                person=person,
                client_id=sent.client_id,
                text=sent.text,
                kind=sent.kind,
                evidence_type=sent.evidence_type or None,
                for_table=sent.for_table,
                theme_ids=sent.theme_ids,
                now=now,
                written_in=sent.written_in,
            ),
        )
    if isinstance(result, DomainError):
        draft = dataclasses.replace(
            sent,
            client_id=sent.client_id or board_service.new_draft(person).client_id,
            text=sent.text[: 2 * MAX_TEXT],
            error=result.detail,
        )
        return _phone_answer(
            request,
            phone,
            now,
            draft=draft,
            status_code=result.status_code,
            with_compose=True,
            anchor="compose",
        )
    if result.created:
        return _posted(request, phone, announce, result, page=page)
    # A retry: the card was announced when it was made; show the board as it is now.
    return _phone_answer(
        request, phone, now, with_compose=True, anchor=f"c-{result.contribution.id}"
    )


@router.get("/p/{code}/contributions/{contribution_id}/edit")
def edit_page(
    request: Request, cafe: CafeByCode, session: SessionDep, contribution_id: int
) -> Response:
    """The page to change, illustrate or withdraw one of my contributions."""
    person = joined_person(request, session, cafe)
    contribution = board_service.own_contribution(session, cafe, person, contribution_id)
    board_service.check_changeable(session, cafe, contribution)
    return _edit_page(request, session, cafe, person, board_service.draft_of(contribution))


def _edit_page(
    request: Request,
    session: Session,
    cafe: Cafe,
    person: Participant,
    draft: board_service.Draft,
    *,
    status_code: int = 200,
) -> Response:
    card = board_service.card_of(session, cafe, person, draft.contribution_id or 0)
    return render(
        request,
        "contribution_edit.html",
        {
            "cafe": cafe,
            "person": person,
            "draft": draft,
            "card": card,
            "kind_labels": KIND_LABELS,
            "evidence_labels": EVIDENCE_LABELS,
            "max_text": MAX_TEXT,
            "photo_mb": media_service.PHOTO_MAX // 2**20,
            "voice_mb": media_service.VOICE_MAX // 2**20,
        },
        status_code=status_code,
    )


@router.post("/p/{code}/contributions/{contribution_id}/edit")
def edit_contribution(
    request: Request,
    phone: PhoneDep,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    contribution_id: int,
    text: Annotated[str, Form(max_length=4 * MAX_TEXT)] = "",
    kind: Annotated[str, Form(max_length=40)] = "idea",
    evidence_type: Annotated[str, Form(max_length=40)] = "other",
) -> Response:
    """Save changes to one of my contributions while its round is on."""
    cafe, person = phone.cafe, phone.person
    result = _attempt(
        request,
        session,
        lambda: board_service.edit_contribution(
            session=session,
            cafe=cafe,
            person=person,
            contribution_id=contribution_id,
            text=text,
            kind=kind,
            evidence_type=evidence_type,
            now=now,
        ),
    )
    if isinstance(result, DomainError):
        if not isinstance(result, Invalid):
            raise result
        db: Database = request.app.state.db
        with db.read_session() as read:
            contribution = board_service.own_contribution(read, cafe, person, contribution_id)
            draft = board_service.draft_of(contribution)
            draft.text, draft.kind, draft.evidence_type = text[: 2 * MAX_TEXT], kind, evidence_type
            draft.error = result.detail
            return _edit_page(request, read, cafe, person, draft, status_code=result.status_code)
    _announce_board(request, announce, result, CafeEvent.BOARD_CHANGED)
    return _phone_answer(request, phone, now, anchor=f"c-{result.id}")


def _confirm_page(
    request: Request,
    cafe: Cafe,
    person: Participant,
    contribution: Contribution,
    *,
    action: str,
    question: str,
    explanation: str,
    yes: str,
) -> Response:
    """Where a phone without scripts is asked "are you sure?" before a card is taken back or
    hidden (with scripts, the browser asks): a slip of the finger on a small screen must not
    do either. Its form says `confirmed`."""
    return render(
        request,
        "confirm.html",
        {
            "cafe": cafe,
            "person": person,
            "contribution": contribution,
            "action": f"/p/{cafe.code}/contributions/{contribution.id}/{action}",
            "question": question,
            "explanation": explanation,
            "yes": yes,
        },
    )


@router.post("/p/{code}/contributions/{contribution_id}/withdraw")
def withdraw_contribution(
    request: Request,
    phone: PhoneDep,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    contribution_id: int,
    confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Take back one of my contributions while its round is on. A phone without scripts is
    asked first (`_confirm_page`); with them, the browser has asked."""
    cafe, person = phone.cafe, phone.person
    if not (confirmed or request_is_htmx(request)):
        contribution = board_service.own_contribution(session, cafe, person, contribution_id)
        board_service.check_changeable(session, cafe, contribution)
        return _confirm_page(
            request,
            cafe,
            person,
            contribution,
            action="withdraw",
            question="Take this back?",
            explanation="It leaves the board for everyone at your table.",
            yes="Take it back",
        )
    result = _attempt(
        request,
        session,
        lambda: board_service.withdraw_contribution(
            session=session, cafe=cafe, person=person, contribution_id=contribution_id, now=now
        ),
    )
    if isinstance(result, DomainError):
        return _phone_answer(
            request, phone, now, error=result.detail, status_code=result.status_code
        )
    _announce_board(request, announce, result, CafeEvent.BOARD_CHANGED)
    return _phone_answer(request, phone, now)


@router.post("/p/{code}/contributions/{contribution_id}/react")
def react(
    request: Request,
    phone: PhoneDep,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    contribution_id: int,
    on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Agree with a card on my table's board, or take my vote back (within my vote budget)."""
    cafe, person = phone.cafe, phone.person
    wanted = {"true": True, "1": True, "false": False, "0": False}.get(on.lower())
    result = _attempt(
        request,
        session,
        lambda: board_service.set_reaction(
            session=session,
            cafe=cafe,
            person=person,
            contribution_id=contribution_id,
            on=wanted,
            now=now,
        ),
    )
    if isinstance(result, DomainError):
        return _phone_answer(
            request, phone, now, error=result.detail, status_code=result.status_code
        )
    _announce_board(request, announce, result[0], CafeEvent.BOARD_CHANGED)
    return _phone_answer(request, phone, now, anchor=f"c-{contribution_id}")


@router.post("/p/{code}/contributions/{contribution_id}/concern")
def raise_concern(
    request: Request,
    phone: PhoneDep,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    contribution_id: int,
    confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Tell the facilitator privately that a card worries me: it is hidden at once. A phone
    without scripts is asked first (`_confirm_page`); with them, the browser has asked."""
    cafe, person = phone.cafe, phone.person
    if not (confirmed or request_is_htmx(request)):
        contribution, _ = board_service.worry_target(session, cafe, person, contribution_id)
        return _confirm_page(
            request,
            cafe,
            person,
            contribution,
            action="concern",
            question="Tell the facilitator you are worried about this?",
            explanation=(
                "The facilitator is told privately, and the card is hidden from everyone "
                "while they look at it."
            ),
            yes="Tell the facilitator",
        )
    result = _attempt(
        request,
        session,
        lambda: board_service.raise_concern(
            session=session, cafe=cafe, person=person, contribution_id=contribution_id, now=now
        ),
    )
    if isinstance(result, DomainError):
        return _phone_answer(
            request, phone, now, error=result.detail, status_code=result.status_code
        )
    _announce_board(
        request, announce, result, CafeEvent.CONTRIBUTION_HIDDEN, CafeEvent.SAFEGUARDING_ALERT
    )
    return _phone_answer(request, phone, now)


# --- uploads ------------------------------------------------------------------------------

FORM_OVERHEAD = 64 * 1024  # multipart headers, boundaries and the small fields
FIELD_MAX = 4096
MAX_FIELDS = 20


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    data: bytearray = field(default_factory=bytearray)


class UploadForm:
    """A multipart body read as it arrives, refused as soon as it breaks a limit.

    Small fields are kept in memory (a few KB at most); the one file goes to a spooled
    temporary file (on disk past 1 MB). The file's first bytes decide its type, so a file
    of the wrong kind, or one larger than its kind allows, is refused without reading on.
    """

    def __init__(self, content_type: str) -> None:
        _, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if not boundary:
            raise media_service.UnsupportedType("Send the file as a multipart form.")
        charset = params.get(b"charset", b"utf-8").decode("latin-1")
        try:
            self.charset = codecs.lookup(charset).name
        except LookupError:
            self.charset = "utf-8"
        self.fields: dict[str, str] = {}
        self.file: SpooledTemporaryFile[bytes] | None = None
        self.size = 0
        self.kind: media_service.FileType | None = None
        self._head = bytearray()
        self._part = _Part()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._in_file = False
        self._files = 0
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_part_data": self._data,
                "on_part_end": self._end,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_cb,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done,
            },
        )

    def _begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > FIELD_MAX:
            raise Invalid("The form could not be read.")

    def _header_end(self) -> None:
        self._part.headers.append((bytes(self._header_name).lower(), bytes(self._header_value)))
        self._header_name.clear()
        self._header_value.clear()

    def _headers_done(self) -> None:
        disposition = next((v for k, v in self._part.headers if k == b"content-disposition"), b"")
        _, options = parse_options_header(disposition)
        self._part.name = options.get(b"name", b"").decode(self.charset, "replace")
        filename = options.get(b"filename")
        self._in_file = filename is not None and self._part.name == "file"
        if self._in_file:
            self._files += 1
            if self._files > 1:
                raise Invalid("Send one file at a time.")
            self.file = SpooledTemporaryFile(max_size=1024 * 1024)
        elif len(self.fields) >= MAX_FIELDS:
            raise Invalid("The form has too many fields.")

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if not self._in_file:
            self._part.data += chunk
            if len(self._part.data) > FIELD_MAX:
                raise Invalid("The form could not be read.")
            return
        assert self.file is not None
        self.size += len(chunk)
        if self.kind is None:
            self._head += chunk[: media_service.SNIFF_BYTES]
            if len(self._head) >= media_service.SNIFF_BYTES:
                self._decide()
        if self.size > (
            media_service.limit_for(self.kind.kind) if self.kind else media_service.UPLOAD_MAX
        ):
            raise media_service.TooLarge(
                media_service.too_large_message(self.kind.kind if self.kind else None)
            )
        self.file.write(chunk)

    def _decide(self) -> None:
        self.kind = media_service.sniff(bytes(self._head))
        if self.kind is None:
            raise media_service.UnsupportedType(media_service.UNSUPPORTED)

    def _end(self) -> None:
        if self._in_file:
            if self.kind is None and self.size:
                self._decide()
            self._in_file = False
        elif self._part.name:
            self.fields[self._part.name] = bytes(self._part.data).decode(self.charset, "replace")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


async def read_upload(request: Request) -> UploadForm:
    """Read a multipart upload, stopping at the first byte past a limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > media_service.UPLOAD_MAX + FORM_OVERHEAD:
        raise media_service.TooLarge(media_service.too_large_message(None))
    form = UploadForm(request.headers.get("content-type", ""))
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > media_service.UPLOAD_MAX + FORM_OVERHEAD:
                kind = form.kind.kind if form.kind else None
                raise media_service.TooLarge(media_service.too_large_message(kind))
            form.parser.write(chunk)
        form.parser.finalize()
    except Exception:
        form.close()
        raise
    return form


@uploads.post("/p/{code}/contributions/{contribution_id}/media")
async def upload_media(
    request: Request,
    code: str,
    contribution_id: int,
    settings: SettingsDep,
    db: DatabaseDep,
    announce: AnnounceDep,
) -> Response:
    """Add a photo or a voice note to one of my contributions (one of each; a new one
    replaces the old)."""
    if not origin_allowed(request, settings):
        raise HTTPException(403, "This form was sent from another site, so it was refused.")
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
                own = board_service.own_contribution(read, cafe, person, contribution_id)
                board_service.check_changeable(read, cafe, own)
            prepared = media_service.prepare(source=upload, size=form.size)  # type: ignore[arg-type]
            with Session(db.engine, expire_on_commit=False) as session, _writer(db):
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
        _announce_board, request, announce, contribution, CafeEvent.BOARD_CHANGED
    )
    return RedirectResponse(f"/p/{cafe_code}#c-{contribution.id}", status_code=303)


@router.get("/media/{media_id}")
def media_file(
    request: Request, media_id: int, session: SessionDep, settings: SettingsDep
) -> Response:
    """A photo or voice note, for people of its café and its facilitator only."""
    found = media_service.media_of(session=session, media_id=media_id)
    if found is None:
        raise NotFound("There is nothing at this address.")
    item, contribution, cafe = found
    facilitator_id = request.session.get("facilitator_id")
    person = remembered(request, session, cafe)
    media_service.check_visible(
        contribution=contribution,
        cafe=cafe,
        facilitator_id=facilitator_id if isinstance(facilitator_id, int) else None,
        person=person,
    )
    path = media_service.safe_path(settings.media_dir, item.path)
    if path is None or not path.is_file():
        raise NotFound("This file is no longer here.")
    label = "photo" if item.kind == "photo" else "voice-note"
    ext = path.suffix
    return FileResponse(
        path,
        media_type=item.content_type,
        headers={"Content-Disposition": f'inline; filename="{label}-{item.id}{ext}"'},
    )


# --- moderation on the console ------------------------------------------------------------

MODERATION_ACTIONS = {"hide", "restore", "approve", "flag", "resolve"}


def moderate(
    action: str, *, session: Session, cafe: Cafe, contribution_id: int, note: str, now: datetime
) -> tuple[Contribution, list[CafeEvent]]:
    """One moderation action by name, and the events it causes."""
    if action == "hide":
        c = board_service.hide(
            session=session, cafe=cafe, contribution_id=contribution_id, note=note, now=now
        )
        return c, [CafeEvent.CONTRIBUTION_HIDDEN]
    if action == "restore":
        c = board_service.restore(
            session=session, cafe=cafe, contribution_id=contribution_id, note=note, now=now
        )
        return c, [CafeEvent.BOARD_CHANGED]
    if action == "approve":
        c = board_service.approve(
            session=session, cafe=cafe, contribution_id=contribution_id, now=now
        )
        return c, [CafeEvent.BOARD_CHANGED]
    if action == "flag":
        c = board_service.flag(
            session=session, cafe=cafe, contribution_id=contribution_id, note=note, now=now
        )
        return c, [CafeEvent.CONTRIBUTION_HIDDEN, CafeEvent.SAFEGUARDING_ALERT]
    if action == "resolve":
        c = board_service.resolve_concern(
            session=session, cafe=cafe, contribution_id=contribution_id, now=now
        )
        return c, [CafeEvent.BOARD_CHANGED]
    raise NotFound("There is no such moderation action.")


@router.post("/cafes/{cafe_id}/moderate/{contribution_id}/{action}")
def moderate_from_console(
    request: Request,
    cafe: OwnedCafe,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    contribution_id: int,
    action: str,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Hide, restore, approve or flag a contribution, or mark a safeguarding alert dealt with."""
    cafe_id = cafe.id
    result = _attempt(
        request,
        session,
        lambda: moderate(
            action, session=session, cafe=cafe, contribution_id=contribution_id, note=note, now=now
        ),
    )
    error = None
    status_code = 200
    if isinstance(result, DomainError):
        if not request_is_htmx(request):
            raise result
        error, status_code = result.detail, result.status_code
    else:
        contribution, events = result
        _announce_board(request, announce, contribution, *events)
    if not request_is_htmx(request):
        return RedirectResponse(f"/cafes/{cafe_id}/console#moderation", status_code=303)
    db: Database = request.app.state.db
    with db.read_session() as read:  # the write lock is not needed to draw the answer
        fresh = read.get(Cafe, cafe_id)
        assert fresh is not None
        return render(
            request,
            "console.html",
            {
                "cafe": fresh,
                "m": board_service.moderation_view(session=read, cafe=fresh),
                "moderation_error": error,
            },
            block="moderation",
            status_code=status_code,
        )


# --- moderation through the API -----------------------------------------------------------


def _api_moderate(
    request: Request,
    action: str,
    cafe: Cafe,
    contribution_id: int,
    body: ModerationRequest | None,
    session: Session,
    now: datetime,
    announce: Announcer,
) -> ModerationPublic:
    contribution, events = moderate(
        action,
        session=session,
        cafe=cafe,
        contribution_id=contribution_id,
        note=body.note if body else "",
        now=now,
    )
    _announce_board(request, announce, contribution, *events)
    return ModerationPublic.model_validate(contribution, from_attributes=True)


ModerationBody = Annotated[ModerationRequest | None, Body()]


@api.post("/{cafe_id}/contributions/{contribution_id}/hide", responses=ERRORS)
def api_hide(
    request: Request,
    cafe: WriteCafe,
    contribution_id: int,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    body: ModerationBody = None,
) -> ModerationPublic:
    """Hide a contribution: it leaves every phone at once and stays on record."""
    return _api_moderate(request, "hide", cafe, contribution_id, body, session, now, announce)


@api.post("/{cafe_id}/contributions/{contribution_id}/restore", responses=ERRORS)
def api_restore(
    request: Request,
    cafe: WriteCafe,
    contribution_id: int,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
    body: ModerationBody = None,
) -> ModerationPublic:
    """Put a hidden contribution back on its board (a safeguarding flag counts as dealt with)."""
    return _api_moderate(request, "restore", cafe, contribution_id, body, session, now, announce)


@api.post("/{cafe_id}/contributions/{contribution_id}/approve", responses=ERRORS)
def api_approve(
    request: Request,
    cafe: WriteCafe,
    contribution_id: int,
    session: SessionDep,
    now: NowDep,
    announce: AnnounceDep,
) -> ModerationPublic:
    """Approve a contribution that waits for pre-moderation, so it shows on its board."""
    return _api_moderate(request, "approve", cafe, contribution_id, None, session, now, announce)
