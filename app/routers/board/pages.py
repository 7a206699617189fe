"""The table board on phones, uploads, media, and moderation on the console and the API.

Phones post plain forms (they work without JavaScript: the answer is a redirect back to the
participant page) or the same forms through htmx (the answer is the board fragment). After
the service commits, the router announces the change and every phone at that table, and the
console, re-render their own view.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    Form,
    Request,
    Response,
)
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.deps.board import read_post_form
from app.deps.common import CsrfDep, NowDep, RowId, SessionDep
from app.deps.phone import (
    CafeByCode,
    Phone,
    PhoneDep,
    joined_person,
    read_phone,
    seat_now,
    whole_phone_page,
)
from app.i18n import N_, _
from app.kit.rendering import render, render_html
from app.live.announce import AnnounceDep, Announcer, announcer
from app.live.board import announce_board
from app.live.fragments import card_board, compose_context
from app.live.hub import CafeEvent
from app.live.reads import NewCard, new_cards
from app.live.writer import attempt, write_soon
from app.models.base import utcnow
from app.models.cafe import Cafe, Participant, Round
from app.models.evidence import (
    EVIDENCE_LABELS,
    KIND_LABELS,
    MAX_TEXT,
    Contribution,
)
from app.security import request_is_htmx
from app.services import media as media_service
from app.services.board import cards as board_cards
from app.services.board import drafts, moderation, posting, rules, votes
from app.services.errors import DomainError, Invalid

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class PhoneWrite:
    """What a phone's change to a card holds: the request, who is asking, the session, the
    clock, and the announcer; and the two ways it ends (the board changed, or a refusal)."""

    request: Request
    phone: Phone
    session: Session
    now: datetime
    announce: Announcer

    def run(self, action: Callable[[], T]) -> T | DomainError:
        """One write of the board service; a refusal comes back as a value, rolled back."""
        return attempt(self.request, self.session, action)

    def refused(self, exc: DomainError) -> Response:
        return _phone_answer(
            self.request, self.phone, self.now, error=exc.detail, status_code=exc.status_code
        )

    def changed(
        self,
        contribution: Contribution,
        *events: CafeEvent,
        anchor: str = "board",
        notice: str = "",
    ) -> Response:
        """Tell the table (after the response) and answer with the board, saying `notice`
        to the person who did it, if given."""
        announce_board(
            self.request, self.announce, contribution, *(events or (CafeEvent.BOARD_CHANGED,))
        )
        return _phone_answer(self.request, self.phone, self.now, anchor=anchor, notice=notice)


def _phone_write(
    request: Request, phone: PhoneDep, session: SessionDep, now: NowDep, announce: AnnounceDep
) -> PhoneWrite:
    return PhoneWrite(request=request, phone=phone, session=session, now=now, announce=announce)


PhoneWriteDep = Annotated[PhoneWrite, Depends(_phone_write)]


def _phone_answer(
    request: Request,
    phone: Phone,
    now: datetime,
    *,
    draft: drafts.Draft | None = None,
    error: str | None = None,
    status_code: int = 200,
    with_compose: bool = False,
    anchor: str = "board",
    notice: str = "",
) -> Response:
    """htmx: the board block (and the form, when it was the form that was sent).
    Without JavaScript: back to the page after a success, the page with the message after a
    refusal or with a `notice` to read."""
    htmx = request_is_htmx(request)
    cafe, person = phone.cafe, phone.person
    if not htmx and status_code < 400 and not notice:
        return RedirectResponse(f"/p/{cafe.code}#{anchor}", status_code=303)
    db: Database = request.app.state.db
    # A session of its own: the write has committed, and drawing the answer must not hold
    # SQLite's write lock (the request's session would take it again for these reads).
    with db.read_session() as session:
        if htmx:
            rnd, table = seat_now(session, cafe, person)
            cards = board_cards.table_cards(session=session, cafe=cafe, rnd=rnd, table=table)
            return _board_answer(
                request,
                phone,
                cards,
                draft=draft,
                error=error,
                status_code=status_code,
                with_compose=with_compose,
                notice=notice,
            )
        return whole_phone_page(
            request,
            session,
            phone,
            now,
            draft=draft,
            status_code=status_code,
            board_error=error,
            phone_notice=notice,
        )


def _board_answer(
    request: Request,
    phone: Phone,
    cards: board_cards.TableCards,
    *,
    draft: drafts.Draft | None = None,
    error: str | None = None,
    status_code: int = 200,
    with_compose: bool = False,
    notice: str = "",
) -> Response:
    """The htmx answer: the board block, and the form when it was the form that was sent."""
    board = board_cards.board_for(cards=cards, person=phone.person)
    ctx = {
        "cafe": phone.cafe,
        "person": phone.person,
        "board_error": error,
        "b": board,
        **compose_context(phone.cafe, phone.person, board, draft),
    }
    html = render_html("cafe/participant.html", ctx, conn=request, block="board")
    if notice:
        # Beside the board, not in it: a push of the board would take it away unread.
        said = render_html(
            "cafe/participant.html", {"phone_notice": notice}, conn=request, block="phone_notice"
        )
        html += f'<div id="phone-notice" hx-swap-oob="innerHTML">{said}</div>'
    if with_compose:
        html += render_html(
            "cafe/participant.html", {**ctx, "oob": True}, conn=request, block="compose"
        )
    return HTMLResponse(html, status_code=status_code, headers={"Vary": "HX-Request"})


def _posted(
    request: Request,
    phone: Phone,
    announce: Announcer,
    posted: posting.Posted,
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
    audience = posted.audience if contribution.status == rules.VISIBLE else []
    announce_board(
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
            cards = board_cards.table_cards(session=session, cafe=phone.cafe, rnd=rnd, table=table)
            written = session.get(Round, contribution.round_id)
        number = written.number if written is not None else "?"
        notice = _(
            "Sent: it went to the board of round %(number)s, the round you wrote it in.",
            number=number,
        )
        return _board_answer(request, phone, cards, notice=notice)
    html = render_html(
        "board/_card_push.html",
        {
            "cafe": phone.cafe,
            "card": card.mine,
            "b": card_board(phone.cafe),
            "news": "Sent: your card is at the top of the board.",
        },
        conn=request,
    )
    return HTMLResponse(html, headers={"Vary": "HX-Request"})


# --- phones -------------------------------------------------------------------------------


@router.post("/p/{code}/contributions")
async def post_contribution(request: Request, code: str, background: BackgroundTasks) -> Response:
    """Add a contribution to my table's board; a retry with the same client id adds nothing.

    The busiest request there is, so it asks FastAPI for as little as it can: what the app
    holds (database, settings, the announcer) is taken from the app itself, not through a
    dependency each (each costs about as much as one of the post's statements)."""
    sent = await read_post_form(request)
    db: Database = request.app.state.db
    settings: Settings = request.app.state.settings
    announce = announcer(request, background)
    now = utcnow()
    draft = drafts.Draft(
        client_id=sent.client_id,
        text=sent.text,
        kind=sent.kind,
        evidence_type=sent.evidence_type,
        for_table=sent.for_table,
        theme_ids=list(sent.themes),
        written_in=sent.round,
    )
    # Where the write runs (on the event loop or in a worker thread): `write_soon`. Either
    # way who is posting, the write and the answer make ONE trip.

    def write(engine: Engine, on_loop: bool) -> Response:
        return _post_as_phone(
            request, code, db, settings, now, announce, draft, engine, sent.page, on_loop=on_loop
        )

    return await write_soon(db, write)


def _post_as_phone(
    request: Request,
    code: str,
    db: Database,
    settings: Settings,
    now: datetime,
    announce: Announcer,
    sent: drafts.Draft,
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
        result = attempt(
            request,
            session,
            lambda: posting.post_contribution(
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
            client_id=sent.client_id or drafts.new_draft(person).client_id,
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
    request: Request, cafe: CafeByCode, session: SessionDep, contribution_id: RowId
) -> Response:
    """The page to change, illustrate or withdraw one of my contributions."""
    person = joined_person(request, session, cafe)
    contribution = posting.own_contribution(
        session=session, cafe=cafe, person=person, contribution_id=contribution_id
    )
    posting.check_changeable(session=session, cafe=cafe, contribution=contribution)
    return _edit_page(request, session, cafe, person, drafts.draft_of(contribution))


def _edit_page(
    request: Request,
    session: Session,
    cafe: Cafe,
    person: Participant,
    draft: drafts.Draft,
    *,
    status_code: int = 200,
) -> Response:
    card = board_cards.card_of(
        session=session, cafe=cafe, person=person, contribution_id=draft.contribution_id or 0
    )
    return render(
        request,
        "board/contribution_edit.html",
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
    write: PhoneWriteDep,
    contribution_id: RowId,
    text: Annotated[str, Form(max_length=4 * MAX_TEXT)] = "",
    kind: Annotated[str, Form(max_length=40)] = "idea",
    evidence_type: Annotated[str, Form(max_length=40)] = "other",
) -> Response:
    """Save changes to one of my contributions while its round is on."""
    cafe, person, session = write.phone.cafe, write.phone.person, write.session
    result = write.run(
        lambda: posting.edit_contribution(
            session=session,
            cafe=cafe,
            person=person,
            contribution_id=contribution_id,
            text=text,
            kind=kind,
            evidence_type=evidence_type,
            now=write.now,
        ),
    )
    if not isinstance(result, DomainError):
        return write.changed(result, anchor=f"c-{result.id}")
    if not isinstance(result, Invalid):
        raise result
    db: Database = write.request.app.state.db
    with db.read_session() as read:
        contribution = posting.own_contribution(
            session=read, cafe=cafe, person=person, contribution_id=contribution_id
        )
        draft = drafts.draft_of(contribution)
        draft.text, draft.kind, draft.evidence_type = text[: 2 * MAX_TEXT], kind, evidence_type
        draft.error = result.detail
        return _edit_page(write.request, read, cafe, person, draft, status_code=result.status_code)


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
        "board/confirm.html",
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
    write: PhoneWriteDep,
    contribution_id: RowId,
    confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Take back one of my contributions while its round is on. A phone without scripts is
    asked first (`_confirm_page`); with them, the browser has asked."""
    cafe, person, session = write.phone.cafe, write.phone.person, write.session
    if not (confirmed or request_is_htmx(write.request)):
        contribution = posting.own_contribution(
            session=session, cafe=cafe, person=person, contribution_id=contribution_id
        )
        posting.check_changeable(session=session, cafe=cafe, contribution=contribution)
        return _confirm_page(
            write.request,
            cafe,
            person,
            contribution,
            action="withdraw",
            question=_("Take this back?"),
            explanation=_("It leaves the board for everyone at your table."),
            yes=_("Take it back"),
        )
    result = write.run(
        lambda: posting.withdraw_contribution(
            session=session,
            cafe=cafe,
            person=person,
            contribution_id=contribution_id,
            now=write.now,
        ),
    )
    return write.refused(result) if isinstance(result, DomainError) else write.changed(result)


@router.post("/p/{code}/contributions/{contribution_id}/react")
def react(
    write: PhoneWriteDep,
    contribution_id: RowId,
    on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Agree with a card on my table's board, or take my vote back (within my vote budget)."""
    cafe, person = write.phone.cafe, write.phone.person
    wanted = {"true": True, "1": True, "false": False, "0": False}.get(on.lower())
    result = write.run(
        lambda: votes.set_reaction(
            session=write.session,
            cafe=cafe,
            person=person,
            contribution_id=contribution_id,
            on=wanted,
            now=write.now,
        ),
    )
    if isinstance(result, DomainError):
        return write.refused(result)
    return write.changed(result[0], anchor=f"c-{contribution_id}")


CONCERN_NOTICE = N_(
    "Thank you for telling us. The card is hidden while the facilitator looks at it, and "
    "nobody is told it was you."
)


@router.post("/p/{code}/contributions/{contribution_id}/concern")
def raise_concern(
    write: PhoneWriteDep,
    contribution_id: RowId,
    confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Tell the facilitator privately that a card worries me: it is hidden at once. A phone
    without scripts is asked first (`_confirm_page`); with them, the browser has asked."""
    cafe, person, session = write.phone.cafe, write.phone.person, write.session
    if not (confirmed or request_is_htmx(write.request)):
        contribution, _place = moderation.worry_target(
            session=session, cafe=cafe, person=person, contribution_id=contribution_id
        )
        return _confirm_page(
            write.request,
            cafe,
            person,
            contribution,
            action="concern",
            question=_("Tell the facilitator you are worried about this?"),
            explanation=(
                _(
                    "The facilitator is told privately, and the card is hidden from everyone "
                    "while they look at it."
                )
            ),
            yes=_("Tell the facilitator"),
        )
    result = write.run(
        lambda: moderation.raise_concern(
            session=session,
            cafe=cafe,
            person=person,
            contribution_id=contribution_id,
            now=write.now,
        ),
    )
    if isinstance(result, DomainError):
        return write.refused(result)
    return write.changed(
        result,
        CafeEvent.CONTRIBUTION_HIDDEN,
        CafeEvent.SAFEGUARDING_ALERT,
        notice=_(CONCERN_NOTICE),
    )
