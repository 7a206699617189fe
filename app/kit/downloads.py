"""Downloads: a file to save (`attachment`, `downloaded`), the streamed session notes, and the
media types of exported files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from fastapi import Response
from fastapi.responses import StreamingResponse

from app.db import Database
from app.models.cafe import Cafe
from app.services.export import notes
from app.services.export.formats import DOCX, FORMATS, Download, NotesFormat


def stream_notes(db: Database, cafe_id: int, fmt: NotesFormat, now: datetime) -> Iterator[bytes]:
    """The notes from a session of their own: the request's session may be gone by the time
    the last chunk is sent."""
    with db.read_session() as session:
        if session.get_bind().dialect.name == "postgresql":
            # One snapshot for every batch, like SQLite's read transaction gives.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        cafe = session.get(Cafe, cafe_id)
        if cafe is None:
            return
        yield from notes.export_notes(session=session, cafe=cafe, fmt=fmt, now=now)


def notes_response(db: Database, cafe: Cafe, fmt: NotesFormat, now: datetime) -> Response:
    name = notes.filename(cafe=cafe, fmt=fmt, now=now)
    return StreamingResponse(
        stream_notes(db, cafe.id, fmt, now),
        media_type=FORMATS[fmt].media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
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
