"""Who a phone is: the café behind a join code, the person its signed cookie names, and the
guessing guard on unknown codes."""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar, cast

from anyio import to_thread
from fastapi import (
    Depends,
    Request,
    Response,
)
from sqlmodel import Session

from app import i18n
from app.config import Settings
from app.db import Database
from app.deps.common import DatabaseDep, NowDep, SessionDep, SettingsDep
from app.i18n import _
from app.kit.rendering import render
from app.live.fragments import board_context, new_page_id
from app.live.reads import nearby
from app.live.reshape import latest_broadcasts
from app.live.writer import sqlite_writer
from app.models.cafe import Cafe, CafeTable, Participant, Round
from app.security import (
    client_address,
    csrf_token,
)
from app.services import accounts
from app.services.board.drafts import Draft
from app.services.board.story import table_story
from app.services.cafe import cafes as cafe_service
from app.services.cafe import people as people_service
from app.services.cafe import room as room_service
from app.services.cafe import seating as seating_service
from app.services.cafe import state as state_service
from app.services.cafe.state import ParticipantState
from app.services.errors import Forbidden, NotFound

JOIN_BUCKET = "join-code"
# In the signed session: the code of the café this browser was last let through the guard
# for (`_read_code`). It knows that code exists, so asking again would protect nothing.
PASSED_CODE = "passed"

T = TypeVar("T")


def remember(request: Request, cafe: Cafe, person: Participant) -> None:
    """The signed session cookie names the person and their secret, per café."""
    seats = dict(request.session.get("p", {}))
    seats[str(cafe.id)] = [person.id, person.secret]
    # Keep the cookie small: the last few cafés are enough.
    request.session["p"] = dict(list(seats.items())[-5:])


def cookie_seats(request: Request) -> dict[int, tuple[int, str]]:
    """The cafés the signed cookie has joined: café id -> participant id and secret."""
    seats = request.session.get("p", {})
    found: dict[int, tuple[int, str]] = {}
    if not isinstance(seats, dict):
        return found
    for cafe_id, entry in seats.items():
        if not (isinstance(entry, list) and len(entry) == 2 and str(cafe_id).isdigit()):
            continue
        participant_id, secret = entry
        if isinstance(participant_id, int) and isinstance(secret, str):
            found[int(cafe_id)] = (participant_id, secret)
    return found


def remembered(request: Request, session: SessionDep, cafe: Cafe) -> Participant | None:
    seat = cookie_seats(request).get(cafe.id)
    if seat is None:
        return None
    return people_service.participant_for_cookie(
        session=session, cafe=cafe, participant_id=seat[0], secret=seat[1]
    )


def _browser(request: Request) -> str:
    """A name for this browser that says nothing about it: a hash of its session's CSRF token
    (made now if this is its first visit: its next try then counts against it too)."""
    return "browser:" + hashlib.sha256(csrf_token(request).encode()).hexdigest()[:32]


def check_join_allowance(
    session: Session, request: Request, settings: Settings, now: datetime, *, counted: int = 0
) -> None:
    """429 once this browser, or this address, has tried too many unknown join codes (a
    guessing guard); asked before an answer could tell whether a code exists.

    A browser gets a few tries; an address many more, since every phone at a venue may
    share one public address and a room's typos must not lock out the people still to join.
    Someone guessing without cookies meets the address's limit. `counted`: this request's
    own tries are among the hits already (see `count_unknown_code`)."""
    accounts.check_rates(
        session=session,
        bucket=JOIN_BUCKET,
        limits={
            _browser(request): settings.join_attempts_per_browser + counted,
            client_address(request): settings.join_attempts + counted,
        },
        window_seconds=settings.join_window_seconds,
        now=now,
    )


def count_unknown_code(
    session: Session, request: Request, settings: Settings, now: datetime
) -> None:
    """An unknown code counts against the browser's and the address's allowances, committed
    at once; then the allowance is asked again, this try included (429 past it).

    Counted first, then checked: guesses sent in parallel each find every guess committed
    before them, so however many arrive at once no more than the allowance are answered
    (checked first, all of them passed the check before any was counted)."""
    accounts.record_hit(session=session, bucket=JOIN_BUCKET, key=_browser(request), now=now)
    accounts.record_hit(session=session, bucket=JOIN_BUCKET, key=client_address(request), now=now)
    check_join_allowance(session, request, settings, now, counted=1)


