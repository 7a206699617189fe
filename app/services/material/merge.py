"""Merging evidence into a draft: the contributions and themes to pick from, the merge that
copies contributions in with their provenance, and editing or removing the items merged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from app.i18n import _
from app.models.evidence import Contribution, ContributionStatus, ContributionTheme, Theme
from app.models.material import MAX_PARAPHRASE, EvidenceItem, MaterialSection, SourceStatus
from app.models.network import Network
from app.services.errors import Invalid, NotFound
from app.services.evidence.filters import ContributionFilter, tag_conditions
from app.services.material.consent import consented, refuse_without_consent
from app.services.material.provenance import (
    CafeLink,
    Provenance,
    UseRef,
    network_cafes,
    provenance_of,
    theme_key,
    uses_by_contribution,
)
from app.services.material.reading import version_of
from app.services.material.versions import lock_draft, touch

MAX_MERGE = 500


# --- what can be merged -------------------------------------------------------------------


@dataclass
class Candidate:
    contribution: Contribution
    provenance: Provenance
    uses: list[UseRef]


@dataclass
class CandidatePage:
    items: list[Candidate]
    next_cursor: int | None


def _filtered_cafe_ids(links: Sequence[CafeLink], filters: ContributionFilter) -> list[int]:
    return [
        link.cafe.id
        for link in links
        if (filters.cafe_id is None or link.cafe.id == filters.cafe_id)
        and (filters.group_id is None or link.group.id == filters.group_id)
    ]


def merge_candidates(
    *,
    session: Session,
    network: Network,
    filters: ContributionFilter,
    after: int | None = None,
    limit: int = 100,
) -> CandidatePage:
    """Visible contributions from the network's cafés that can be merged, oldest first:
    only those whose author agreed to their words being used as evidence."""
    links = network_cafes(session=session, network=network)
    cafe_ids = _filtered_cafe_ids(links, filters)
    if not cafe_ids:
        return CandidatePage(items=[], next_cursor=None)
    query = select(Contribution).where(
        col(Contribution.cafe_id).in_(cafe_ids),
        Contribution.status == ContributionStatus.VISIBLE,
        consented(),
    )
    if filters.theme_name:
        key = theme_key(filters.theme_name)
        theme_ids = [
            t.id
            for t in session.exec(select(Theme).where(col(Theme.cafe_id).in_(cafe_ids)))
            if theme_key(t.name) == key
        ]
        query = query.where(
            col(Contribution.id).in_(
                select(ContributionTheme.contribution_id).where(
                    col(ContributionTheme.theme_id).in_(theme_ids or [-1])
                )
            )
        )
    for condition in tag_conditions(filters=filters):
        query = query.where(condition)
    if after is not None:
        query = query.where(col(Contribution.id) > after)
    rows = list(session.exec(query.order_by(col(Contribution.id)).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    by_cafe = {link.cafe.id: link for link in links}
    prov = provenance_of(session=session, contributions=rows, links=by_cafe)
    uses = uses_by_contribution(
        session=session, network=network, contribution_ids=[c.id for c in rows]
    )
    return CandidatePage(
        items=[
            Candidate(contribution=c, provenance=prov[c.id], uses=uses.get(c.id, [])) for c in rows
        ],
        next_cursor=(rows[-1].id if more and rows else None),
    )


@dataclass
class ThemeChoice:
    theme: Theme
    link: CafeLink
    visible_count: int


def network_themes(*, session: Session, network: Network) -> list[ThemeChoice]:
    """Every theme harvested in the network's cafés, with its visible contributions that
    can be merged (their authors agreed to evidence use)."""
    links = {link.cafe.id: link for link in network_cafes(session=session, network=network)}
    if not links:
        return []
    counts = dict(
        session.exec(
            select(ContributionTheme.theme_id, func.count())
            .join(Contribution, col(Contribution.id) == col(ContributionTheme.contribution_id))
            .where(
                col(Contribution.cafe_id).in_(list(links)),
                Contribution.status == ContributionStatus.VISIBLE,
                consented(),
            )
            .group_by(col(ContributionTheme.theme_id))
        ).all()
    )
    themes = session.exec(
        select(Theme).where(col(Theme.cafe_id).in_(list(links))).order_by(col(Theme.name))
    )
    return [
        ThemeChoice(theme=t, link=links[t.cafe_id], visible_count=counts.get(t.id, 0))
        for t in themes
    ]


# --- merging evidence -----------------------------------------------------------------


@dataclass
class MergeResult:
    added: list[EvidenceItem]
    skipped: int  # already in the section


def _clean_paraphrase(paraphrase: str) -> str:
    paraphrase = paraphrase.strip()
    if len(paraphrase) > MAX_PARAPHRASE:
        raise Invalid(_("Keep a paraphrase to %(max)s characters or fewer.", max=MAX_PARAPHRASE))
    return paraphrase


def _visible_ids_of_themes(
    session: Session, theme_ids: Sequence[int], links: dict[int, CafeLink]
) -> list[int]:
    """The visible contributions of each theme whose authors agreed to evidence use, theme
    by theme, oldest first."""
    wanted: list[int] = []
    for theme_id in dict.fromkeys(theme_ids):
        theme = session.get(Theme, theme_id)
        if theme is None or theme.cafe_id not in links:
            raise NotFound(_("Theme %(id)s is not from one of this network's cafés.", id=theme_id))
        wanted.extend(
            session.exec(
                select(Contribution.id)
                .join(ContributionTheme, col(ContributionTheme.contribution_id) == Contribution.id)
                .where(
                    ContributionTheme.theme_id == theme_id,
                    Contribution.status == ContributionStatus.VISIBLE,
                    consented(),
                )
                .order_by(col(Contribution.id))
            ).all()
        )
    return wanted


def _check_picked(session: Session, picked: Sequence[int], links: dict[int, CafeLink]) -> None:
    """Refuse contributions picked one by one that are not visible in the network's cafés."""
    if not picked:
        return
    found = {
        c.id: c for c in session.exec(select(Contribution).where(col(Contribution.id).in_(picked)))
    }
    for cid in picked:
        c = found.get(cid)
        if c is None or c.cafe_id not in links:
            raise NotFound(
                _("Contribution %(id)s is not from one of this network's cafés.", id=cid)
            )
        if c.status != ContributionStatus.VISIBLE:
            raise Invalid(
                _(
                    "Contribution %(id)s is %(status)s, so it cannot be merged as evidence.",
                    id=cid,
                    status=c.status,
                )
            )
    refuse_without_consent(session=session, contribution_ids=picked)


