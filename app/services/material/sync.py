"""The lists inside a network's materials for API clients, read as the network's other lists
are (`app.services.network.sync`): in the network's change numbers after an opaque cursor,
with the ids deleted since. A plain number as `after` is each list's deprecated cursor: a
version number, a section's position, an evidence item's id."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models.material import EvidenceItem, Material, MaterialSection, MaterialVersion
from app.models.material_editions import MaterialPublication
from app.models.network import Network
from app.models.network_changes import ListKind
from app.services.network.sync import Null, Rows, Scope, listed, narrowed, page


def versions(
    *, session: Session, material: Material, status: str | None, after: str | None, limit: int
) -> Rows[MaterialVersion]:
    """A material's versions: a new one, or a draft published. Versions are deleted only
    with their material, so `deleted` stays empty."""
    return listed(
        session=session,
        model=MaterialVersion,
        where=MaterialVersion.material_id == material.id,
        equal={MaterialVersion.status: status},
        scope=Scope(material.network_id, ListKind.VERSION, parent_id=material.id),
        after=after,
        limit=limit,
        legacy="number",
    )


def sections(
    *, session: Session, network_id: int, version: MaterialVersion, after: str | None, limit: int
) -> Rows[MaterialSection]:
    """A version's sections: one written, moved (or moved by another's move or delete), or
    its evidence merged, changed or taken out. A published version's never change."""
    return listed(
        session=session,
        model=MaterialSection,
        where=MaterialSection.version_id == version.id,
        scope=Scope(network_id, ListKind.SECTION, parent_id=version.id),
        after=after,
        limit=limit,
        legacy="position",
    )


def section_evidence(
    *, session: Session, network_id: int, section: MaterialSection, after: str | None, limit: int
) -> Rows[EvidenceItem]:
    """A section's evidence items: merged, paraphrased, redacted or marked as their source
    changed."""
    return listed(
        session=session,
        model=EvidenceItem,
        where=EvidenceItem.section_id == section.id,
        scope=Scope(network_id, ListKind.EVIDENCE, parent_id=section.id),
        after=after,
        limit=limit,
    )


def network_evidence(
    *,
    session: Session,
    network: Network,
    contribution_id: int | None,
    material_id: int | None,
    after: str | None,
    limit: int,
) -> Rows[EvidenceItem]:
    """Evidence items across the network's materials (`deleted`: any of its items deleted,
    whatever the filters)."""
    query = (
        select(EvidenceItem)
        .join(MaterialSection, col(MaterialSection.id) == col(EvidenceItem.section_id))
        .join(MaterialVersion, col(MaterialVersion.id) == col(MaterialSection.version_id))
        .join(Material, col(Material.id) == col(MaterialVersion.material_id))
        .where(Material.network_id == network.id)
    )
    query = narrowed(
        query, {EvidenceItem.contribution_id: contribution_id, Material.id: material_id}
    )
    return page(
        session=session,
        query=query,
        model=EvidenceItem,
        scope=Scope(network.id, ListKind.EVIDENCE),
        after=after,
        limit=limit,
    )


def publications(
    *, session: Session, material: Material, group_id: int | None, after: str | None, limit: int
) -> Rows[MaterialPublication]:
    """Who a material's versions were given to: a publication is made or withdrawn (giving
    an audience another version replaces theirs: the old one's id in `deleted`), never
    changed. `group_id` 0: those for the whole network."""
    return listed(
        session=session,
        model=MaterialPublication,
        where=MaterialPublication.material_id == material.id,
        equal={MaterialPublication.group_id: Null.EMPTY if group_id == 0 else group_id},
        scope=Scope(material.network_id, ListKind.PUBLICATION, parent_id=material.id),
        after=after,
        limit=limit,
    )
