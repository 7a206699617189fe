"""A section's words as a reader of one language gets them: what the lead wrote in Welsh where
the reader reads Welsh, the English otherwise, each part with the language it is in. The
member's page and the exports (`lang=cy`) both read sections through here, so they agree on
what a Welsh reader sees; a quote withdrawn or erased since is already gone from the stored
text in both languages (`app.services.privacy.quotes`)."""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n import _
from app.models.material import WITHDRAWN_TEXT, EvidenceItem, MaterialSection, SourceStatus
from app.services.export.markdown import plain

WELSH = "cy"
ENGLISH = "en"


@dataclass(frozen=True)
class SectionWords:
    """One section for one reader. `easy` is the easy-read text the lead wrote, or (when
    they wrote none) the text without Markdown marks, which the easy-read edition splits an
    idea a line; `from_easy_read` tells which."""

    heading: str
    heading_lang: str
    body: str  # Markdown
    body_lang: str
    easy: str
    from_easy_read: bool
    easy_lang: str
    written_easy: str  # the easy-read text the lead wrote ("" when none), in `written_easy_lang`
    written_easy_lang: str


def section_words(section: MaterialSection, lang: str) -> SectionWords:
    """The section as a reader of `lang` sees it: each part in Welsh where the lead wrote it
    and the reader reads Welsh, otherwise the English."""
    welsh = lang == WELSH
    heading_cy = (section.heading_cy or "").strip()
    heading, heading_lang = (
        (heading_cy, WELSH) if welsh and heading_cy else (section.heading, ENGLISH)
    )
    if welsh and section.body_markdown_cy.strip():
        body, body_lang = section.body_markdown_cy, WELSH
    else:
        body, body_lang = section.body_markdown, ENGLISH
    if welsh and section.easy_read_text_cy.strip():
        written, written_lang = section.easy_read_text_cy, WELSH
    elif section.easy_read_text.strip():
        written, written_lang = section.easy_read_text, ENGLISH
    else:
        written, written_lang = "", ENGLISH
    if written_lang == WELSH or (written and body_lang == ENGLISH):
        easy, from_easy, easy_lang = written, True, written_lang
    else:
        # No easy read in the body's language: that text, an idea a line, reads better than
        # easy read in the other language.
        easy, from_easy, easy_lang = plain(body), False, body_lang
    return SectionWords(
        heading=heading,
        heading_lang=heading_lang,
        body=body,
        body_lang=body_lang,
        easy=easy,
        from_easy_read=from_easy,
        easy_lang=easy_lang,
        written_easy=written,
        written_easy_lang=written_lang,
    )


def words_gone(item: EvidenceItem) -> str | None:
    """What stands for an evidence item's words once they are gone, in the reader's
    language; None while it still quotes what was said. Withdrawn by their author, or erased
    (at the person's request, with their café, past its keep-for date): the words were
    replaced by a fixed phrase, stored in English as written (`app.services.privacy.erasure`)
    and translated here, so a Welsh export or page does not quote an English sentence as if
    someone had said it."""
    if item.withdrawn_at is not None:
        return _(WITHDRAWN_TEXT)
    if item.source_status == SourceStatus.ERASED:
        return _(item.original_text)  # one of erasure's phrases, each marked for translation
    return None