async def cafe_from_code(
    code: str, request: Request, db: DatabaseDep, settings: SettingsDep, now: NowDep
) -> Cafe:
    """The café behind a join code; unknown codes count against the address's allowance.

    People who have joined the café (their signed cookie says so, and cannot be guessed) are
    never held up: at a venue every phone may share one public address, and a neighbour's
    mistyped codes must not lock the room out of its own café.

    Read on a connection of its own that takes no lock and is given back at once: the
    request's own session (on SQLite, a write request's first statement takes the write
    lock) is not touched until the route writes, in one go (app/live/admission.py). On
    SQLite the read is made right here on the event loop (a read of a local file that never
    waits for a lock takes less than the hop to a worker thread and back); elsewhere, and
    for the write that counts an unknown code, in a worker thread."""
    cafe, _person = await nearby(
        db, functools.partial(_read_code, code, request, db, settings, now)
    )
    if cafe is None:
        raise await _unknown_code(request, db, settings, now)
    return cafe


async def with_cafe(
    code: str,
    request: Request,
    db: Database,
    settings: Settings,
    now: datetime,
    then: Callable[[Cafe], T],
    *,
    writes: bool = False,
) -> T:
    """`then(cafe)` for the café behind `code`, found as `cafe_from_code` finds it (unknown
    codes counted, the same 404), with one hop to a worker thread for both, not one each.

    For the requests of a room joining at once (the join page, the join form, the phone's
    page): off SQLite, the lookup and `then` run in one worker thread (the hand-overs to
    worker threads were a fifth of the server's CPU at the join burst on PostgreSQL,
    bench/joins.py). On SQLite the lookup runs on the loop as ever, and so does `then`
    unless it `writes` (a writer may wait for the lock: a worker thread then)."""

    def find() -> Cafe | None:
        cafe, _person = _read_code(code, request, db, settings, now)
        return cafe

    if db.local and writes:
        cafe = find()
        if cafe is None:
            raise await _unknown_code(request, db, settings, now)
        return await to_thread.run_sync(then, cafe)

    def find_then() -> tuple[Cafe | None, T | None]:
        cafe = find()
        return (None, None) if cafe is None else (cafe, then(cafe))

    found, result = await nearby(db, find_then)
    if found is None:
        raise await _unknown_code(request, db, settings, now)
    return cast(T, result)


async def _unknown_code(
    request: Request, db: Database, settings: Settings, now: datetime
) -> NotFound:
    """Count an unknown code (in a worker thread: a write) and say so."""
    await to_thread.run_sync(functools.partial(_count_unknown, request, db, settings, now))
    return NotFound(
        _(
            "We could not find a café with that code. "
            "Check the code on the big screen and try again."
        )
    )


def _read_code(
    code: str,
    request: Request,
    db: Database,
    settings: Settings,
    now: datetime,
    *,
    session: Session | None = None,
) -> tuple[Cafe | None, Participant | None]:
    """The café behind `code` and the person the cookie names in it, in one plain-row query
    (rows detached: a rollback of a write must not expire them), on a connection of its own
    that takes no lock, or in `session` if given; when the cookie names nobody of the café
    the allowance is checked before the answer says anything.

    A browser let through for a café's code is not asked again for that code (the join
    form after the join page: one statement less a join, when a room joins at once). Its
    answer already told it that the code exists; an unknown code is always asked."""
    with contextlib.ExitStack() as stack:
        read = session or stack.enter_context(db.statement_session())
        cafe, person = people_service.phone_writer(
            connection=read.connection(), code=code, seats=cookie_seats(request)
        )
        known = cafe is not None and request.session.get(PASSED_CODE) == cafe.code
        if person is None and not known:
            check_join_allowance(read, request, settings, now)
            if cafe is not None:
                request.session[PASSED_CODE] = cafe.code
    # Who the cookie names, as read just now: the phone's own page need not read it again.
    request.state.phone_person = person
    if cafe is not None:
        i18n.prefer(cafe.language)  # the café's language, unless the person chose theirs
    return cafe, person


