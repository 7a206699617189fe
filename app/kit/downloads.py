"""Downloads: a file to save (`attachment`, `downloaded`), the streamed session notes (each
export in the audit log), and the media types of exported files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from fastapi import Response
from fastapi.responses import StreamingResponse

from app import i18n
from app.db import Database
from app.models.audit import AuditAction, SubjectKind
from app.models.cafe import Cafe
from app.services import audit
from app.services.audit import Actor, AuditFilter, Subject
from app.services.export import notes
from app.services.export.formats import DOCX, FORMATS, Download, NotesFormat


def stream_notes(
    db: Database, cafe_id: int, fmt: NotesFormat, now: datetime, lang: str | None = None
) -> Iterator[bytes]:
    """The notes from a session of their own: the request's session may be gone by the time
    the last chunk is sent. Their fixed words are in `lang` (the request's when None)."""
    lang = lang or i18n.current()
    with db.read_session() as session:
        if session.get_bind().dialect.name == "postgresql":
            # One snapshot for every batch, like SQLite's read transaction gives.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        cafe = session.get(Cafe, cafe_id)
        if cafe is None:
            return
        yield from notes.export_notes(session=session, cafe=cafe, fmt=fmt, now=now, lang=lang)


def record_notes_export(db: Database, cafe: Cafe, actor: Actor, detail: str) -> None:
    """Audit the notes exported (a file, or the page to print), once a request, before the
    first byte is sent."""
    audit.record_read(
        db=db,
        actor=actor,
        action=AuditAction.EXPORTED_NOTES,
        subject=Subject(SubjectKind.CAFE, cafe.id),
        owner_id=cafe.facilitator_id,
        detail=detail,
    )


def notes_response(
    db: Database,
    cafe: Cafe,
    fmt: NotesFormat,
    now: datetime,
    actor: Actor,
    lang: str | None = None,
) -> Response:
    """The notes as a streamed file, their fixed words in `lang` (the request's when None)."""
    record_notes_export(db, cafe, actor, fmt.value)
    name = notes.filename(cafe=cafe, fmt=fmt, now=now)
    lang = lang or i18n.current()
    return StreamingResponse(
        stream_notes(db, cafe.id, fmt, now, lang),
        media_type=FORMATS[fmt].media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "Content-Language": lang,
        },
    )


DOCX_MEDIA = DOCX.media_type


def attachment(body: str | bytes, *, media_type: str, filename: str) -> Response:
    """A file to save rather than show (attendance sheets, calendars, exports)."""
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def downloaded(file: Download) -> Response:
    """An exported file, as an attachment under its own name."""
    return attachment(file.body, media_type=file.media_type, filename=file.filename)


def _stream_audit(db: Database, owner_id: int, filters: AuditFilter) -> Iterator[bytes]:
    """The log from a session of its own: the request's may be gone before the last row."""
    with db.read_session() as session:
        yield from audit.as_csv(session=session, owner_id=owner_id, filters=filters)


def audit_csv_response(
    db: Database, owner_id: int, filters: AuditFilter, now: datetime
) -> Response:
    """The owner's audit log (filtered) as a CSV file, streamed."""
    return StreamingResponse(
        _stream_audit(db, owner_id, filters),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="audit-log-{now:%Y-%m-%d}.csv"',
            "Cache-Control": "no-store",
        },
    )
