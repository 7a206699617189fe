"""Reading materials, their versions, sections and evidence items, inside a network the caller
leads (see network.get_network)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.i18n import _
from app.models.material import (
    EvidenceItem,
    Material,
    MaterialSection,
    MaterialVersion,
    VersionStatus,
)
from app.models.network import Network
from app.services.errors import NotFound


def get_material(*, session: Session, network: Network, material_id: int) -> Material:
    material = session.get(Material, material_id)
    if material is None or material.network_id != network.id:
        raise NotFound(_("No such material in this network."))
    return material


def get_version(*, session: Session, material: Material, number: int) -> MaterialVersion:
    version = session.exec(
        select(MaterialVersion).where(
            MaterialVersion.material_id == material.id, MaterialVersion.number == number
        )
    ).first()
    if version is None:
        raise NotFound(_("This material has no version %(number)s.", number=number))
    return version


def get_section(*, session: Session, version: MaterialVersion, section_id: int) -> MaterialSection:
    section = session.get(MaterialSection, section_id)
    if section is None or section.version_id != version.id:
        raise NotFound(_("No such section in this version."))
    return section


def get_evidence_item(*, session: Session, section: MaterialSection, item_id: int) -> EvidenceItem:
    item = session.get(EvidenceItem, item_id)
    if item is None or item.section_id != section.id:
        raise NotFound(_("No such evidence item in this section."))
    return item


def list_materials(
    *, session: Session, network: Network, after: int | None = None, limit: int = 100
) -> list[Material]:
    query = select(Material).where(Material.network_id == network.id)
    if after is not None:
        query = query.where(col(Material.id) > after)
    return list(session.exec(query.order_by(col(Material.id)).limit(limit)))


def list_versions(
    *, session: Session, material: Material, after: int | None = None, limit: int = 100
) -> list[MaterialVersion]:
    query = select(MaterialVersion).where(MaterialVersion.material_id == material.id)
    if after is not None:
        query = query.where(col(MaterialVersion.number) > after)
    return list(session.exec(query.order_by(col(MaterialVersion.number)).limit(limit)))


def sections_of(*, session: Session, version: MaterialVersion) -> list[MaterialSection]:
    return list(
        session.exec(
            select(MaterialSection)
            .where(MaterialSection.version_id == version.id)
            .order_by(col(MaterialSection.position), col(MaterialSection.id))
        )
    )


def items_of(*, session: Session, section_ids: Sequence[int]) -> list[EvidenceItem]:
    if not section_ids:
        return []
    return list(
        session.exec(
            select(EvidenceItem)
            .where(col(EvidenceItem.section_id).in_(section_ids))
            .order_by(col(EvidenceItem.id))
        )
    )


def version_of(*, session: Session, section: MaterialSection) -> MaterialVersion:
    version = session.get(MaterialVersion, section.version_id)
    assert version is not None
    return version


def draft_of(*, session: Session, material: Material) -> MaterialVersion | None:
    return session.exec(
        select(MaterialVersion).where(
            MaterialVersion.material_id == material.id,
            MaterialVersion.status == VersionStatus.DRAFT,
        )
    ).first()


@dataclass
class MaterialSummary:
    material: Material
    latest: MaterialVersion | None
    published: MaterialVersion | None  # the newest published version
    draft: MaterialVersion | None


def material_summaries(*, session: Session, network: Network) -> list[MaterialSummary]:
    materials = list_materials(session=session, network=network, limit=10_000)
    versions: dict[int, list[MaterialVersion]] = defaultdict(list)
    if materials:
        for v in session.exec(
            select(MaterialVersion)
            .where(col(MaterialVersion.material_id).in_([m.id for m in materials]))
            .order_by(col(MaterialVersion.number))
        ):
            versions[v.material_id].append(v)
    out = []
    for m in materials:
        vs = versions[m.id]
        published = [v for v in vs if v.status == VersionStatus.PUBLISHED]
        drafts = [v for v in vs if v.status == VersionStatus.DRAFT]
        out.append(
            MaterialSummary(
                material=m,
                latest=vs[-1] if vs else None,
                published=published[-1] if published else None,
                draft=drafts[-1] if drafts else None,
            )
        )
    return out
