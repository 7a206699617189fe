"""Validation errors in the asker's language: pydantic writes its messages in English, so
for another language the common kinds are said again from their type and context (in
English they stay pydantic's own words, exactly)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app import i18n
from app.i18n import N_, _, ngettext

# Error types said the same whatever the context.
PLAIN: dict[str, str] = {
    "missing": N_("Field required"),
    "string_type": N_("Input should be a valid string"),
    "string_pattern_mismatch": N_("The text is not in the form expected"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_attributes_type": N_(
        "Input should be a valid dictionary or object to extract fields from"
    ),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "json_invalid": N_("JSON decode error"),
    "date_parsing": N_("Input should be a valid date"),
    "date_from_datetime_parsing": N_("Input should be a valid date"),
    "datetime_parsing": N_("Input should be a valid date and time"),
    "datetime_from_date_parsing": N_("Input should be a valid date and time"),
    "uuid_parsing": N_("Input should be a valid UUID"),
    "url_parsing": N_("Input should be a valid URL"),
}

_Say = Callable[[Mapping[str, Any]], str]

# Error types whose words take the context's numbers or choices.
WITH_CONTEXT: dict[str, _Say] = {
    "string_too_short": lambda c: ngettext(
        "String should have at least %(num)s character",
        "String should have at least %(num)s characters",
        int(c["min_length"]),
    ),
    "string_too_long": lambda c: ngettext(
        "String should have at most %(num)s character",
        "String should have at most %(num)s characters",
        int(c["max_length"]),
    ),
    "too_short": lambda c: ngettext(
        "List should have at least %(num)s item",
        "List should have at least %(num)s items",
        int(c["min_length"]),
    ),
    "too_long": lambda c: ngettext(
        "List should have at most %(num)s item",
        "List should have at most %(num)s items",
        int(c["max_length"]),
    ),
    "greater_than": lambda c: _("Input should be greater than %(limit)s", limit=c["gt"]),
    "greater_than_equal": lambda c: _(
        "Input should be greater than or equal to %(limit)s", limit=c["ge"]
    ),
    "less_than": lambda c: _("Input should be less than %(limit)s", limit=c["lt"]),
    "less_than_equal": lambda c: _(
        "Input should be less than or equal to %(limit)s", limit=c["le"]
    ),
    "enum": lambda c: _("Input should be %(expected)s", expected=c["expected"]),
    "literal_error": lambda c: _("Input should be %(expected)s", expected=c["expected"]),
}


def said(error: Mapping[str, Any]) -> str:
    """An error's `msg` in the current language: pydantic's own words in English, and for a
    type not known here (a validator's own message is written through `_` already)."""
    msg = str(error.get("msg", ""))
    if i18n.current() == i18n.DEFAULT:
        return msg
    kind = str(error.get("type", ""))
    if kind in PLAIN:
        return _(PLAIN[kind])
    say = WITH_CONTEXT.get(kind)
    if say is None:
        return msg
    try:
        return say(error.get("ctx") or {})
    except (KeyError, TypeError, ValueError):
        return msg
