"""Contributions as API records, a page at a time after an opaque sync cursor."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.cafe import Cafe, CafeTable, Participant, Round
from app.models.evidence import Contribution, ContributionStatus
from app.models.harvest import ContributionPage, ContributionRecord, ThemeRef
from app.models.privacy import ErasedContribution
from app.services.cafe import cafes as cafe_service
from app.services.cafe.participants import shown_name
from app.services.errors import Invalid, NotFound
from app.services.evidence.filters import ContributionFilter, where
from app.services.evidence.harvest import reactions_for, themes_for


def encode_cursor(*, change_seq: int, contribution_id: int) -> str:
    """An opaque cursor for the contribution a page ended on."""
    raw = f"c{change_seq}|{contribution_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    """Read an opaque cursor; anything we did not hand out is refused."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raw = ""
    seq, _sep, ident = raw.removeprefix("c").partition("|")
    if (
        raw.startswith("c")
        and seq.isascii()
        and seq.isdigit()
        and ident.isascii()
        and ident.isdigit()
    ):
        return int(seq), int(ident)
    raise Invalid(_("The cursor in `after` is not one we handed out; start again without it."))


def contribution_page(
    *,
    session: Session,
    cafe: Cafe,
    filters: ContributionFilter,
    status: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> ContributionPage:
    """Contributions in the order they last changed, from a cursor on.

    New contributions and changed ones (edited, hidden, withdrawn, voted on, moved between
    themes, their theme renamed) all come after a client's last cursor, so one cursor is
    enough to stay in sync. So do the ids of contributions erased since (their author was
    erased), in `erased`, whatever the filters: a client drops them if it holds them. The
    order is the café's change numbers (`app.services.changes`), which commit in order:
    nothing can land behind a cursor already handed out.
    """
    conditions = where(cafe=cafe, filters=filters)
    if status is not None:
        conditions.append(col(Contribution.status) == status)
    seq, last_id = decode_cursor(after) if after else (0, 0)
    if after:
        conditions.append(
            or_(
                col(Contribution.change_seq) > seq,
                and_(col(Contribution.change_seq) == seq, col(Contribution.id) > last_id),
            )
        )
    query = (
        select(Contribution)
        .where(*conditions)
        .order_by(col(Contribution.change_seq), col(Contribution.id))
        .limit(limit + 1)
    )
    # One order for both: (change number, contribution id); an erased id is never a live one.
    found: list[tuple[int, int, Contribution | None]] = [
        (c.change_seq, c.id, c) for c in session.exec(query)
    ]
    found += [(s, i, None) for s, i in _erased_after(session, cafe, seq, last_id, limit + 1)]
    found.sort(key=lambda each: (each[0], each[1]))
    more = len(found) > limit
    found = found[:limit]
    rows = [c for _, _, c in found if c is not None]
    items = records(session=session, cafe=cafe, rows=rows)
    cursor = (
        encode_cursor(change_seq=found[-1][0], contribution_id=found[-1][1]) if found else after
    )
    return ContributionPage(
        items=items, erased=[i for _, i, c in found if c is None], next_cursor=cursor, has_more=more
    )


def _erased_after(
    session: Session, cafe: Cafe, seq: int, last_id: int, limit: int
) -> list[tuple[int, int]]:
    """Tombstones of the café's contributions erased after a cursor: (change number, id)."""
    rows = session.exec(
        select(ErasedContribution.change_seq, ErasedContribution.contribution_id)
        .where(
            ErasedContribution.cafe_id == cafe.id,
            or_(
                col(ErasedContribution.change_seq) > seq,
                and_(
                    col(ErasedContribution.change_seq) == seq,
                    col(ErasedContribution.contribution_id) > last_id,
                ),
            ),
        )
        .order_by(col(ErasedContribution.change_seq), col(ErasedContribution.contribution_id))
        .limit(limit)
    )
    return [(int(s), int(i)) for s, i in rows]


def records(
    *, session: Session, cafe: Cafe, rows: Sequence[Contribution]
) -> list[ContributionRecord]:
    """Contributions as API records with their provenance; tombstones when not visible."""
    # Keyed as the contributions name them: one made before the first round has none.
    rounds: dict[int | None, Round] = {
        r.id: r for r in cafe_service.rounds_of(session=session, cafe=cafe)
    }
    tables: dict[int | None, CafeTable] = {
        t.id: t for t in cafe_service.tables_of(session=session, cafe=cafe)
    }
    overrides: dict[tuple[int, int], str] = {}
    for each in rounds.values():
        for table_id, override in cafe_service.table_questions(session=session, rnd=each).items():
            overrides[(each.id, table_id)] = override
    ids = [c.id for c in rows]
    themes = themes_for(session=session, ids=ids)
    reactions = reactions_for(session=session, ids=ids)
    names: dict[int, str] = {}
    if cafe.names_visible:
        people = {c.participant_id for c in rows if c.participant_id is not None}
        if people:
            names = dict(
                session.exec(
                    select(Participant.id, Participant.display_name).where(
                        col(Participant.id).in_(people)
                    )
                ).all()
            )
    items = []
    for c in rows:
        visible = c.status == ContributionStatus.VISIBLE
        rnd = rounds.get(c.round_id)
        table = tables.get(c.table_id)
        question: str | None = None
        if rnd is not None:
            question = overrides.get((rnd.id, c.table_id or 0), rnd.question)
        items.append(
            ContributionRecord(
                id=c.id,
                cafe_id=c.cafe_id,
                status=c.status,
                text=c.text if visible else None,
                kind=c.kind,
                evidence_type=c.evidence_type,
                author_role=c.author_role,
                for_table=c.for_table,
                round=rnd.number if rnd else None,
                table=table.number if table else None,
                table_name=table.name if table else None,
                question=question,
                themes=[ThemeRef(id=t.id, name=t.name) for t in themes.get(c.id, [])]
                if visible
                else [],
                reactions=reactions.get(c.id, 0) if visible else 0,
                author=shown_name(names.get(c.participant_id or 0)) if visible else None,
                created_at=c.created_at,
                updated_at=c.updated_at,
            )
        )
    return items


def get_record(*, session: Session, cafe: Cafe, contribution_id: int) -> ContributionRecord:
    row = session.get(Contribution, contribution_id)
    if row is None or row.cafe_id != cafe.id:
        raise NotFound(_("No such contribution in this café."))
    session.refresh(row)
    return records(session=session, cafe=cafe, rows=[row])[0]
