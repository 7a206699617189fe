"""The café aggregate: café, tables, rounds, participants and seats."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Annotated, NamedTuple, Protocol

from pydantic import StrictBool, StringConstraints, model_validator
from sqlalchemy import Column, Index, String, UniqueConstraint, event, inspect, or_, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, UOWTransaction
from sqlmodel import Field, SQLModel, col

from app.i18n import N_, _
from app.models.base import RowRef, UTCDateTime, utcnow

# Text a person types: surrounding spaces dropped before the length is checked, so a
# question or title of spaces alone is refused rather than stored blank.
Typed = Annotated[str, StringConstraints(strip_whitespace=True)]


class SeatingMode(StrEnum):
    PLANNED = "planned"
    FREE = "free"


class CafeLanguage(StrEnum):
    """The languages a café's fixed text can be in (`app.i18n.LANGUAGES`)."""

    EN = "en"
    CY = "cy"


class CafeStatus(StrEnum):
    DRAFT = "draft"  # created, nobody moved yet; people may join and wait
    RUNNING = "running"
    CLOSED = "closed"


class RoundStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class StakeholderRole(StrEnum):
    LIVED_EXPERIENCE = "lived_experience"
    CARER = "carer"
    PRACTITIONER = "practitioner"
    MANAGER = "manager"
    DECISION_MAKER = "decision_maker"
    PROVIDER = "provider"
    RESEARCHER = "researcher"
    OTHER = "other"


# Marked here, translated where shown (`{{ _(role_labels[role]) }}`).
ROLE_LABELS: dict[str, str] = {
    "lived_experience": N_("I draw on care and support"),
    "carer": N_("Carer or family member"),
    "practitioner": N_("Practitioner or care worker"),
    "manager": N_("Manager"),
    "decision_maker": N_("Decision-maker or funder"),
    "provider": N_("Care provider"),
    "researcher": N_("Researcher"),
    "other": N_("Other"),
}


MAX_PRIVACY_NOTICE = 4000
# Written for people who are not confident readers: short lines, one idea each.
DEFAULT_PRIVACY_NOTICE = N_(
    "We keep the name you give today and what you write or say here.\n"
    "People in the room see what you write. Your name stays hidden unless the organiser says so.\n"
    "The notes of today's café keep what you said, because the room heard it.\n"
    "We use your words as evidence after today only if you say yes.\n"
    "Evidence means your words can go into reports that other people read, without your name.\n"
    "You can change your mind at any time on your page. "
    "Then your words are taken out of reports.\n"
    "Ask the organiser if you want what we keep about you, or want it deleted."
)


class CafeBase(SQLModel):
    """A café's settings as a facilitator gives them (`CafeCreate`) and as stored."""

    title: Typed = Field(min_length=1, max_length=120)
    purpose: Typed = Field(default="", max_length=2000)
    privacy_notice: Typed = Field(
        default=DEFAULT_PRIVACY_NOTICE,
        max_length=MAX_PRIVACY_NOTICE,
        description="What happens to what people say, in plain words: shown on the join page.",
    )


class Cafe(CafeBase, table=True):
    id: int = Field(default=None, primary_key=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True)
    code: str = Field(sa_column=Column(String(8), unique=True, nullable=False))
    seating_mode: str = Field(default=SeatingMode.PLANNED, max_length=10)
    names_visible: bool = Field(default=False)
    status: str = Field(default=CafeStatus.DRAFT, max_length=10)
    current_round: int = Field(default=0)
    reaction_budget: int = Field(default=3)
    premoderation: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Days personal data is kept after the café closes; None: the default from settings.
    keep_days: int | None = Field(default=None)
    # Moves on with every rotation (so a second "next round" for the same state is refused)
    # and with every change to what a round's seating is planned from (`_move_version_on`).
    version: int = Field(default=0)
    # The projector shows the harvest (themes, most-agreed cards, word cloud) instead of the
    # round: the facilitator's toggle on the console.
    projector_harvest: bool = Field(default=False)
    # The language of the café's fixed text for people who have not chosen their own (the
    # switch on every page), and whether the projector, the printed kit and the join page
    # show Welsh and English together.
    language: str = Field(default="en", max_length=5)
    bilingual: bool = Field(default=False)


class CafeTable(SQLModel, table=True):
    __tablename__ = "cafe_table"
    __table_args__ = (UniqueConstraint("cafe_id", "number"),)

    id: int = Field(default=None, primary_key=True)
    cafe_id: int = Field(foreign_key="cafe.id", index=True, ondelete="CASCADE")
    number: int
    name: str = Field(max_length=60)
    capacity: int = Field(default=6)
    # A host opens the join link with this token and is made host of the table.
    host_token: str = Field(default_factory=lambda: secrets.token_urlsafe(9), max_length=16)