def _not_yet_in(
    session: Session, section: MaterialSection, ordered: Sequence[int]
) -> list[Contribution]:
    """The contributions, in the given order, that are not evidence in the section yet."""
    present = set(
        session.exec(
            select(EvidenceItem.contribution_id).where(EvidenceItem.section_id == section.id)
        ).all()
    )
    new_ids = [cid for cid in ordered if cid not in present]
    contributions = {
        c.id: c
        for c in (
            session.exec(select(Contribution).where(col(Contribution.id).in_(new_ids)))
            if new_ids
            else []
        )
    }
    return [contributions[cid] for cid in new_ids if cid in contributions]


def _evidence_item(
    *,
    contribution: Contribution,
    provenance: Provenance,
    section_id: int,
    network_id: int,
    paraphrase: str,
    now: datetime,
) -> EvidenceItem:
    """A copy of the contribution and of where it was said, frozen as it is now."""
    c, p = contribution, provenance
    return EvidenceItem(
        section_id=section_id,
        contribution_id=c.id,
        paraphrase=paraphrase,
        network_id=network_id,
        group_id=p.group_id,
        group_name=p.group_name[:120],
        meeting_id=p.meeting_id,
        meeting_number=p.meeting_number,
        meeting_starts_at=p.meeting_starts_at,
        cafe_id=c.cafe_id,
        cafe_title=p.cafe_title[:120],
        table_name=p.table_name[:60],
        round_number=p.round_number,
        question=p.question[:500],
        author_role=c.author_role,
        evidence_type=c.evidence_type,
        kind=c.kind,
        theme_names=", ".join(p.theme_names)[:1000],
        original_text=c.text,
        contributed_at=c.created_at,
        source_status=SourceStatus.CURRENT,
        created_at=now,
    )


def merge_evidence(
    *,
    session: Session,
    network: Network,
    section: MaterialSection,
    contribution_ids: Sequence[int] = (),
    theme_ids: Sequence[int] = (),
    paraphrase: str = "",
    now: datetime,
) -> MergeResult:
    """Copy contributions (picked one by one or as whole themes) into a draft section as
    evidence items with their provenance. The contributions themselves are not touched."""
    version = version_of(session=session, section=section)
    lock_draft(session=session, version=version)
    if not contribution_ids and not theme_ids:
        raise Invalid(_("Choose at least one contribution or theme to merge."))
    paraphrase = _clean_paraphrase(paraphrase)
    if paraphrase and (len(contribution_ids) != 1 or theme_ids):
        raise Invalid(_("A paraphrase can be given when merging one contribution at a time."))
    links = {link.cafe.id: link for link in network_cafes(session=session, network=network)}
    wanted = _visible_ids_of_themes(session, theme_ids, links)
    picked = list(dict.fromkeys(contribution_ids))
    _check_picked(session, picked, links)
    ordered = list(dict.fromkeys([*picked, *wanted]))
    if len(ordered) > MAX_MERGE:
        raise Invalid(_("Merge at most %(max)s contributions at a time.", max=MAX_MERGE))
    rows = _not_yet_in(session, section, ordered)
    prov = provenance_of(session=session, contributions=rows, links=links)
    added = []
    for c in rows:
        item = _evidence_item(
            contribution=c,
            provenance=prov[c.id],
            section_id=section.id,
            network_id=network.id,
            paraphrase=paraphrase,
            now=now,
        )
        session.add(item)
        added.append(item)
    touch(session=session, version=version, now=now)
    session.commit()
    return MergeResult(added=added, skipped=len(ordered) - len(added))


def update_evidence_item(
    *, session: Session, item: EvidenceItem, paraphrase: str, now: datetime
) -> EvidenceItem:
    """Change the paraphrase of an evidence item in a draft (the original text stays)."""
    section = session.get(MaterialSection, item.section_id)
    assert section is not None
    version = version_of(session=session, section=section)
    lock_draft(session=session, version=version)
    paraphrase = _clean_paraphrase(paraphrase)
    session.refresh(item)
    item.paraphrase = paraphrase
    session.add(item)
    touch(session=session, version=version, now=now)
    session.commit()
    return item


def remove_evidence_item(*, session: Session, item: EvidenceItem, now: datetime) -> None:
    """Take an evidence item out of a draft section."""
    section = session.get(MaterialSection, item.section_id)
    assert section is not None
    version = version_of(session=session, section=section)
    lock_draft(session=session, version=version)
    session.delete(item)
    touch(session=session, version=version, now=now)
    session.commit()
