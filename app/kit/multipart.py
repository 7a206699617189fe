"""A streaming multipart reader for uploads: refuses a body at the first byte past a limit."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from tempfile import SpooledTemporaryFile

from fastapi import (
    Request,
)
from python_multipart.multipart import MultipartParser, parse_options_header

from app.services import media as media_service
from app.services.errors import DomainError, Invalid

FORM_OVERHEAD = 64 * 1024  # multipart headers, boundaries and the small fields


FIELD_MAX = 4096


MAX_FIELDS = 20


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    data: bytearray = field(default_factory=bytearray)


class UploadForm:
    """A multipart body read as it arrives, refused as soon as it breaks a limit.

    Small fields are kept in memory (a few KB at most); the one file goes to a spooled
    temporary file (on disk past 1 MB). The file's first bytes decide its type, so a file
    of the wrong kind, or one larger than its kind allows, is refused without reading on.
    """

    def __init__(self, content_type: str) -> None:
        _, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if not boundary:
            raise media_service.UnsupportedType("Send the file as a multipart form.")
        charset = params.get(b"charset", b"utf-8").decode("latin-1")
        try:
            self.charset = codecs.lookup(charset).name
        except LookupError:
            self.charset = "utf-8"
        self.fields: dict[str, str] = {}
        self.file: SpooledTemporaryFile[bytes] | None = None
        self.size = 0
        self.kind: media_service.FileType | None = None
        self._head = bytearray()
        self._part = _Part()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._in_file = False
        self._files = 0
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._begin,
                "on_part_data": self._data,
                "on_part_end": self._end,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_cb,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done,
            },
        )

    def _begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > FIELD_MAX:
            raise Invalid("The form could not be read.")

    def _header_end(self) -> None:
        self._part.headers.append((bytes(self._header_name).lower(), bytes(self._header_value)))
        self._header_name.clear()
        self._header_value.clear()

    def _headers_done(self) -> None:
        disposition = next((v for k, v in self._part.headers if k == b"content-disposition"), b"")
        _, options = parse_options_header(disposition)
        self._part.name = options.get(b"name", b"").decode(self.charset, "replace")
        filename = options.get(b"filename")
        self._in_file = filename is not None and self._part.name == "file"
        if self._in_file:
            self._files += 1
            if self._files > 1:
                raise Invalid("Send one file at a time.")
            self.file = SpooledTemporaryFile(max_size=1024 * 1024)
        elif len(self.fields) >= MAX_FIELDS:
            raise Invalid("The form has too many fields.")

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if not self._in_file:
            self._part.data += chunk
            if len(self._part.data) > FIELD_MAX:
                raise Invalid("The form could not be read.")
            return
        assert self.file is not None
        self.size += len(chunk)
        if self.kind is None:
            self._head += chunk[: media_service.SNIFF_BYTES]
            if len(self._head) >= media_service.SNIFF_BYTES:
                self._decide()
        if self.size > (
            media_service.limit_for(self.kind.kind) if self.kind else media_service.UPLOAD_MAX
        ):
            raise media_service.TooLarge(
                media_service.too_large_message(self.kind.kind if self.kind else None)
            )
        self.file.write(chunk)

    def _decide(self) -> None:
        self.kind = media_service.sniff(bytes(self._head))
        if self.kind is None:
            raise media_service.UnsupportedType(media_service.UNSUPPORTED)

    def _end(self) -> None:
        if self._in_file:
            if self.kind is None and self.size:
                self._decide()
            self._in_file = False
        elif self._part.name:
            self.fields[self._part.name] = bytes(self._part.data).decode(self.charset, "replace")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


async def read_upload(request: Request) -> UploadForm:
    """Read a multipart upload, stopping at the first byte past a limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > media_service.UPLOAD_MAX + FORM_OVERHEAD:
        raise media_service.TooLarge(media_service.too_large_message(None))
    form = UploadForm(request.headers.get("content-type", ""))
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > media_service.UPLOAD_MAX + FORM_OVERHEAD:
                kind = form.kind.kind if form.kind else None
                raise media_service.TooLarge(media_service.too_large_message(kind))
            form.parser.write(chunk)
        form.parser.finalize()
    except Exception:
        form.close()
        raise
    return form


class UploadRefused(Exception):
    """An upload refused while it was read, with the small fields read before the refusal
    (what the person typed, to show again)."""

    def __init__(self, error: DomainError, fields: dict[str, str]) -> None:
        super().__init__(error.detail)
        self.error = error
        self.fields = fields


async def read_upload_keeping_fields(request: Request) -> UploadForm:
    """As `read_upload`; a refusal raises `UploadRefused` carrying the fields read so far
    (a form puts its text fields before its file, so they arrive first)."""
    form: UploadForm | None = None
    try:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > media_service.UPLOAD_MAX + FORM_OVERHEAD:
            raise media_service.TooLarge(media_service.too_large_message(None))
        form = UploadForm(request.headers.get("content-type", ""))
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > media_service.UPLOAD_MAX + FORM_OVERHEAD:
                kind = form.kind.kind if form.kind else None
                raise media_service.TooLarge(media_service.too_large_message(kind))
            form.parser.write(chunk)
        form.parser.finalize()
    except DomainError as exc:
        fields = dict(form.fields) if form is not None else {}
        if form is not None:
            form.close()
        raise UploadRefused(exc, fields) from exc
    except Exception:
        if form is not None:
            form.close()
        raise
    return form
