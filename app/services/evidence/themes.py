"""Themes: a café's named groups of contributions, made, renamed, deleted and (un)assigned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy import select as sa_select
from sqlalchemy.sql.expression import Select
from sqlmodel import Session, col, select

from app.i18n import _
from app.models.cafe import Cafe
from app.models.evidence import Contribution, ContributionStatus, ContributionTheme, Theme
from app.models.harvest import ThemePublic
from app.services import changes
from app.services.errors import Conflict, Invalid, NotFound


@dataclass
class ThemeSummary:
    theme: Theme
    count: int


def themes_of(*, session: Session, cafe: Cafe) -> list[ThemeSummary]:
    """The café's themes by name, each with how many visible contributions it holds."""
    counts = dict(
        session.exec(
            select(ContributionTheme.theme_id, func.count())
            .join(Contribution, col(Contribution.id) == ContributionTheme.contribution_id)
            .where(
                Contribution.cafe_id == cafe.id,
                Contribution.status == ContributionStatus.VISIBLE,
            )
            .group_by(col(ContributionTheme.theme_id))
        ).all()
    )
    themes = session.exec(
        select(Theme)
        .where(Theme.cafe_id == cafe.id)
        .order_by(func.lower(Theme.name), col(Theme.id))
    )
    return [ThemeSummary(theme=t, count=int(counts.get(t.id, 0))) for t in themes]


def chosen_themes(
    *, session: Session, cafe: Cafe, theme_ids: Sequence[int]
) -> list[tuple[int, str]]:
    """Themes ticked on a phone, as (id, name) in the order cards name them: every one must
    be this café's (one may have been removed since the form was drawn)."""
    wanted = sorted(set(theme_ids))
    if not wanted:
        return []
    found = session.exec(
        select(Theme.id, Theme.name)
        .where(Theme.cafe_id == cafe.id, col(Theme.id).in_(wanted))
        .order_by(func.lower(Theme.name), col(Theme.id))
    ).all()
    if len(found) != len(wanted):
        raise Invalid(_("One of those themes is no longer there. Please choose from the list."))
    return [(theme_id, name) for theme_id, name in found]


def theme_public(*, summary: ThemeSummary) -> ThemePublic:
    """A theme and its count as the API shows it."""
    t = summary.theme
    return ThemePublic(
        id=t.id,
        name=t.name,
        description=t.description,
        contributions=summary.count,
        created_at=t.created_at,
    )


def get_theme(*, session: Session, cafe: Cafe, theme_id: int) -> Theme:
    theme = session.get(Theme, theme_id)
    if theme is None or theme.cafe_id != cafe.id:
        raise NotFound(_("No such theme in this café."))
    return theme


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise Invalid(_("Give the theme a name."))
    if len(cleaned) > 80:
        raise Invalid(_("Please keep the theme name to 80 characters or fewer."))
    return cleaned


def _clean_description(description: str) -> str:
    cleaned = description.strip()
    if len(cleaned) > 500:
        raise Invalid(_("Please keep the description to 500 characters or fewer."))
    return cleaned


def _name_taken(session: Session, cafe: Cafe, name: str, *, other_than: int | None) -> bool:
    """Whether another theme of the café has this name, whatever its case. Compared here, in
    Python: SQLite's lower() leaves "Ä" as it is, so "Ärger" passed for new beside "Ärger"."""
    query = select(Theme.id, Theme.name).where(Theme.cafe_id == cafe.id)
    if other_than is not None:
        query = query.where(Theme.id != other_than)
    wanted = name.casefold()
    return any(existing.casefold() == wanted for _, existing in session.exec(query))


def create_theme(
    *,
    session: Session,
    cafe: Cafe,
    name: str,
    description: str = "",
    contribution_ids: Sequence[int] = (),
    now: datetime,
) -> Theme:
    """A new theme, optionally holding some contributions from the start."""
    cleaned = _clean_name(name)
    if _name_taken(session, cafe, cleaned, other_than=None):
        raise Conflict(_("There is already a theme called “%(name)s”.", name=cleaned))
    theme = Theme(
        cafe_id=cafe.id, name=cleaned, description=_clean_description(description), created_at=now
    )
    session.add(theme)
    session.flush()
    if contribution_ids:
        _link(session, cafe, theme, contribution_ids, now)
    session.commit()
    session.refresh(theme)
    return theme


