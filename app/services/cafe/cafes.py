"""A café itself: its join code, creating, listing, finding, changing and closing it, its
tables and rounds as read, and its public view."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import i18n
from app.i18n import _
from app.models.accounts import Facilitator
from app.models.cafe import (
    DEFAULT_PRIVACY_NOTICE,
    Cafe,
    CafeCreate,
    CafePublic,
    CafeStatus,
    CafeTable,
    CafeUpdate,
    Participant,
    Round,
    RoundPublic,
    RoundStatus,
    TablePublic,
    TableQuestion,
    TableSpec,
)
from app.services.errors import Conflict, Invalid, NotFound
from app.services.privacy.notices import clean_notice

# No 0/O, 1/I/L: codes are read off a projector and typed on small keyboards.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def normalise_code(raw: str) -> str:
    """Upper-case, drop spaces and dashes, read look-alikes as the letters we use."""
    cleaned = raw.strip().upper().replace(" ", "").replace("-", "")
    cleaned = cleaned.replace("0", "O").replace("1", "I")
    # O and I are not in the alphabet: a typed O or 0 cannot be part of a code.
    if not cleaned or len(cleaned) > 12 or any(c not in CODE_ALPHABET for c in cleaned):
        return ""
    return cleaned


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# --- creation and reading ----------------------------------------------------------------


def _default_notice(data: CafeCreate) -> str:
    """The notice given, or the default one in the café's language (a Welsh café's people
    read the Welsh default)."""
    if data.privacy_notice == DEFAULT_PRIVACY_NOTICE:
        return i18n.in_language(data.language, DEFAULT_PRIVACY_NOTICE)
    return data.privacy_notice


def create_cafe(*, session: Session, facilitator: Facilitator, data: CafeCreate) -> Cafe:
    """Create a café with its tables and rounds, all in one transaction."""
    specs = data.tables or []
    if not specs:
        specs = [TableSpec(capacity=data.table_capacity) for _ in range(data.table_count or 0)]
    for _attempt in range(10):
        cafe = Cafe(
            facilitator_id=facilitator.id,
            title=data.title.strip(),
            purpose=data.purpose.strip(),
            privacy_notice=clean_notice(_default_notice(data)),
            code=new_code(),
            seating_mode=data.seating_mode,
            names_visible=data.names_visible,
            reaction_budget=data.reaction_budget,
            premoderation=data.premoderation,
            language=data.language,
            bilingual=data.bilingual,
        )
        if not cafe.title:
            raise Invalid(_("Give the café a title."))
        session.add(cafe)
        try:
            session.flush()
        except IntegrityError:  # code collision: vanishingly rare, try another
            session.rollback()
            continue
        break
    else:  # pragma: no cover
        raise Conflict(_("Could not find a free join code; please try again."))
    tables = []
    for number, spec in enumerate(specs, start=1):
        name = (spec.name or "").strip() or i18n.in_language(
            cafe.language, "Table %(number)s", number=number
        )
        table = CafeTable(cafe_id=cafe.id, number=number, name=name, capacity=spec.capacity)
        session.add(table)
        tables.append(table)
    session.flush()
    for number, round_spec in enumerate(data.rounds, start=1):
        rnd = Round(
            cafe_id=cafe.id,
            number=number,
            question=round_spec.question.strip(),
            minutes=round_spec.minutes,
        )
        session.add(rnd)
        session.flush()
        for tq in round_spec.table_questions:
            table_id = tables[tq.table - 1].id
            session.add(
                TableQuestion(round_id=rnd.id, table_id=table_id, question=tq.question.strip())
            )
    session.commit()
    session.refresh(cafe)
    return cafe


def list_cafes(*, session: Session, facilitator: Facilitator) -> list[Cafe]:
    return list(
        session.exec(
            select(Cafe).where(Cafe.facilitator_id == facilitator.id).order_by(col(Cafe.id).desc())
        )
    )


def get_owned(*, session: Session, facilitator: Facilitator, cafe_id: int) -> Cafe:
    """A café the facilitator runs; someone else's café is reported as missing."""
    cafe = session.get(Cafe, cafe_id)
    if cafe is None or cafe.facilitator_id != facilitator.id:
        raise NotFound(_("No such café."))
    return cafe


def get_by_code(*, session: Session, code: str) -> Cafe | None:
    cleaned = normalise_code(code)
    if not cleaned:
        return None
    return session.exec(select(Cafe).where(Cafe.code == cleaned)).first()


