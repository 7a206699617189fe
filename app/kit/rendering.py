"""One Jinja2 environment for pages, HTMX fragments and websocket pushes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments import render_block
from markupsafe import Markup
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse

from app import i18n
from app.kit.js_strings import js_strings
from app.models.cafe import ROLE_LABELS
from app.security import csrf_token, request_is_htmx
from app.services.cafe.participants import shown_name
from app.services.export import markdown
from app.services.material.wording import words_gone

APP_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = APP_DIR / "static"


@lru_cache(maxsize=256)
def _fingerprint(path: str, _mtime: float) -> str:
    # The modification time is part of the cache key so an edited file gets a new hash.
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """Static URL with a content hash, so files can be cached for a long time."""
    file = STATIC_DIR / path
    try:
        version = _fingerprint(path, _mtime=file.stat().st_mtime)
    except FileNotFoundError:
        version = "missing"
    return f"/static/{path}?v={version}"


def _clock(value: datetime | None) -> str:
    return value.strftime("%H:%M") if value else ""


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


env = Environment(
    loader=FileSystemLoader(APP_DIR / "templates"),
    autoescape=select_autoescape(["html", "xml", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)


def _gettext(message: str) -> str:
    return i18n.translations(i18n.current()).gettext(message)


def _ngettext(singular: str, plural: str, num: int) -> str:
    return i18n.translations(i18n.current()).ngettext(singular, plural, num)


def _pgettext(context: str, message: str) -> str:
    return str(i18n.translations(i18n.current()).pgettext(context, message))


# New-style gettext: `{{ _("Hello %(name)s", name=person) }}` escapes the variables, and a
# literal percent sign is written `%%`.
env.install_gettext_callables(  # type: ignore[attr-defined]
    _gettext, _ngettext, newstyle=True, pgettext=_pgettext
)


def _both(message: str, **variables: Any) -> Markup:
    """Fixed text in Welsh then English, each marked with its language (a bilingual café's
    projector and printed kit)."""
    parts = [
        Markup('<span lang="{}">{}</span>').format(
            lang, i18n.in_language(lang, message, **variables)
        )
        for lang in i18n.BILINGUAL_ORDER
    ]
    return Markup('<span class="bilingual">{}</span>').format(Markup(" / ").join(parts))


def _label(key: str | None, labels: Mapping[str, str]) -> str:
    """A stored key (`carer_cover`, `listened`) as people read it, from its label table;
    a key the table does not know is shown as stored rather than hidden."""
    found = labels.get(key or "")
    return i18n.gettext(found) if found else (key or "")


env.globals["languages"] = i18n.LANGUAGES
env.globals["current_language"] = i18n.current
env.globals["both"] = _both
env.globals["js_strings"] = js_strings
env.filters["day"] = i18n.format_day
env.filters["day_pattern"] = i18n.format_day_pattern
env.filters["number"] = i18n.format_number
env.filters["money"] = i18n.format_money
env.filters["label"] = _label
env.globals["static_url"] = static_url
env.globals["role_labels"] = ROLE_LABELS
env.globals["words_gone"] = words_gone
# A name as people read it (someone who left: the placeholder in the reader's language).
env.filters["person"] = shown_name
env.globals["prefs"] = {}
env.globals["csrf"] = ""
env.globals["person"] = None
env.filters["clock"] = _clock
env.filters["iso"] = _iso
# Material text: markdown-it's HTML with raw HTML off, so it is safe to mark as such.
env.filters["markdown"] = lambda text, top=2: Markup(markdown.to_html(text, top=top))


def configure(*, reload: bool) -> None:
    """Templates are re-read when edited only in local mode; elsewhere every render would
    otherwise check the template files' modification times (a system call per include)."""
    env.auto_reload = reload


def context_for(conn: HTTPConnection | None, ctx: Mapping[str, Any]) -> dict[str, Any]:
    full: dict[str, Any] = {"request": conn}
    if conn is not None and "session" in conn.scope:
        full["csrf"] = csrf_token(conn)
        full["prefs"] = conn.session.get("prefs", {})
    full.update(ctx)
    return full


def render_html(
    template: str,
    ctx: Mapping[str, Any],
    *,
    conn: HTTPConnection | None = None,
    block: str | None = None,
) -> str:
    full = context_for(conn, ctx)
    if block:
        return str(render_block(env, template, block, **full))
    return env.get_template(template).render(full)


def render(
    request: Request,
    template: str,
    ctx: Mapping[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The named block for an HTMX request, the whole page otherwise."""
    use_block = block if block and request_is_htmx(request) else None
    html = render_html(template, ctx or {}, conn=request, block=use_block)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    return response
