"""A network's materials, versions, sections and evidence items loaded from the URL, for the lead's pages and the API."""

from __future__ import annotations

from fastapi import UploadFile

from app.services import material as material_service
from app.services.errors import Invalid

MAX_UPLOAD = 5 * 1024 * 1024


def imported_file(file: UploadFile) -> material_service.ImportedDocument:
    """Read an uploaded .md or .docx file (at most 5 MB) into sections."""
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Invalid("The file is larger than 5 MB.")
    if not data.strip():
        raise Invalid("The file is empty.")
    if (file.filename or "").lower().endswith(".docx") or data[:2] == b"PK":
        return material_service.import_docx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid("Upload a Markdown (.md) file in UTF-8, or a Word (.docx) file.") from exc
    return material_service.import_markdown(text)
