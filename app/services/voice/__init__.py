"""Voice notes cleaned of what they say about where and who, without touching the sound.

Phones and recording apps label what they record: an iPhone's Voice Memos names a note after
the street it was made in and stores the position beside it (QuickTime user data in an M4A);
apps write ID3 tags into MP3s (at the front, the end, or between the frames), Vorbis comments
(LOCATION, ARTIST) into Ogg, Tags and a Title into WebM, INFO lists into WAV. A note is
stored only when the whole file reads as the kind it claims to be, and once these are gone.
Each kind has its module: `mp4`, `mp3`, `ogg`, `wav`, `webm`; `mutagen` reads the tags and
checks the sound of the kinds it knows (all but WebM, which `webm` walks itself).
"""

from __future__ import annotations

from app.i18n import _
from app.services.voice import mp3, mp4, ogg, wav, webm
from app.services.voice.errors import NotAVoiceNote

__all__ = ["NotAVoiceNote", "clean"]


def clean(*, data: bytes, ext: str) -> bytes:
    """The voice note without its descriptions; `ext` is the sniffed type's (m4a, mp3, …).

    Raises `NotAVoiceNote` (415) when the file does not read, all through, as that kind."""
    if ext == "m4a":
        return mp4.clean(data)
    if ext == "mp3":
        return mp3.clean(data)
    if ext == "ogg":
        return ogg.clean(data)
    if ext == "wav":
        return wav.clean(data)
    if ext == "webm":
        return webm.clean(data)
    raise NotAVoiceNote(_("This kind of file cannot be added as a voice note."))
