"""Privacy notices: the plain words a café or network shows people about what it keeps."""

from __future__ import annotations

from app.i18n import _, ngettext
from app.models.cafe import MAX_PRIVACY_NOTICE
from app.services.errors import Invalid


def clean_notice(text: str) -> str:
    """The notice with its lines kept (one idea a line) and blank lines dropped; a blank
    notice is refused, as people must be able to read what happens to what they say."""
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    cleaned = "\n".join(line for line in lines if line)
    if not cleaned:
        raise Invalid(
            _(
                "Write a privacy notice: people read it before they join, to know what happens "
                "to what they say."
            )
        )
    if len(cleaned) > MAX_PRIVACY_NOTICE:
        raise Invalid(
            ngettext(
                "Keep the privacy notice to %(num)s character or fewer.",
                "Keep the privacy notice to %(num)s characters or fewer.",
                MAX_PRIVACY_NOTICE,
            )
        )
    return cleaned
