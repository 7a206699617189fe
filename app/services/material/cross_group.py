"""The cross-group view ("network of networks"): themes matched by name across the network's
cafés, with the local groups that raised them and who said what kind of thing."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models.evidence import Contribution, ContributionStatus, ContributionTheme, Theme
from app.models.material import EvidenceItem, Material, MaterialSection, MaterialVersion
from app.models.network import Network
from app.services.material.provenance import network_cafes, theme_key


@dataclass
class GroupCount:
    group_id: int
    group_name: str
    count: int


@dataclass
class SharedTheme:
    key: str
    name: str
    theme_ids: list[int]
    groups: list[GroupCount]
    total: int
    by_role: dict[str, int]
    by_evidence_type: dict[str, int]
    by_kind: dict[str, int]
    used: int  # of these contributions, how many are evidence in this network's materials

    @property
    def group_count(self) -> int:
        return len(self.groups)


def cross_group_themes(*, session: Session, network: Network) -> list[SharedTheme]:
    """Themes (matched by name across cafés) with the local groups that raised them and
    who said what kind of thing; those raised by the most groups come first."""
    links = {link.cafe.id: link for link in network_cafes(session=session, network=network)}
    if not links:
        return []
    rows = session.exec(
        select(Theme, Contribution)
        .join(ContributionTheme, col(ContributionTheme.theme_id) == col(Theme.id))
        .join(Contribution, col(Contribution.id) == col(ContributionTheme.contribution_id))
        .where(
            col(Theme.cafe_id).in_(list(links)),
            Contribution.status == ContributionStatus.VISIBLE,
        )
        .order_by(col(Theme.id), col(Contribution.id))
    ).all()
    used_ids = set(
        session.exec(
            select(EvidenceItem.contribution_id)
            .join(MaterialSection, col(MaterialSection.id) == col(EvidenceItem.section_id))
            .join(MaterialVersion, col(MaterialVersion.id) == col(MaterialSection.version_id))
            .join(Material, col(Material.id) == col(MaterialVersion.material_id))
            .where(Material.network_id == network.id)
        ).all()
    )
    names: dict[str, Counter[str]] = defaultdict(Counter)
    theme_ids: dict[str, set[int]] = defaultdict(set)
    contributions: dict[str, dict[int, Contribution]] = defaultdict(dict)
    for theme, contribution in rows:
        key = theme_key(theme.name)
        names[key][" ".join(theme.name.split())] += 1
        theme_ids[key].add(theme.id)
        contributions[key][contribution.id] = contribution
    out = []
    for key, by_id in contributions.items():
        groups: dict[int, GroupCount] = {}
        for c in by_id.values():
            group = links[c.cafe_id].group
            entry = groups.setdefault(
                group.id, GroupCount(group_id=group.id, group_name=group.name, count=0)
            )
            entry.count += 1
        out.append(
            SharedTheme(
                key=key,
                name=names[key].most_common(1)[0][0],
                theme_ids=sorted(theme_ids[key]),
                groups=sorted(groups.values(), key=lambda g: (-g.count, g.group_name)),
                total=len(by_id),
                by_role=dict(Counter(c.author_role or "unknown" for c in by_id.values())),
                by_evidence_type=dict(Counter(c.evidence_type for c in by_id.values())),
                by_kind=dict(Counter(c.kind for c in by_id.values())),
                used=sum(1 for cid in by_id if cid in used_ids),
            )
        )
    out.sort(key=lambda t: (-t.group_count, -t.total, t.key))
    return out
