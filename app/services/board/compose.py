"""A new card with a photo or a voice note (or both) from the compose form, in one post.

The words are then a caption and may be left out. The post carries the phone's client id
like a typed one; a retry (a phone that queued it offline, or whose answer was lost) finds
the card the first try made, and stores no second card and no second file: the files are
written only for a new card, and removed again when a racing copy wins.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.i18n import _
from app.models.base import as_loaded
from app.models.cafe import Cafe, Participant
from app.models.evidence import Contribution, Media
from app.services import changes
from app.services import media as media_service
from app.services.board import posting
from app.services.errors import DomainError, Invalid


@dataclass
class Composed:
    """What a media post did: the card (new, or the one an earlier try made), its files,
    and for a new card who sits at its table and the names of its themes."""

    posted: posting.Posted
    media: list[Media]


def valid_client_id(client_id: str) -> str:
    client_id = client_id.strip()
    if not posting.CLIENT_ID.match(client_id):
        raise Invalid(_("This post has no valid id. Please reload the page and try again."))
    return client_id


def already_posted(*, session: Session, person: Participant, client_id: str) -> Contribution | None:
    """The card an earlier try with this client id made, if any: checked before the files are
    read and cleaned, so a retry costs no decoding and leaves no file behind."""
    return posting._by_client_id(session, person.id, valid_client_id(client_id))


def post_with_media(
    *,
    session: Session,
    media_dir: Path,
    cafe: Cafe,
    person: Participant,
    client_id: str,
    text: str,
    kind: str,
    evidence_type: str | None,
    for_table: bool = False,
    theme_ids: Sequence[int] = (),
    files: Sequence[media_service.Prepared],
    now: datetime,
    written_in: int | None = None,
) -> Composed:
    """Add a card with its photo and/or voice note (prepared: checked and cleaned) to the
    person's table board, as `posting.post_contribution` adds a typed one. At most one photo
    and one voice note."""
    client_id = valid_client_id(client_id)
    kinds = [f.type.kind for f in files]
    if not files:
        raise Invalid(_("Choose a photo or a voice note to add."))
    if len(set(kinds)) != len(kinds):
        raise Invalid(_("A card can have one photo and one voice note."))
    existing = posting._by_client_id(session, person.id, client_id)
    if existing is not None:
        return Composed(posting.Posted(existing, created=False), media=[])
    try:
        checked = posting._check_post(
            session,
            cafe,
            person,
            text=text,
            kind=kind,
            evidence_type=evidence_type,
            for_table=for_table,
            theme_ids=theme_ids,
            written_in=written_in,
            with_media=True,
        )
    except DomainError:
        session.rollback()
        raise
    # The files go to disk before the row is written, so no transaction waits on the disk.
    relatives = [f"{cafe.id}/{secrets.token_hex(16)}.{f.type.ext}" for f in files]
    for relative, prepared in zip(relatives, files, strict=True):
        media_service.write_whole(media_dir / relative, prepared.data)
    values = posting._row(cafe, person, client_id, checked, for_table=for_table, now=now)
    try:
        new_id = _insert(session, cafe.id, values, checked.themes, relatives, files, now)
    except IntegrityError:
        # A copy that raced this one made the card first: its files are the card's.
        session.rollback()
        _remove(media_dir, relatives)
        existing = posting._by_client_id(session, person.id, client_id)
        if existing is None:
            raise
        return Composed(posting.Posted(existing, created=False), media=[])
    except BaseException:
        session.rollback()
        _remove(media_dir, relatives)
        raise
    contribution = as_loaded(Contribution, {"id": new_id, **values})
    items = list(session.exec(select(Media).where(Media.contribution_id == new_id)))
    return Composed(
        posting.Posted(
            contribution,
            created=True,
            themes=[name for _, name in checked.themes],
            audience=checked.seated,
            late=written_in is not None and written_in < cafe.current_round,
        ),
        media=items,
    )


def _insert(
    session: Session,
    cafe_id: int,
    values: dict[str, object],
    themes: list[tuple[int, str]],
    relatives: list[str],
    files: Sequence[media_service.Prepared],
    now: datetime,
) -> int:
    """The card, its theme links and its files' rows, in one transaction."""
    connection = session.connection()
    values["change_seq"] = changes.take(connection=connection, cafe_id=cafe_id)
    new_id: int = connection.execute(posting._INSERT_CONTRIBUTION, values).scalar_one()
    if themes:
        connection.execute(
            posting._INSERT_THEME_LINKS,
            [{"contribution_id": new_id, "theme_id": t} for t, _ in themes],
        )
    for relative, prepared in zip(relatives, files, strict=True):
        session.add(
            Media(
                contribution_id=new_id,
                kind=prepared.type.kind,
                content_type=prepared.type.content_type,
                path=relative,
                size=len(prepared.data),
                created_at=now,
            )
        )
    session.commit()
    return new_id


def _remove(media_dir: Path, relatives: list[str]) -> None:
    for relative in relatives:
        media_service.remove_file(media_dir=media_dir, relative=relative)