def tables_of(*, session: Session, cafe: Cafe) -> list[CafeTable]:
    return list(
        session.exec(
            select(CafeTable).where(CafeTable.cafe_id == cafe.id).order_by(col(CafeTable.number))
        )
    )


def rounds_of(*, session: Session, cafe: Cafe) -> list[Round]:
    return list(
        session.exec(select(Round).where(Round.cafe_id == cafe.id).order_by(col(Round.number)))
    )


def round_count(*, session: Session, cafe: Cafe) -> int:
    return int(session.exec(select(func.count()).where(Round.cafe_id == cafe.id)).one())


def current_round(*, session: Session, cafe: Cafe) -> Round | None:
    if cafe.current_round == 0:
        return None
    return session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == cafe.current_round)
    ).first()


def seconds_left(*, rnd: Round, now: datetime) -> int | None:
    if rnd.ends_at is None:
        return None
    if rnd.status == RoundStatus.ENDED:
        return 0
    reference = rnd.paused_at if rnd.status == RoundStatus.PAUSED and rnd.paused_at else now
    return max(0, int((rnd.ends_at - reference).total_seconds()))


def table_questions(*, session: Session, rnd: Round) -> dict[int, str]:
    rows = session.exec(select(TableQuestion).where(TableQuestion.round_id == rnd.id))
    return {row.table_id: row.question for row in rows}


def question_for(*, session: Session, rnd: Round, table_id: int | None) -> str:
    if table_id is not None:
        override = session.exec(
            select(TableQuestion).where(
                TableQuestion.round_id == rnd.id, TableQuestion.table_id == table_id
            )
        ).first()
        if override:
            return override.question
    return rnd.question


def cafe_public(*, session: Session, cafe: Cafe, base_url: str, now: datetime) -> CafePublic:
    tables = tables_of(session=session, cafe=cafe)
    numbers = {t.id: t.number for t in tables}
    rounds = []
    for rnd in rounds_of(session=session, cafe=cafe):
        public = RoundPublic.model_validate(rnd, from_attributes=True)
        public.seconds_left = seconds_left(rnd=rnd, now=now)
        questions = table_questions(session=session, rnd=rnd)
        public.table_questions = {numbers[k]: v for k, v in questions.items()}
        rounds.append(public)
    url = join_url(base_url=base_url, cafe=cafe)
    return CafePublic(
        **cafe.model_dump(exclude={"facilitator_id", "version"}),
        join_url=url,
        tables=[
            TablePublic.model_validate(t, from_attributes=True).model_copy(
                update={"host_url": f"{url}?host={t.host_token}"}
            )
            for t in tables
        ],
        rounds=rounds,
    )


def join_url(*, base_url: str, cafe: Cafe) -> str:
    return f"{base_url.rstrip('/')}/j/{cafe.code}"


# --- changing and closing ------------------------------------------------------------------


def update_cafe(*, session: Session, cafe: Cafe, data: CafeUpdate) -> Cafe:
    """Change a café's title, purpose, privacy notice, votes per person, pre-moderation or
    anonymity.

    Names can be shown only if nobody has joined yet: everyone in the café joined on the
    promise that other participants would not see their name. Votes already given stay when
    the budget shrinks; cards already waiting stay waiting when pre-moderation is switched off.
    """
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict(_("The café is closed, so its settings no longer change."))
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if changes.get("names_visible") and not cafe.names_visible:
        joined = session.exec(
            select(func.count()).select_from(Participant).where(Participant.cafe_id == cafe.id)
        ).one()
        if joined:
            raise Conflict(
                _(
                    "People have joined on the promise that others would not see their names, "
                    "so names stay hidden in this café."
                )
            )
    if "privacy_notice" in changes:
        changes["privacy_notice"] = clean_notice(changes["privacy_notice"])
    for name, value in changes.items():
        setattr(cafe, name, value)
    session.add(cafe)
    session.commit()
    session.refresh(cafe)
    return cafe


def close_cafe(*, session: Session, cafe: Cafe, now: datetime) -> Cafe:
    """Close the café: the clock stops and the join code stops working."""
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict(_("The café is already closed."))
    rnd = current_round(session=session, cafe=cafe)
    if rnd is not None and rnd.status != RoundStatus.ENDED:
        rnd.status, rnd.ended_at, rnd.paused_at = RoundStatus.ENDED, now, None
        if rnd.ends_at is None or rnd.ends_at > now:
            rnd.ends_at = now
        session.add(rnd)
    cafe.status, cafe.closed_at = CafeStatus.CLOSED, now
    session.add(cafe)
    session.commit()
    return cafe
