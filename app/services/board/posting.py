"""Writing from a phone: posting a contribution, and its author editing or withdrawing it.

A contribution is written at the author's table in the current round. Every write from a
phone carries a client-generated id, so a post retried after a dropped connection finds the
row it already made instead of adding a second one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, insert
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.base import as_loaded
from app.models.cafe import Cafe, CafeStatus, Participant, Round, Seat
from app.models.evidence import (
    EVIDENCE_LABELS,
    KIND_LABELS,
    MAX_TEXT,
    Contribution,
    ContributionKind,
    ContributionTheme,
    Media,
)
from app.services import changes
from app.services.board.rules import (
    HIDDEN,
    OPEN_ROUND,
    PENDING,
    VISIBLE,
    WITHDRAWN,
    clean_text,
    default_evidence,
)
from app.services.cafe import cafes as cafe_service
from app.services.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from app.services.evidence import themes as theme_service

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_THEMES_PER_POST = 10

# --- validation ----------------------------------------------------------------------------


def _valid_text(raw: str, *, optional: bool = False) -> str:
    """The card's words; `optional` when a photo or voice note comes with them (a caption)."""
    text = clean_text(raw)
    if not text and not optional:
        raise Invalid(_("Write something before you send it."))
    if len(text) > MAX_TEXT:
        raise Invalid(
            _(
                "Please keep it to %(most)s characters or fewer. This one has %(num)s.",
                most=MAX_TEXT,
                num=len(text),
            )
        )
    return text


def _valid_kind(kind: str) -> str:
    if kind not in KIND_LABELS:
        names = ", ".join(_(label).lower() for label in KIND_LABELS.values())
        raise Invalid(_("Choose what kind of contribution this is: %(names)s.", names=names))
    return kind


def _valid_evidence(evidence_type: str) -> str:
    if evidence_type not in EVIDENCE_LABELS:
        names = ", ".join(_(label).lower() for label in EVIDENCE_LABELS.values())
        raise Invalid(_("Choose where this comes from: %(names)s.", names=names))
    return evidence_type


# --- writing from a phone ------------------------------------------------------------------

# The statements a post runs, many times a second in a busy café, are built once with bound
# parameters: building a statement and its cache key costs more than SQLite takes to run it.

_BY_CLIENT_ID = select(Contribution).where(
    Contribution.participant_id == bindparam("participant_id"),
    Contribution.client_id == bindparam("client_id"),
)


def _by_client_id(session: Session, participant_id: int, client_id: str) -> Contribution | None:
    return session.exec(
        _BY_CLIENT_ID, params={"participant_id": participant_id, "client_id": client_id}
    ).first()


_TABLEMATE = aliased(Seat)
_PLACE = (
    sa_select(
        col(Round.id),
        col(Round.number),
        col(Round.status),
        col(Seat.table_id),
        col(_TABLEMATE.participant_id),
    )
    .outerjoin(
        Seat, (col(Seat.round_id) == Round.id) & (col(Seat.participant_id) == bindparam("person"))
    )
    .outerjoin(
        _TABLEMATE,
        (col(_TABLEMATE.round_id) == Round.id) & (col(_TABLEMATE.table_id) == Seat.table_id),
    )
    .where(col(Round.cafe_id) == bindparam("cafe"), col(Round.number) == bindparam("number"))
)


def _place(
    session: Session, cafe: Cafe, person: Participant, written_in: int | None = None
) -> tuple[int, int, list[int]]:
    """The open round, the person's table in it (ids) and who sits at that table (whose
    boards a card there changes), in one query: a post holds SQLite's write lock while it
    runs, so it asks as little as it can.

    `written_in`: the round the phone showed when the card was written. A card written in
    an earlier round and sent only now (it waited on a phone without a connection) goes
    to the board it was written for: that round's question, the table the person sat at."""
    if cafe.status == CafeStatus.CLOSED:
        raise Conflict(_("The café has closed, so the boards no longer change."))
    late = written_in is not None and 1 <= written_in < cafe.current_round
    number = written_in if late else cafe.current_round
    rows = (
        session.connection()  # Core columns: no need for the ORM's execution path
        .execute(_PLACE, {"person": person.id, "cafe": cafe.id, "number": number})
        .all()
    )
    if not rows:
        raise Conflict(_("The boards open when the first round starts."))
    round_id, number, status, table_id, _status = rows[0]
    if status not in OPEN_ROUND and not late:
        raise Conflict(
            _("Round %(number)s has finished. The next round opens a new board.", number=number)
        )
    if table_id is None:
        raise Conflict(_("You do not have a table yet. The facilitator will give you one."))
    return round_id, table_id, [row[4] for row in rows]