def _count_unknown(
    request: Request,
    db: Database,
    settings: Settings,
    now: datetime,
    *,
    session: Session | None = None,
) -> None:
    """Count an unknown code, in `session` if given (its caller holds the writer lock), else
    in a session of its own, in turn with this process's other writers."""
    if session is not None:
        count_unknown_code(session, request, settings, now)
        return
    with sqlite_writer(db), Session(db.engine) as write:
        count_unknown_code(write, request, settings, now)


CafeByCode = Annotated[Cafe, Depends(cafe_from_code)]


def joined_person(request: Request, session: Session, cafe: Cafe) -> Participant:
    person = remembered(request, session, cafe)
    if person is None:
        raise not_joined(cafe)
    return person


def seat_now(
    session: Session, cafe: Cafe, person: Participant
) -> tuple[Round | None, CafeTable | None]:
    rnd = cafe_service.current_round(session=session, cafe=cafe)
    return rnd, seating_service.seat_of(session=session, rnd=rnd, person=person)


@dataclass(frozen=True)
class Phone:
    """The café and the person behind a phone's request, read before any write."""

    cafe: Cafe
    person: Participant


def phone_of(
    code: str, request: Request, db: DatabaseDep, settings: SettingsDep, now: NowDep
) -> Phone:
    """Who is posting (as a dependency): see `read_phone`."""
    return read_phone(code, request, db, settings, now)


def read_phone(
    code: str,
    request: Request,
    db: Database,
    settings: Settings,
    now: datetime,
    *,
    session: Session | None = None,
) -> Phone:
    """Who is posting, read in a session that does not take SQLite's write lock: a post then
    holds the lock only for its own few statements. Unknown codes count against the address
    as they do on the join page. A post run on the event loop passes its write `session`,
    read and written in one go."""
    cafe, person = _read_code(code, request, db, settings, now, session=session)
    if cafe is None:
        _count_unknown(request, db, settings, now, session=session)
        raise NotFound(_("We could not find a café with that code."))
    if person is None:
        # Not someone of this café (a signed cookie cannot be guessed).
        raise not_joined(cafe)
    return Phone(cafe=cafe, person=person)


PhoneDep = Annotated[Phone, Depends(phone_of)]


def not_joined(cafe: Cafe) -> Forbidden:
    return Forbidden(
        _(
            "Please join this café first: open /j/%(code)s and choose a name to use today.",
            code=cafe.code,
        )
    )


def draw_phone_page(
    request: Request,
    cafe: Cafe,
    view: ParticipantState,
    *,
    block: str | None = None,
    status_code: int = 200,
    **shown: Any,
) -> Response:
    """The participant page for one phone, however it is reached: every drawing names the
    café, the person and their view, and takes a fresh page id (its live connection then skips
    the cards this page's own posts already show)."""
    context = {"cafe": cafe, "v": view, "person": view.person, "page_id": new_page_id(), **shown}
    return render(request, "cafe/participant.html", context, block=block, status_code=status_code)


def phone_extras(
    session: Session, cafe: Cafe, person: Participant, view: ParticipantState, now: datetime
) -> dict[str, Any]:
    """What a whole drawing of the phone page shows besides the round and the board: the
    room's latest message and the call for help (`room_phone`), and the host's table story."""
    return {
        "room_phone": room_service.phone_extras(
            session=session,
            cafe=cafe,
            person_id=person.id,
            is_host=person.is_host,
            now=now,
            latest=latest_broadcasts.latest,
        ),
        "story": table_story(session=session, cafe=cafe, person=person, table=view.table),
    }


def whole_phone_page(
    request: Request,
    session: Session,
    phone: Phone,
    now: datetime,
    *,
    draft: Draft | None,
    status_code: int,
    board_error: str | None = None,
    phone_notice: str = "",
) -> Response:
    """The participant page drawn whole again for a phone that posted without JavaScript and
    must read the answer (a refusal, or a notice): one drawing for the board's posts and for
    uploads, so both keep the words as they were sent in the form."""
    cafe, person = phone.cafe, phone.person
    state = state_service.cafe_state(session=session, cafe=cafe, now=now)
    view = state_service.participant_view(state=state, person=person, now=now)
    return draw_phone_page(
        request,
        cafe,
        view,
        status_code=status_code,
        board_error=board_error,
        phone_notice=phone_notice,
        **phone_extras(session, cafe, person, view, now),
        **board_context(session, cafe, person, rnd=view.round, table=view.table, draft=draft),
    )
