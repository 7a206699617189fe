"""A network's materials, versions, sections and evidence items named in the URL, for the
lead's pages (`Lead…`) and the API (`Read…`/`Write…`); the reader of an imported file, the
reply of an exported one."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Query, UploadFile

from app.deps.common import api_errors
from app.deps.loaders import row_loader
from app.deps.network import OwnedNetwork, ReadNetwork, WriteNetwork
from app.i18n import _
from app.models.material import (
    EvidenceItem,
    Material,
    MaterialSection,
    MaterialVersion,
)
from app.services.errors import Invalid
from app.services.material import importing as import_service
from app.services.material import reading as reading_service

MAX_UPLOAD = 5 * 1024 * 1024

T = TypeVar("T")


def imported_file(file: UploadFile) -> import_service.ImportedDocument:
    """Read an uploaded .md or .docx file (at most 5 MB) into sections."""
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Invalid(_("The file is larger than 5 MB."))
    if not data.strip():
        raise Invalid(_("The file is empty."))
    if (file.filename or "").lower().endswith(".docx") or data[:2] == b"PK":
        return import_service.import_docx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(_("Upload a Markdown (.md) file in UTF-8, or a Word (.docx) file.")) from exc
    return import_service.import_markdown(text)


ERRORS = api_errors(
    not_found="No such network, material, version, section "  # not shown to people
    "or item (or not yours)",
    conflict="The version is published and cannot change",  # not shown to people
)


After = Annotated[int | None, Query(ge=0, description="Read items after this cursor.")]


Limit = Annotated[int, Query(ge=1, le=200, description="Items per page.")]


_get_material = reading_service.get_material
_get_version = reading_service.get_version
_get_section = reading_service.get_section
_get_item = reading_service.get_evidence_item

# The lead's pages: the network through the login cookie, then each row through its parent.
LeadNetwork = OwnedNetwork
LeadMaterial = Annotated[
    Material,
    Depends(row_loader(_get_material, key="material_id", owner="network", owner_dep=LeadNetwork)),
]
LeadVersion = Annotated[
    MaterialVersion,
    Depends(row_loader(_get_version, key="number", owner="material", owner_dep=LeadMaterial)),
]
LeadSection = Annotated[
    MaterialSection,
    Depends(row_loader(_get_section, key="section_id", owner="version", owner_dep=LeadVersion)),
]
LeadItem = Annotated[
    EvidenceItem,
    Depends(row_loader(_get_item, key="item_id", owner="section", owner_dep=LeadSection)),
]

# The API: the same chain from the token's network, for reading and for writing.
ReadMaterial = Annotated[
    Material,
    Depends(row_loader(_get_material, key="material_id", owner="network", owner_dep=ReadNetwork)),
]
WriteMaterial = Annotated[
    Material,
    Depends(row_loader(_get_material, key="material_id", owner="network", owner_dep=WriteNetwork)),
]
ReadVersion = Annotated[
    MaterialVersion,
    Depends(row_loader(_get_version, key="number", owner="material", owner_dep=ReadMaterial)),
]
WriteVersion = Annotated[
    MaterialVersion,
    Depends(row_loader(_get_version, key="number", owner="material", owner_dep=WriteMaterial)),
]
ReadSection = Annotated[
    MaterialSection,
    Depends(row_loader(_get_section, key="section_id", owner="version", owner_dep=ReadVersion)),
]
WriteSection = Annotated[
    MaterialSection,
    Depends(row_loader(_get_section, key="section_id", owner="version", owner_dep=WriteVersion)),
]
ReadItem = Annotated[
    EvidenceItem,
    Depends(row_loader(_get_item, key="item_id", owner="section", owner_dep=ReadSection)),
]
WriteItem = Annotated[
    EvidenceItem,
    Depends(row_loader(_get_item, key="item_id", owner="section", owner_dep=WriteSection)),
]