# A new card is written by one INSERT … RETURNING id, not through the unit of work: the
# flush's bookkeeping cost more than SQLite takes to store the row.
_CONTRIBUTIONS = cast(Table, Contribution.__table__)  # type: ignore[attr-defined]
_INSERT_CONTRIBUTION = insert(_CONTRIBUTIONS).returning(_CONTRIBUTIONS.c.id)
_INSERT_THEME_LINKS = insert(cast(Table, ContributionTheme.__table__))  # type: ignore[attr-defined]


@dataclass
class Posted:
    """What a post did: the contribution (new, or the one an earlier try made) and, for a new
    one, the names of its themes and the people seated at its table (whose boards it
    changes), read in the post's own transaction so nothing has to read them again."""

    contribution: Contribution
    created: bool
    themes: list[str] = field(default_factory=list)
    audience: list[int] = field(default_factory=list)
    late: bool = False  # went to the board of an earlier round, where it was written


def post_contribution(
    *,
    session: Session,
    cafe: Cafe,
    person: Participant,
    client_id: str,
    text: str,
    kind: str,
    evidence_type: str | None,
    for_table: bool = False,
    theme_ids: Sequence[int] = (),
    now: datetime,
    written_in: int | None = None,
) -> Posted:
    """Add a contribution to the person's table board in the current round (or in the
    earlier round it was written in: `_place`), in the themes the person ticked (the café's
    own; none is fine).

    A retry with the same client id returns the row the first attempt made (whatever the
    round is doing by now), with `created` false.
    """
    person_id = person.id
    client_id = client_id.strip()
    if not CLIENT_ID.match(client_id):
        raise Invalid(_("This post has no valid id. Please reload the page and try again."))
    try:
        checked = _check_post(
            session,
            cafe,
            person,
            text=text,
            kind=kind,
            evidence_type=evidence_type,
            for_table=for_table,
            theme_ids=theme_ids,
            written_in=written_in,
        )
    except DomainError:
        # A retry of a post that already arrived is answered with it, even if the round
        # has ended since; only a new post is refused.
        existing = _by_client_id(session, person_id, client_id)
        if existing is not None:
            return Posted(existing, created=False)
        raise
    values = _row(cafe, person, client_id, checked, for_table=for_table, now=now)
    try:
        new_id = _insert(session, cafe.id, values, checked.themes)
    except IntegrityError:
        # A retry, or a copy that raced the first one: either way the first row is the
        # answer.
        session.rollback()
        existing = _by_client_id(session, person_id, client_id)
        if existing is None:
            raise
        return Posted(existing, created=False)
    # The row as stored, without building a model to validate what was just checked.
    contribution = as_loaded(Contribution, {"id": new_id, **values})
    return Posted(
        contribution,
        created=True,
        themes=[name for _, name in checked.themes],
        audience=checked.seated,
        late=written_in is not None and written_in < cafe.current_round,
    )


class _Checked(NamedTuple):
    """A new post's fields as validated, and where it goes (ids)."""

    body: str
    kind: str
    evidence: str
    themes: list[tuple[int, str]]
    round_id: int
    table_id: int
    seated: list[int]


def _check_post(
    session: Session,
    cafe: Cafe,
    person: Participant,
    *,
    text: str,
    kind: str,
    evidence_type: str | None,
    for_table: bool,
    theme_ids: Sequence[int],
    written_in: int | None,
    with_media: bool = False,
) -> _Checked:
    """Everything a new post must pass, and its place; each refusal is a `DomainError`.
    A post `with_media` (a photo or voice note) may have no words."""
    body = _valid_text(text, optional=with_media)
    kind = _valid_kind(kind or ContributionKind.IDEA)
    evidence = _valid_evidence(evidence_type or default_evidence(person))
    if for_table and not person.is_host:
        raise Forbidden(_("Only a table host can write on behalf of the table."))
    if len(set(theme_ids)) > MAX_THEMES_PER_POST:
        raise Invalid(_("Choose up to %(num)s themes.", num=MAX_THEMES_PER_POST))
    themes = theme_service.chosen_themes(session=session, cafe=cafe, theme_ids=theme_ids)
    round_id, table_id, seated = _place(session, cafe, person, written_in)
    return _Checked(body, kind, evidence, themes, round_id, table_id, seated)