class RoundBase(SQLModel):
    """A round's fields as a facilitator gives them (`RoundSpec`) and as stored."""

    question: Typed = Field(min_length=1, max_length=500)
    minutes: int = Field(default=20, ge=1, le=180)


class Round(RoundBase, table=True):
    __table_args__ = (UniqueConstraint("cafe_id", "number"),)

    id: int = Field(default=None, primary_key=True)
    cafe_id: int = Field(foreign_key="cafe.id", index=True, ondelete="CASCADE")
    number: int
    status: str = Field(default=RoundStatus.PLANNED, max_length=10)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TableQuestion(SQLModel, table=True):
    """A question for one table in one round, overriding the round's own."""

    __tablename__ = "table_question"
    __table_args__ = (UniqueConstraint("round_id", "table_id"),)

    id: int = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True, ondelete="CASCADE")
    table_id: int = Field(foreign_key="cafe_table.id", ondelete="CASCADE")
    question: str = Field(max_length=500)


class Participant(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("cafe_id", "join_key"),)

    id: int = Field(default=None, primary_key=True)
    cafe_id: int = Field(foreign_key="cafe.id", index=True, ondelete="CASCADE")
    display_name: str = Field(max_length=40)
    role: str | None = Field(default=None, max_length=20)
    cannot_move: bool = Field(default=False)
    large_text: bool = Field(default=False)
    easy_read: bool = Field(default=False)
    is_host: bool = Field(default=False)
    # The table a host (or someone who can't move) keeps; set when first seated.
    home_table_id: int | None = Field(default=None, foreign_key="cafe_table.id")
    # Random per person: the cookie names it, so a guessed id is not enough.
    secret: str = Field(max_length=64)
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Random, from the join form the person sent: the same form sent again (its answer was
    # lost on the way) finds this person rather than making a second one.
    join_key: str | None = Field(default=None, max_length=64)
    # Whether what this person says may be used as evidence beyond the café itself (merged
    # into a network's materials): never assumed, so False until they say yes.
    evidence_consent: bool = Field(default=False)
    consent_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Added by the facilitator for someone in the room without a phone: seated like everyone
    # else; a host or the facilitator posts for them.
    no_phone: bool = Field(default=False)


class Someone(Protocol):
    """What the live views read of a person: a `Participant` or a `Person` row."""

    @property
    def id(self) -> int: ...
    @property
    def display_name(self) -> str: ...
    @property
    def role(self) -> str | None: ...
    @property
    def is_host(self) -> bool: ...
    @property
    def cannot_move(self) -> bool: ...
    @property
    def home_table_id(self) -> int | None: ...


class Person(NamedTuple):
    """A participant as the café's live state holds them: plain values from one Core query.

    A café's state holds everyone in it and is read at every rotation and console redraw;
    a thousand ORM objects cost several times the query, these cost next to nothing."""

    id: int
    display_name: str
    role: str | None
    is_host: bool
    cannot_move: bool
    large_text: bool
    easy_read: bool
    home_table_id: int | None
    joined_at: datetime


class Seat(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("round_id", "participant_id"),)

    id: int = Field(default=None, primary_key=True)
    # No index on round_id alone: the unique (round_id, participant_id) one serves.
    round_id: int = Field(foreign_key="round.id", ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    table_id: int = Field(foreign_key="cafe_table.id", index=True, ondelete="CASCADE")


class SeatPlan(SQLModel, table=True):
    """A seat in a round not started yet, as the café's plan has it (`forecast.planned_rounds`):
    kept in the database so that every worker, and the app after a restart, follows the plan
    the café is following. `plan_key` names the room it was planned for (the people, the
    tables and the seating of the round before); a plan for another room is not used."""

    __tablename__ = "seat_plan"
    __table_args__ = (Index("ix_seat_plan_cafe_id_round_number", "cafe_id", "round_number"),)

    id: int = Field(default=None, primary_key=True)
    cafe_id: int = Field(foreign_key="cafe.id", ondelete="CASCADE")
    round_number: int
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    table_id: int = Field(foreign_key="cafe_table.id", index=True, ondelete="CASCADE")
    plan_key: str = Field(max_length=64)


@event.listens_for(OrmSession, "before_flush")
def _move_version_on(session: OrmSession, _flush: UOWTransaction, _instances: object) -> None:
    """Move a café's `version` on, in the same transaction, whenever a flush adds, changes or
    removes anything the next round's seating is planned from: the café row, its tables,
    its participants, a seat, a round not yet started or a table's question.

    The next round is planned ahead from the café as it then is (`prepare_next_round`,
    which notes the version first) and the plan is used at the tap only if the version has
    not moved since: so every writer counts, whichever process it runs in, without each
    having to remember to say so. The rotation's own writes (Core statements) move it once,
    in the claim. A round's clock (extend, pause, resume) does not count: the round after
    it is planned the same.

    When the flush changes nothing but café-level rows (a join: one participant), the café
    is moved on just before the commit instead (`_move_versions_on_at_commit`): the UPDATE
    locks the café's row until the commit, and every other writer to the café waits for it.
    At a room's join burst on PostgreSQL the joins queued there while each held the lock
    across its INSERT's round trip and its thread's wait for the GIL (bench/joins.py)."""
    cafes: set[int] = set()
    tables: set[int] = set()
    rounds: set[int] = set()
    # `session.dirty` is worked out afresh at each use: once, here.
    modified = (obj for obj in session.dirty if session.is_modified(obj))
    for obj in (*session.new, *modified, *session.deleted):
        if isinstance(obj, Participant | CafeTable):
            cafes.add(obj.cafe_id)
        elif isinstance(obj, Cafe):
            state = inspect(obj)
            changed = {a.key for a in state.attrs if a.history.has_changes()} if state else set()
            # A café new in this flush has no id yet (nor a plan to keep in step).
            if obj.id is not None and changed - {"version"}:
                cafes.add(obj.id)
        elif isinstance(obj, Seat):
            tables.add(obj.table_id)
        elif isinstance(obj, TableQuestion):
            rounds.add(obj.round_id)
        elif isinstance(obj, Round) and obj.status == RoundStatus.PLANNED:
            cafes.add(obj.cafe_id)
    if cafes and not tables and not rounds:
        session.info.setdefault(_AT_COMMIT, set()).update(cafes)
        return
    cafes |= session.info.pop(_AT_COMMIT, set())
    which = []
    if cafes:
        which.append(col(Cafe.id).in_(cafes))
    if tables:
        owners = select(col(CafeTable.cafe_id)).where(col(CafeTable.id).in_(tables))
        which.append(col(Cafe.id).in_(owners))
    if rounds:
        owners = select(col(Round.cafe_id)).where(col(Round.id).in_(rounds))
        which.append(col(Cafe.id).in_(owners))
    if which:
        # On the connection: a statement through the session would flush first, i.e. again.
        session.connection().execute(
            update(Cafe).where(or_(*which)).values(version=Cafe.version + 1)
        )


_AT_COMMIT = "tablecloth_cafes_to_move_on"  # in `Session.info`: café ids, until the commit


@event.listens_for(OrmSession, "before_commit")
def _move_versions_on_at_commit(session: OrmSession) -> None:
    """The cafés `_move_version_on` left for the commit move on now, in the transaction
    being committed, after whatever is still unflushed (which may add to them)."""
    session.flush()
    cafes = session.info.pop(_AT_COMMIT, None)
    if cafes:
        session.connection().execute(
            update(Cafe).where(col(Cafe.id).in_(cafes)).values(version=Cafe.version + 1)
        )


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_versions_at_the_end(session: OrmSession, transaction: SessionTransaction) -> None:
    """Rolled back or closed without a commit: what was written is gone, and so is the
    reason to move the café on (a savepoint's end leaves them to the transaction around it)."""
    if transaction.parent is None:
        session.info.pop(_AT_COMMIT, None)


# --- API schemas -------------------------------------------------------------------------
# The `*Public` models list their fields again on purpose: they show the stored values
# without the input limits and defaults, and `/openapi.json` is a published contract.


class TableSpec(SQLModel):
    name: Typed | None = Field(default=None, max_length=60, description="Defaults to 'Table N'.")
    capacity: int = Field(default=6, ge=2, le=30)


class TableQuestionSpec(SQLModel):
    table: int = Field(ge=1, le=200, description="Table number (1-based).")
    question: Typed = Field(min_length=1, max_length=500)


class RoundSpec(RoundBase):
    table_questions: list[TableQuestionSpec] = Field(
        default_factory=list,
        max_length=200,
        description="Optional per-table questions for this round, one per table at most.",
    )

    @model_validator(mode="after")
    def _one_question_a_table(self) -> RoundSpec:
        seen: set[int] = set()
        for tq in self.table_questions:
            if tq.table in seen:
                raise ValueError(
                    _("table_questions gives table %(table)s two questions", table=tq.table)
                )
            seen.add(tq.table)
        return self


class CafeCreate(CafeBase):
    tables: list[TableSpec] | None = Field(
        default=None, max_length=200, description="Named tables; or give table_count."
    )
    table_count: int | None = Field(default=None, ge=1, le=200)
    table_capacity: int = Field(default=6, ge=2, le=30)
    rounds: list[RoundSpec] = Field(min_length=1, max_length=20)
    seating_mode: SeatingMode = SeatingMode.PLANNED
    names_visible: StrictBool = Field(
        default=False, description="Show participants' names to other participants."
    )
    reaction_budget: int = Field(default=3, ge=0, le=20)
    premoderation: StrictBool = False
    language: CafeLanguage = Field(
        default=CafeLanguage.EN,
        description="The language of the café's fixed text for people who have not chosen "
        "their own: en (English) or cy (Welsh).",
    )
    bilingual: StrictBool = Field(
        default=False,
        description="The projector and the printed kit show Welsh and English together.",
    )

    @model_validator(mode="after")
    def _tables_given(self) -> CafeCreate:
        if not self.tables and not self.table_count:
            raise ValueError(_("give either tables or table_count"))
        if self.tables and self.table_count and self.table_count != len(self.tables):
            raise ValueError(_("table_count does not match the number of tables given"))
        count = len(self.tables) if self.tables else (self.table_count or 0)
        for spec in self.rounds:
            for tq in spec.table_questions:
                if tq.table > count:
                    raise ValueError(
                        _(
                            "table_questions names table %(table)s, which does not exist",
                            table=tq.table,
                        )
                    )
        return self


class CafeUpdate(SQLModel):
    """What a facilitator may change while a café runs; fields left out stay as they are."""

    title: Typed | None = Field(default=None, min_length=1, max_length=120)
    purpose: Typed | None = Field(default=None, max_length=2000)
    reaction_budget: int | None = Field(
        default=None, ge=0, le=20, description="Votes per person per round (0: no voting)."
    )
    premoderation: StrictBool | None = Field(
        default=None, description="New cards wait for the facilitator's approval."
    )
    privacy_notice: Typed | None = Field(
        default=None,
        max_length=MAX_PRIVACY_NOTICE,
        description="What happens to what people say, in plain words: shown on the join page.",
    )
    names_visible: StrictBool | None = Field(
        default=None,
        description="Show participants' names to other participants. Can be switched on only "
        "before anyone has joined: people joined on the promise that their name stays hidden.",
    )
    language: CafeLanguage | None = Field(
        default=None,
        description="The language of the café's fixed text for people who have not chosen "
        "their own: en (English) or cy (Welsh).",
    )
    bilingual: StrictBool | None = Field(
        default=None,
        description="The projector and the printed kit show Welsh and English together.",
    )


class TablePublic(SQLModel):
    id: int
    number: int
    name: str
    capacity: int
    host_url: str = Field(
        default="",
        description="The table's host link: whoever joins through it hosts this table and "
        "stays there while others move. For the facilitator to hand to the host only.",
    )


class RoundPublic(SQLModel):
    id: int
    number: int
    question: str
    minutes: int
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    paused_at: datetime | None
    seconds_left: int | None = None
    table_questions: dict[int, str] = Field(default_factory=dict)


class CafePublic(SQLModel):
    id: int
    title: str
    purpose: str
    privacy_notice: str
    code: str
    join_url: str
    status: str
    seating_mode: str
    names_visible: bool
    reaction_budget: int
    premoderation: bool
    language: CafeLanguage
    bilingual: bool
    current_round: int
    created_at: datetime
    closed_at: datetime | None
    tables: list[TablePublic]
    rounds: list[RoundPublic]


class SeatPublic(SQLModel):
    participant_id: int
    display_name: str
    role: str | None
    is_host: bool
    table_id: int
    table_number: int
    table_name: str


class SeatingPublic(SQLModel):
    cafe_id: int
    round: int
    seats: list[SeatPublic]
    unseated: list[int] = Field(description="Participant ids not seated in this round.")


class ParticipantPublic(SQLModel):
    id: int
    display_name: str
    role: str | None
    is_host: bool
    cannot_move: bool
    home_table_id: int | None
    joined_at: datetime
    left_at: datetime | None
    evidence_consent: bool = Field(
        description="What they say may be used as evidence beyond the café's own notes."
    )
    no_phone: bool = Field(
        default=False, description="Added by the facilitator for someone without a phone."
    )


class ConsentChange(SQLModel):
    evidence_consent: bool = Field(
        description="False withdraws consent: their words are taken out of every material."
    )


class ExtendRequest(SQLModel):
    minutes: int = Field(default=5, ge=1, le=60)


class NextRoundRequest(SQLModel):
    from_round: int | None = Field(
        default=None,
        ge=0,
        description="The round you believe is current. If another rotation already moved "
        "past it, the call is refused with 409 instead of rotating twice.",
    )


class MoveRequest(SQLModel):
    table_id: RowRef


class HostRequest(SQLModel):
    table_id: RowRef | None = Field(description="Table to host; null removes the host role.")
