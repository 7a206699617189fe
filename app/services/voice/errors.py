"""The refusal every voice-note reader raises, and its sentences."""

from __future__ import annotations

from app.i18n import N_, _
from app.services.errors import DomainError


class NotAVoiceNote(DomainError):
    status_code = 415


def unreadable(kind: str) -> NotAVoiceNote:
    """The file starts like `kind` (MP3, Ogg, …) but does not read as one all through."""
    return NotAVoiceNote(
        _(
            "This voice note could not be read as %(kind)s all the way through. It may be "
            "damaged, or another kind of file; please record it again.",
            kind=kind,
        )
    )


SILENT = N_("This voice note holds no sound.")
VIDEO = N_("This is a video. A voice note can be sound only: M4A, MP3, WebM, Ogg or WAV.")
