"""Text at the edge: no request carries a NUL or another control character into the app.

PostgreSQL cannot store a NUL in text, XML (and so a DOCX export) cannot hold most C0 control
characters, and nobody types them. `refuse_control_characters` runs before every route (an
app-wide dependency) and refuses them, with a 422 naming the field, wherever text arrives:
the path, the query string, and the body FastAPI has read for the route's fields: JSON (keys
and values, at any depth) or a form. Forms a route reads itself go through the readers in
`app.kit.forms`, which check the same. Tab, line feed and carriage return are text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import WebSocketException, status
from fastapi.exceptions import RequestValidationError
from starlette.requests import HTTPConnection, Request

from app.i18n import N_, _

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
ERROR_TYPE = "string_control_characters"
MESSAGE = N_(
    "Text cannot hold control characters such as NUL (only tabs and line breaks); "
    "remove them and try again"
)
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def has_control(value: str) -> bool:
    return CONTROL.search(value) is not None


def error(loc: tuple[str | int, ...]) -> dict[str, Any]:
    return {"loc": loc, "msg": _(MESSAGE), "type": ERROR_TYPE, "input": None}


def _in_json(value: Any, loc: tuple[str | int, ...]) -> Iterator[dict[str, Any]]:
    if isinstance(value, str):
        if has_control(value):
            yield error(loc)
    elif isinstance(value, dict):
        for key, item in value.items():
            if has_control(key):
                yield error((*loc, key.encode("unicode_escape").decode()))
            else:
                yield from _in_json(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _in_json(item, (*loc, index))


def in_pairs(pairs: Iterable[tuple[str, Any]], where: str) -> list[dict[str, Any]]:
    """The errors for the (name, value) pairs of a query string or form."""
    found = []
    for name, value in pairs:
        if has_control(name) or (isinstance(value, str) and has_control(value)):
            found.append(error((where, name.encode("unicode_escape").decode())))
    return found


_UNREAD = object()


def _in_body(request: Request) -> list[dict[str, Any]]:
    """The errors in what FastAPI has already read of the body for the route's own fields
    (it reads them before any dependency runs): the JSON it parsed, or the form. Nothing more
    is read here, so a body nobody reads is never buffered (an upload streams past a size
    limit), and a body a route reads itself is checked by the kit's form readers."""
    parsed = getattr(request, "_json", _UNREAD)  # Starlette keeps what request.json() gave
    if parsed is not _UNREAD:
        return list(_in_json(parsed, ("body",)))
    form = getattr(request, "_form", None)  # and what request.form() gave
    if form is not None:
        return in_pairs(form.multi_items(), "body")
    return []


async def refuse_control_characters(connection: HTTPConnection) -> None:
    """An app-wide dependency: 422 (a websocket is closed with 1008) for control characters
    in the path, the query string or the body."""
    found = in_pairs(
        ((name, value) for name, value in connection.path_params.items()), "path"
    ) + in_pairs(connection.query_params.multi_items(), "query")
    if isinstance(connection, Request) and connection.method in _BODY_METHODS:
        found += _in_body(connection)
    if not found:
        return
    if connection.scope["type"] == "websocket":
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, reason=_(MESSAGE))
    raise RequestValidationError(found)
