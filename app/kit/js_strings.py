"""The words the pages' scripts show (tablecloth.js, compose.js, read_aloud.js), in the
page's language: base.html puts them in `<script type="application/json" id="tc-strings">`
and each script reads a word by its key through `Tablecloth.t` (shared.js), with the English
as it is written in the script kept as the fallback. A script never holds a translation of
its own."""

from __future__ import annotations

import json
from functools import lru_cache

from markupsafe import Markup

from app import i18n
from app.i18n import N_

# key -> the English, as each script also has it; `%(name)s` is filled in by the script.
STRINGS: dict[str, str] = {
    # tablecloth.js: the clock, the buzz, the cards waiting to send
    "time_up": N_("Time is up"),
    "buzz_on": N_("This phone will buzz when it is time to move."),
    "said_waiting": N_("Your card is waiting to send. It will go when the connection is back."),
    "said_held": N_("Your card could not be saved just now. It will be sent again in a moment."),
    "said_reload": N_("Your card was not sent: please reload the page to send it."),
    "said_failed": N_("Your card was not sent."),
    "sending": N_("Sending…"),
    "waiting": N_("Waiting to send. It will go when the connection is back."),
    "held": N_("Not saved yet. It will be sent again in a moment."),
    "reload": N_("Not sent yet: please reload the page to send it."),
    "failed": N_("Not sent"),
    "refused": N_("The board did not take it."),
    "put_back": N_("Put it back to change it"),
    "count": N_("%(used)s of %(max)s characters"),
    "count_left": N_("%(used)s of %(max)s characters (%(left)s left)"),
    "remove": N_("Remove"),
    # compose.js: photos and voice notes
    "card_photo": N_("Card with a photo"),
    "card_voice": N_("Card with a voice note"),
    "card_photo_voice": N_("Card with a photo and a voice note"),
    "media_outbox": N_("Photos and voice notes waiting to send"),
    "not_photo": N_("This is not a photo. Photos can be JPEG, PNG or WebP."),
    "not_voice": N_("This is not a voice note. Voice notes can be M4A, MP3, WebM, Ogg or WAV."),
    "photo_large": N_("This photo is too large. Photos can be up to 8 MB."),
    "voice_large": N_("This voice note is too large. Voice notes can be up to 10 MB."),
    "sent": N_("Sent: your card is on the board."),
    "not_sent_media": N_(
        "It could not be sent. The file may be too big, or not a photo or a voice note."
    ),
    "phone_full": N_(
        "This phone has no room left to keep the card until it is sent. What you wrote is "
        "kept: try a smaller photo or a shorter voice note, or send it when the connection "
        "is back."
    ),
    "phone_cannot_keep": N_(
        "This phone could not keep the card to send it. What you wrote is kept: please try again."
    ),
    "voice_ready": N_("Voice note ready, %(time)s long. It goes with the card when you add it."),
    "recording": N_("Recording. Press Stop recording when you have finished."),
    "no_microphone": N_(
        "This phone did not let the page use the microphone. You can choose a recording instead."
    ),
    "voice_removed": N_("The voice note was removed."),
    "kept": N_("%(reason)s What you wrote is kept."),
    # read_aloud.js
    "read_aloud": N_("Read aloud"),
    "carry_on": N_("Carry on"),
    "paused": N_("Paused."),
    "pause": N_("Pause"),
    "reading": N_("Reading."),
    "finished": N_("Finished."),
}


@lru_cache(maxsize=8)
def _json(lang: str) -> str:
    with i18n.speaking(lang):
        words = {key: i18n.gettext(english) for key, english in STRINGS.items()}
    # Safe inside <script>: no "</" can end the element early.
    return json.dumps(words, ensure_ascii=False).replace("</", "<\\/")


def js_strings() -> Markup:
    """The scripts' words in the current language, as JSON for base.html."""
    return Markup(_json(i18n.current()))