def update_theme(
    *,
    session: Session,
    cafe: Cafe,
    theme_id: int,
    name: str | None = None,
    description: str | None = None,
) -> Theme:
    """Rename a theme or change its description."""
    theme = get_theme(session=session, cafe=cafe, theme_id=theme_id)
    if name is not None:
        cleaned = _clean_name(name)
        if _name_taken(session, cafe, cleaned, other_than=theme.id):
            raise Conflict(_("There is already a theme called “%(name)s”.", name=cleaned))
        if cleaned != theme.name:
            # Its contributions' records name the theme: they changed too.
            changes.mark(connection=session.connection(), cafe_id=cafe.id, ids=_members(theme))
        theme.name = cleaned
    if description is not None:
        theme.description = _clean_description(description)
    session.add(theme)
    session.commit()
    session.refresh(theme)
    return theme


def delete_theme(*, session: Session, cafe: Cafe, theme_id: int, now: datetime) -> Theme:
    """Delete a theme; its contributions stay, only the grouping goes."""
    theme = get_theme(session=session, cafe=cafe, theme_id=theme_id)
    members = _members(theme)
    changes.mark(connection=session.connection(), cafe_id=cafe.id, ids=members)
    session.execute(
        update(Contribution).where(col(Contribution.id).in_(members)).values(updated_at=now)
    )
    session.execute(delete(ContributionTheme).where(col(ContributionTheme.theme_id) == theme.id))
    session.delete(theme)
    session.commit()
    return theme


def _members(theme: Theme) -> Select[Any]:
    """The ids of a theme's contributions, as a query."""
    return sa_select(col(ContributionTheme.contribution_id)).where(
        col(ContributionTheme.theme_id) == theme.id
    )


def _owned_ids(session: Session, cafe: Cafe, ids: Sequence[int]) -> list[int]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return []
    found = set(
        session.exec(
            select(Contribution.id).where(
                Contribution.cafe_id == cafe.id, col(Contribution.id).in_(wanted)
            )
        ).all()
    )
    if len(found) != len(wanted):
        raise NotFound(_("No such contribution in this café."))
    return wanted


def _link(session: Session, cafe: Cafe, theme: Theme, ids: Sequence[int], now: datetime) -> int:
    wanted = _owned_ids(session, cafe, ids)
    already = set(
        session.exec(
            select(ContributionTheme.contribution_id).where(
                ContributionTheme.theme_id == theme.id,
                col(ContributionTheme.contribution_id).in_(wanted),
            )
        ).all()
    )
    new = [cid for cid in wanted if cid not in already]
    if new:
        # Themes are part of the record an API client syncs: a change it must see.
        changes.mark(connection=session.connection(), cafe_id=cafe.id, ids=new)
    for cid in new:
        session.add(ContributionTheme(contribution_id=cid, theme_id=theme.id))
    if new:
        session.execute(
            update(Contribution).where(col(Contribution.id).in_(new)).values(updated_at=now)
        )
    return len(new)


def assign(
    *, session: Session, cafe: Cafe, theme_id: int, contribution_ids: Sequence[int], now: datetime
) -> int:
    """Put contributions in a theme; returns how many were not in it already."""
    if not contribution_ids:
        raise Invalid(_("Tick at least one contribution first."))
    theme = get_theme(session=session, cafe=cafe, theme_id=theme_id)
    added = _link(session, cafe, theme, contribution_ids, now)
    session.commit()
    return added


def unassign(
    *, session: Session, cafe: Cafe, theme_id: int, contribution_ids: Sequence[int], now: datetime
) -> int:
    """Take contributions out of a theme; returns how many were in it."""
    if not contribution_ids:
        raise Invalid(_("Tick at least one contribution first."))
    theme = get_theme(session=session, cafe=cafe, theme_id=theme_id)
    wanted = _owned_ids(session, cafe, contribution_ids)
    linked = list(
        session.exec(
            select(ContributionTheme.contribution_id).where(
                ContributionTheme.theme_id == theme.id,
                col(ContributionTheme.contribution_id).in_(wanted),
            )
        ).all()
    )
    if linked:
        changes.mark(connection=session.connection(), cafe_id=cafe.id, ids=linked)
        session.execute(
            delete(ContributionTheme).where(
                col(ContributionTheme.theme_id) == theme.id,
                col(ContributionTheme.contribution_id).in_(linked),
            )
        )
        session.execute(
            update(Contribution).where(col(Contribution.id).in_(linked)).values(updated_at=now)
        )
    session.commit()
    return len(linked)
