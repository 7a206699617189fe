"""A streaming multipart reader for uploads: refuses a body at the first byte past a limit."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from tempfile import SpooledTemporaryFile

from fastapi import (
    Request,
)
from python_multipart.multipart import MultipartParser, parse_options_header

from app.i18n import _
from app.services import media as media_service
from app.services.errors import DomainError, Invalid

FORM_OVERHEAD = 64 * 1024  # multipart headers, boundaries and the small fields


FIELD_MAX = 4096


MAX_FIELDS = 40  # the compose form: a dozen fields, up to ten themes, two files


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    data: bytearray = field(default_factory=bytearray)


@dataclass
class Upload:
    """One file of the form: spooled to disk past 1 MB, its type decided by its first bytes."""

    file: SpooledTemporaryFile[bytes]
    size: int = 0
    kind: media_service.FileType | None = None
    head: bytearray = field(default_factory=bytearray)


class UploadForm:
    """A multipart body read as it arrives, refused as soon as it breaks a limit.

    Small fields are kept in memory (a few KB at most); a field sent more than once (themes)
    keeps every value in `lists`. Each file (one per name in `file_fields`) goes to a
    spooled temporary file. A file's first bytes decide its type, so a file of the wrong
    kind, or one larger than its kind allows, is refused without reading on. A file field
    sent empty (a form whose file was not chosen) counts as no file.
    """

    def __init__(self, content_type: str, file_fields: tuple[str, ...] = ("file",)) -> None:
        _kind, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if not boundary:
            raise media_service.UnsupportedType(_("Send the file as a multipart form."))
        charset = params.get(b"charset", b"utf-8").decode("latin-1")
        try:
            self.charset = codecs.lookup(charset).name
        except LookupError:
            self.charset = "utf-8"
        self.file_fields = file_fields
        self.fields: dict[str, str] = {}
        self.lists: dict[str, list[str]] = {}
        self.uploads: dict[str, Upload] = {}
        self._current: Upload | None = None
        self._part = _Part()
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._count = 0
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

    # The first file field's upload, as the one-file form reads it.
    @property
    def file(self) -> SpooledTemporaryFile[bytes] | None:
        upload = self.uploads.get(self.file_fields[0])
        return upload.file if upload is not None else None

    @property
    def size(self) -> int:
        upload = self.uploads.get(self.file_fields[0])
        return upload.size if upload is not None else 0

    @property
    def kind(self) -> media_service.FileType | None:
        upload = self._current or self.uploads.get(self.file_fields[0])
        return upload.kind if upload is not None else None

    def _begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_value) > FIELD_MAX:
            raise Invalid(_("The form could not be read."))

    def _header_end(self) -> None:
        self._part.headers.append((bytes(self._header_name).lower(), bytes(self._header_value)))
        self._header_name.clear()
        self._header_value.clear()

    def _headers_done(self) -> None:
        disposition = next((v for k, v in self._part.headers if k == b"content-disposition"), b"")
        _kind, options = parse_options_header(disposition)
        self._part.name = options.get(b"name", b"").decode(self.charset, "replace")
        filename = options.get(b"filename")
        self._count += 1
        if self._count > MAX_FIELDS:
            raise Invalid(_("The form has too many fields."))
        if filename is not None and self._part.name in self.file_fields:
            if self._part.name in self.uploads:
                raise Invalid(_("Send one file at a time."))
            self._current = Upload(SpooledTemporaryFile(max_size=1024 * 1024))
            self.uploads[self._part.name] = self._current

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        upload = self._current
        if upload is None:
            self._part.data += chunk
            if len(self._part.data) > FIELD_MAX:
                raise Invalid(_("The form could not be read."))
            return
        upload.size += len(chunk)
        if upload.kind is None:
            upload.head += chunk[: media_service.SNIFF_BYTES]
            if len(upload.head) >= media_service.SNIFF_BYTES:
                self._decide(upload)
        limit = (
            media_service.limit_for(upload.kind.kind) if upload.kind else media_service.UPLOAD_MAX
        )
        if upload.size > limit:
            raise media_service.TooLarge(
                media_service.too_large_message(upload.kind.kind if upload.kind else None)
            )
        upload.file.write(chunk)

    @staticmethod
    def _decide(upload: Upload) -> None:
        upload.kind = media_service.sniff(bytes(upload.head))
        if upload.kind is None:
            raise media_service.UnsupportedType(_(media_service.UNSUPPORTED))

    def _end(self) -> None:
        upload = self._current
        if upload is not None:
            self._current = None
            if upload.size == 0:
                # A file input left empty: no file at all.
                upload.file.close()
                del self.uploads[self._part.name]
            elif upload.kind is None:
                self._decide(upload)
        elif self._part.name:
            value = bytes(self._part.data).decode(self.charset, "replace")
            self.fields[self._part.name] = value
            self.lists.setdefault(self._part.name, []).append(value)

    def close(self) -> None:
        for upload in self.uploads.values():
            upload.file.close()


async def read_upload(
    request: Request,
    file_fields: tuple[str, ...] = ("file",),
    max_files_size: int = media_service.UPLOAD_MAX,
    *,
    into: UploadForm | None = None,
) -> UploadForm:
    """Read a multipart upload, stopping at the first byte past a limit (each file's own,
    and `max_files_size` with the form's overhead for the whole body). `into`: a form made
    by the caller, whose fields read before a refusal stay there to give back."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_files_size + FORM_OVERHEAD:
        raise media_service.TooLarge(media_service.too_large_message(None))
    form = into or UploadForm(request.headers.get("content-type", ""), file_fields)
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_files_size + FORM_OVERHEAD:
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