def _row(
    cafe: Cafe,
    person: Participant,
    client_id: str,
    checked: _Checked,
    *,
    for_table: bool,
    now: datetime,
) -> dict[str, Any]:
    """The new contribution's column values (`change_seq` is taken as it is written)."""
    return {
        "cafe_id": cafe.id,
        "round_id": checked.round_id,
        "table_id": checked.table_id,
        "participant_id": person.id,
        "client_id": client_id,
        "text": checked.body,
        "kind": checked.kind,
        "evidence_type": checked.evidence,
        "author_role": person.role,
        "for_table": for_table,
        "written_for": False,
        "written_by_id": None,
        "status": PENDING if cafe.premoderation else VISIBLE,
        "safeguarding": False,
        "safeguarding_resolved_at": None,
        "moderation_note": "",
        "created_at": now,
        "updated_at": now,
    }


def _insert(
    session: Session, cafe_id: int, values: dict[str, Any], themes: list[tuple[int, str]]
) -> int:
    """Write the row and its theme links and commit; the new id. The unique (person,
    client id) index is the duplicate check: a copy raises `IntegrityError`."""
    connection = session.connection()  # the session's transaction, without the ORM
    values["change_seq"] = changes.take(connection=connection, cafe_id=cafe_id)
    new_id: int = connection.execute(_INSERT_CONTRIBUTION, values).scalar_one()
    if themes:
        connection.execute(
            _INSERT_THEME_LINKS,
            [{"contribution_id": new_id, "theme_id": t} for t, _ in themes],
        )
    session.commit()
    return new_id


def own_contribution(
    *, session: Session, cafe: Cafe, person: Participant, contribution_id: int
) -> Contribution:
    """A contribution of this café the person wrote; refused for anyone else's."""
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or contribution.cafe_id != cafe.id:
        raise NotFound(_("There is no such contribution in this café."))
    if contribution.participant_id != person.id:
        raise Forbidden(_("You can only change what you wrote yourself."))
    return contribution


def check_changeable(*, session: Session, cafe: Cafe, contribution: Contribution) -> None:
    """Own contributions can be changed while the round they were written in is on."""
    if contribution.status == WITHDRAWN:
        raise Conflict(_("You have already taken this back."))
    if contribution.status == HIDDEN:
        raise Conflict(_("The facilitator has set this aside, so it can no longer be changed."))
    rnd = cafe_service.current_round(session=session, cafe=cafe)
    if (
        cafe.status == CafeStatus.CLOSED
        or rnd is None
        or rnd.id != contribution.round_id
        or rnd.status not in OPEN_ROUND
    ):
        raise Conflict(_("The round this was written in has finished, so it can no longer change."))


def edit_contribution(
    *,
    session: Session,
    cafe: Cafe,
    person: Participant,
    contribution_id: int,
    text: str,
    kind: str,
    evidence_type: str,
    now: datetime,
) -> Contribution:
    """Change the text, kind or evidence type of one's own contribution during its round."""
    contribution = own_contribution(
        session=session, cafe=cafe, person=person, contribution_id=contribution_id
    )
    check_changeable(session=session, cafe=cafe, contribution=contribution)
    body = _valid_text(text, optional=_has_media(session, contribution.id))
    kind = _valid_kind(kind)
    evidence = _valid_evidence(evidence_type)
    if (body, kind, evidence) == (
        contribution.text,
        contribution.kind,
        contribution.evidence_type,
    ):
        return contribution
    if cafe.premoderation and body != contribution.text:
        # Approval was for the old words: the new ones wait for the facilitator again.
        contribution.status = PENDING
    contribution.text, contribution.kind, contribution.evidence_type = body, kind, evidence
    contribution.updated_at = now
    contribution.change_seq = changes.take(connection=session.connection(), cafe_id=cafe.id)
    session.add(contribution)
    session.commit()
    return contribution


def _has_media(session: Session, contribution_id: int) -> bool:
    """Whether a photo or voice note is on the card (its words are then a caption, optional)."""
    found = session.exec(select(Media.id).where(Media.contribution_id == contribution_id)).first()
    return found is not None


def withdraw_contribution(
    *, session: Session, cafe: Cafe, person: Participant, contribution_id: int, now: datetime
) -> Contribution:
    """Take one's own contribution back during its round (a repeat does nothing more)."""
    contribution = own_contribution(
        session=session, cafe=cafe, person=person, contribution_id=contribution_id
    )
    if contribution.status == WITHDRAWN:
        return contribution
    check_changeable(session=session, cafe=cafe, contribution=contribution)
    contribution.status, contribution.updated_at = WITHDRAWN, now
    contribution.change_seq = changes.take(connection=session.connection(), cafe_id=cafe.id)
    session.add(contribution)
    session.commit()
    return contribution
