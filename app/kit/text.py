"""Text at the edge: no request carries a NUL or another control character into the app.

PostgreSQL cannot store a NUL in text, XML (and so a DOCX export) cannot hold most C0 control
characters, and nobody types them. `refuse_control_characters` runs before every route (an
app-wide dependency) and refuses them, with a 422 naming the field, wherever text arrives:
the path, the query string, a JSON body (keys and values, at any depth) and an urlencoded
form, and a multipart form FastAPI has parsed. Tab, line feed and carriage return are text.
Multipart bodies a route reads itself (an upload is streamed) are checked by the form readers
in `app.kit.forms`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from fastapi import WebSocketException, status
from fastapi.exceptions import RequestValidationError
from starlette.requests import HTTPConnection, Request

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
ERROR_TYPE = "string_control_characters"
MESSAGE = (
    "Text cannot hold control characters such as NUL (only tabs and line breaks); "
    "remove them and try again"
)
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_MAX_FIELDS = 5000


def has_control(value: str) -> bool:
    return CONTROL.search(value) is not None


def error(loc: tuple[str | int, ...]) -> dict[str, Any]:
    return {"loc": loc, "msg": MESSAGE, "type": ERROR_TYPE, "input": None}


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


async def _in_body(request: Request) -> list[dict[str, Any]]:
    content_type = request.headers.get("content-type", "")
    json_body = content_type.startswith("application/json")
    form_body = content_type.startswith("application/x-www-form-urlencoded")
    if content_type.startswith("multipart/form-data"):
        # Read only if FastAPI has parsed it for the route's Form() fields: an upload is
        # streamed by its route, which must refuse it before it is all read.
        parsed = getattr(request, "_form", None)
        return [] if parsed is None else in_pairs(parsed.multi_items(), "body")
    if not (json_body or form_body):
        return []
    try:
        body = await request.body()
    except RuntimeError:  # FastAPI has parsed the form already: read what it kept
        return in_pairs((await request.form()).multi_items(), "body")
    if json_body:
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            return []  # FastAPI answers for JSON that does not parse
        return list(_in_json(parsed, ("body",)))
    try:
        pairs = parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=_MAX_FIELDS
        )
    except ValueError:
        return []  # too many fields: the form reader refuses
    return in_pairs(pairs, "body")


async def refuse_control_characters(connection: HTTPConnection) -> None:
    """An app-wide dependency: 422 (a websocket is closed with 1008) for control characters
    in the path, the query string or the body."""
    found = in_pairs(
        ((name, value) for name, value in connection.path_params.items()), "path"
    ) + in_pairs(connection.query_params.multi_items(), "query")
    if isinstance(connection, Request) and connection.method in _BODY_METHODS:
        found += await _in_body(connection)
    if not found:
        return
    if connection.scope["type"] == "websocket":
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, reason=MESSAGE)
    raise RequestValidationError(found)
