"""Languages: the words people read, in their own language (English and Welsh today).

Every string shown to people goes through `_` (or `ngettext` for counts). The language is
chosen once per request or websocket push (`app/kit/language.py` for the web, `speaking`
for a push or an export) and kept in a context variable, so a service deep down can raise
`Invalid(_("Give the café a title."))` and the person reads it in their own language. Module
level labels (a role's name, an evidence type) are marked with `N_` where they are defined
and translated with `_` where they are shown.

Adding a language: README "Another language".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DEFAULT = "en"
# Each language by its own name: what the language switch shows.
LANGUAGES: Mapping[str, str] = {"en": "English", "cy": "Cymraeg"}
# A bilingual café shows Welsh first, as the Welsh Language Standards ask.
BILINGUAL_ORDER = ("cy", "en")
COOKIE = "tablecloth_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


@dataclass
class Choice:
    """The language for the current request. `chosen` is True when the person picked it (the
    switch's cookie); a café's or a network's default then does not override it. Mutable on
    purpose: a dependency running in a worker thread sees the same object and can set the
    café's default on it."""

    lang: str = DEFAULT
    chosen: bool = False


_current: ContextVar[Choice | None] = ContextVar("tablecloth_language", default=None)


def supported(lang: str | None) -> str | None:
    """The supported language a tag such as `cy`, `cy-GB` or `en_GB` names, or None."""
    if not lang:
        return None
    base = lang.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The supported language a browser's Accept-Language header prefers most, or None."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        lang = supported(tag)
        if lang and quality > 0:
            ranked.append((-quality, position, lang))
    return min(ranked)[2] if ranked else None


def begin(choice: Choice) -> object:
    """Use `choice` from here on in this context; returns a token for `end`."""
    return _current.set(choice)


def end(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def current() -> str:
    choice = _current.get()
    return choice.lang if choice else DEFAULT


def person_chose() -> bool:
    choice = _current.get()
    return bool(choice and choice.chosen)


def prefer(lang: str | None) -> None:
    """A café's or a network's default language: used unless the person chose their own."""
    choice = _current.get()
    lang = supported(lang)
    if choice is not None and lang and not choice.chosen:
        choice.lang = lang


@contextmanager
def speaking(lang: str | None) -> Iterator[str]:
    """Render or write in `lang` (a websocket push for one phone, an export's `lang=`)."""
    chosen = supported(lang) or current()
    token = _current.set(Choice(lang=chosen, chosen=True))
    try:
        yield chosen
    finally:
        _current.reset(token)


@lru_cache(maxsize=8)
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue for `lang` (`make setup` compiles them); English is the source
    text, so a missing English catalogue falls back to the words as written."""
    return Translations.load(str(TRANSLATIONS_DIR), [lang], domain="messages")


def gettext(message: str, **variables: Any) -> str:
    """`message` in the current language, with `%(name)s` variables filled in."""
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The form for `num` in the current language (Welsh has six); `%(num)s` is `num`."""
    text = translations(current()).ngettext(singular, plural, num)
    variables.setdefault("num", format_number(num))
    return text % variables


def pgettext(context: str, message: str, **variables: Any) -> str:
    """`message` as meant in `context`, where one English word has two translations."""
    text = str(translations(current()).pgettext(context, message))
    return text % variables if variables else text


def in_language(lang: str, message: str, **variables: Any) -> str:
    """`message` in `lang` whatever the current language (a bilingual projector)."""
    with speaking(lang):
        return gettext(message, **variables)


def N_(message: str) -> str:  # noqa: N802 - the usual name of gettext_noop
    """Mark a module-level label for extraction; translate it with `_` where it is shown."""
    return message


_ = gettext


# Babel's plain "en" is American English (Mar 3, 2026); people here read British dates.
_REGIONS = {"en": "en_GB", "cy": "cy_GB"}


@lru_cache(maxsize=8)
def locale(lang: str) -> Locale:
    try:
        return Locale.parse(_REGIONS.get(lang, lang))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)


def format_number(value: float | int) -> str:
    return babel_numbers.format_decimal(value, locale=locale(current()))


def format_money(pence: int) -> str:
    """Pounds and pence as the language writes them: £12.50."""
    return babel_numbers.format_currency(pence / 100, "GBP", locale=locale(current()))


def format_day(value: date | datetime | None, form: str = "full") -> str:
    """A day in words: "Tuesday, 3 March 2026" / "Dydd Mawrth, 3 Mawrth 2026"."""
    if value is None:
        return ""
    return babel_dates.format_date(value, format=form, locale=locale(current()))


def format_day_pattern(value: date | datetime | None, pattern: str) -> str:
    """A day by a CLDR pattern, such as "EEEE d MMMM" (no year)."""
    if value is None:
        return ""
    return babel_dates.format_date(value, format=pattern, locale=locale(current()))
