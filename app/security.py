"""Cookies, CSRF, Origin checks, bearer tokens and security headers."""

from __future__ import annotations

import hmac
import ipaddress
import itertools
import json
import logging
import re
import secrets
import time
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings

SESSION_COOKIE = "tc_session"
SIGNED_IN = "fs"  # the cookie's entry holding a facilitator's session key
SESSION_MAX_AGE = 60 * 60 * 24 * 30  # a month: a phone rejoins the same café next week too
ACCESS_TOKEN_SECONDS = 60 * 60 * 12
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

log = logging.getLogger("tablecloth.request")

# Pages never load anything from another origin. The API docs page is the one exception
# that needs an inline bootstrap script (Swagger UI); its assets are still served by us.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


def csrf_token(conn: HTTPConnection) -> str:
    """The session's CSRF token, created on first use."""
    token = conn.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        conn.session["csrf"] = token
    return str(token)


def csrf_valid(conn: HTTPConnection, supplied: str | None) -> bool:
    expected = conn.session.get("csrf")
    return bool(expected and supplied and hmac.compare_digest(str(expected), supplied))


def client_address(conn: HTTPConnection) -> str:
    """The address a request or websocket came from (the proxy's, unless uvicorn is told to
    trust its forwarded headers)."""
    return conn.client.host if conn.client else "unknown"


def origin_allowed(conn: HTTPConnection, settings: Settings) -> bool:
    """Same-origin check: the Origin (or Referer) must be our own address."""
    origin = conn.headers.get("origin")
    if origin is None:
        referer = conn.headers.get("referer")
        if referer is None:
            # Old browsers send neither on same-origin form posts; the CSRF token still guards.
            return True
        parts = referer.split("/")
        origin = "/".join(parts[:3])
    if origin in settings.allowed_origins:
        return True
    host = conn.headers.get("host")
    scheme = "https" if conn.url.scheme in {"https", "wss"} else "http"
    return host is not None and origin == f"{scheme}://{host}"


def access_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="tablecloth.access-token")


def issue_access_token(settings: Settings, session_key: str) -> str:
    """A bearer token naming a sign-in (`FacilitatorSession`): signed, so a forged one is
    refused before any lookup; ended with its session."""
    return access_serializer(settings).dumps({"s": session_key})


def read_access_token(settings: Settings, token: str) -> str | None:
    """The session key a bearer token carries, if it is ours and less than 12 hours old."""
    try:
        data = access_serializer(settings).loads(token, max_age=ACCESS_TOKEN_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    value = data.get("s") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


# Every response's security headers, encoded once (a response that set one keeps its own).
_SECURITY_HEADERS = _raw(
    {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
    }
)
_CSP = {csp: _raw({"Content-Security-Policy": csp}) for csp in (CSP, DOCS_CSP)}
_NO_STORE = _raw({"Cache-Control": "no-store"})
_IMMUTABLE = (b"cache-control", b"public, max-age=31536000, immutable")


class SecurityHeadersMiddleware:
    """Adds CSP and friends to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        wanted = _CSP[DOCS_CSP if path in {"/docs", "/docs/oauth2-redirect"} else CSP]
        wanted = wanted + _SECURITY_HEADERS
        static = path.startswith("/static/")
        if not static:
            wanted = wanted + _NO_STORE

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw += [header for header in wanted if header[0] not in present]
                if static and b"v=" in scope.get("query_string", b""):
                    # Fingerprinted URLs (static_url) change when the file does.
                    raw = [h for h in raw if h[0].lower() != b"cache-control"] + [_IMMUTABLE]
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)


# A request's id: this process's random prefix and a count (a random id per request costs a
# system call for its randomness; these are as unique, across workers and restarts too).
_REQUEST_IDS = itertools.count(1)
_PROCESS_ID = secrets.token_hex(3)


# Paths that carry a secret in themselves: a join code (whoever has it can join the café and
# read its board), a password reset token, a role invite, a calendar feed's token, a
# member's personal link. The log keeps the shape.
_SECRET_PATHS = (
    (re.compile(r"^/j/[^/]+"), "/j/…"),
    (re.compile(r"^/m/.*"), "/m/…"),
    (re.compile(r"^/p/[^/]+"), "/p/…"),
    (re.compile(r"^/reset/.*"), "/reset/…"),
    (re.compile(r"^/r/.*"), "/r/…"),
    (re.compile(r"^/networks/calendars/[^/]+\.ics$"), "/networks/calendars/….ics"),
)


def _loggable(path: str) -> str:
    """The path as the access log keeps it: codes and tokens replaced by "…". The query
    string (invite and host tokens) is never logged."""
    for pattern, shape in _SECRET_PATHS:
        path, replaced = pattern.subn(shape, path, count=1)
        if replaced:
            break
    return path


def truncated_address(host: str) -> str:
    """An address cut to its network: IPv4 to /24, IPv6 to /48 (a person is not singled out,
    an abusive network can still be told apart)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


class RequestLogMiddleware:
    """One JSON line per request: method, path (codes and tokens replaced, no query string),
    status, duration. No cookies, no bodies, no client address unless the operator turns on
    `log_client_address` (then truncated to its network)."""

    def __init__(self, app: ASGIApp, *, client_address: bool = False) -> None:
        self.app = app
        self.client_address = client_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        request_id = f"{_PROCESS_ID}{next(_REQUEST_IDS):06x}"
        header = (b"x-request-id", request_id.encode())

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            if log.isEnabledFor(logging.INFO):
                record: dict[str, Any] = {
                    "event": "request",
                    "id": request_id,
                    "method": scope["method"],
                    "path": _loggable(scope["path"]),
                    "status": status,
                    "ms": round((time.perf_counter() - start) * 1000, 1),
                }
                if self.client_address:
                    client = scope.get("client")
                    record["client"] = truncated_address(client[0]) if client else "unknown"
                log.info(json.dumps(record))


def request_is_htmx(request: Request) -> bool:
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )
