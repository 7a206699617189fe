"""create_app(): routers, static files, middleware, lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from anyio import to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Match
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings, get_settings
from app.db import Database, keep_checkpointing
from app.deps.common import LoginRequired
from app.i18n import N_, _
from app.kit.language import Language
from app.kit.rendering import STATIC_DIR, render
from app.kit.rendering import configure as configure_rendering
from app.kit.text import ERROR_TYPE as CONTROL_CHARACTERS
from app.kit.text import MESSAGE as CONTROL_MESSAGE
from app.kit.text import refuse_control_characters
from app.kit.validation import said
from app.live.admission import Admission
from app.live.announce import Jobs
from app.live.collector import tune_gc
from app.live.hub import create_hub
from app.live.pool import ping_when_idle
from app.live.state import StateCache
from app.migrate import is_current, upgrade
from app.routers import ROUTERS
from app.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    RequestLogMiddleware,
    SecurityHeadersMiddleware,
)
from app.services import media as media_service
from app.services.errors import DomainError, TooManyAttempts
from app.services.faults import RETRY_AFTER, SAVE_FAILED, storage_fault
from app.services.privacy import retention

log = logging.getLogger("tablecloth")


def _database(settings: Settings) -> Database:
    """The app's database: PostgreSQL's pooled connections are checked before use only after
    sitting idle (app/live/pool.py), not at every use."""
    return Database(
        settings.database_url, busy_ms=settings.lock_timeout_ms, pool_check=ping_when_idle
    )


def _lifespan(
    settings: Settings, db: Database
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up and shut-down: migrations (local mode), the hub, the checkpoints and the
    retention purge."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.mode == "local":
            upgrade(settings.database_url)
        elif not is_current(db.engine):
            raise RuntimeError("The database is not migrated: run `make migrate` first.")
        settings.media_dir.mkdir(parents=True, exist_ok=True)
        # Threads for every admitted request's blocking work, and some over for the rest
        # (websocket handshakes, writes moved off the loop, checkpoints): app/live/admission.py
        threads = to_thread.current_default_thread_limiter()
        threads.total_tokens = max(threads.total_tokens, settings.requests_in_flight + 16)
        await asyncio.to_thread(media_service.remove_stale_parts, settings.media_dir)
        await app.state.hub.start()
        tune_gc()
        checkpoints = asyncio.create_task(keep_checkpointing(db)) if db.nowait_engine else None
        keep = {"default_days": settings.keep_days, "audit_days": settings.audit_keep_days}
        await retention.purge_logged(db=db, media_dir=settings.media_dir, **keep)
        purging = asyncio.create_task(retention.keep_purging(db, settings.media_dir, **keep))
        try:
            yield
        finally:
            await app.state.jobs.stop()  # jobs set for later (Announcer.later) are dropped
            await app.state.hub.stop()
            purging.cancel()
            await asyncio.gather(purging, return_exceptions=True)
            if checkpoints is not None:
                checkpoints.cancel()  # a checkpoint under way finishes first
                await asyncio.gather(checkpoints, return_exceptions=True)
            db.dispose()

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level, format="%(message)s")
    db = _database(settings)
    configure_rendering(reload=settings.mode == "local")

    lifespan = _lifespan(settings, db)

    app = FastAPI(
        # FastAPI asks OpenTelemetry on every request whether anyone is listening (2-3% of
        # a busy server's CPU, bench/README.md); unless the operator asks for it, nobody is.
        telemetry={
            "tracing": settings.telemetry,
            "metrics": settings.telemetry,
            "logs": settings.telemetry,
        },
        title="Tablecloth",
        version="1.0.0",
        description="""
Tablecloth runs World Café events and network meetings live on phones and keeps what people
say as tagged evidence.

**Auth.** `POST /api/v1/auth/token` with a facilitator's email and password (OAuth2 password
form) returns a bearer token valid for 12 hours. Long-lived API tokens with a `read` or
`write` scope are created on the *API tokens* page or through `/api/v1/auth/api-tokens`.

**Errors** are JSON `{"detail": …}` with a 4xx status. When storage cannot take a write
just now (a full disk, a read-only or locked database) the answer is 503 with `Retry-After`
and nothing was stored: send the same request again (with the same `client_id` where the
request has one) after that many seconds.
""",
        lifespan=lifespan,
        # No NUL or other control character reaches a route, from any part of a request.
        dependencies=[Depends(refuse_control_characters)],
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.hub = create_hub(settings.broadcast_url)
    app.state.live_cache = StateCache(db)
    app.state.jobs = Jobs()  # what Announcer.later sets off

    _add_middleware(app, settings)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _install_error_handlers(app)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Tablecloth API",  # not shown to people
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/icon.svg",
        )

    return app


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    # Outermost last: logging sees the final status, headers apply to every response.
    app.add_middleware(
        Admission,
        limit=settings.requests_in_flight,
        wait_seconds=settings.queue_seconds,
        busy=lambda scope, detail, headers: _error_page(Request(scope), 503, _(detail), headers),
    )
    app.add_middleware(GZipMiddleware, minimum_size=600)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(ErrorPages)  # inside the headers: its answers get them too
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(Language)  # error pages and busy answers speak the person's language
    app.add_middleware(RequestLogMiddleware, client_address=settings.log_client_address)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or (
        "application/json" in request.headers.get("accept", "")
        and "text/html" not in request.headers.get("accept", "")
    )


def _error_page(
    request: Request, status: int, detail: str, headers: dict[str, str] | None
) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    return render(
        request,
        "error.html",
        {"status": status, "detail": detail},
        block="content",
        status_code=status,
        headers=headers,
    )


def _allowed_methods(request: Request) -> set[str]:
    """Every method some route answers at this path. The router's own 405 names only the
    first route whose path matched, and a path often has one route per method."""
    methods: set[str] = set()
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.matches(request.scope)[0] != Match.NONE:
                methods |= route.methods or set()
    return methods


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={exc.next_url}", status_code=303)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
        )
        return _error_page(request, exc.status_code, exc.detail, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":  # not shown to people
            detail = _("There is nothing at this address.")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            detail = _("That action is not possible at this address.")
            headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
        return _error_page(request, exc.status_code, detail, headers or None)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def number_out_of_range(request: Request, exc: Exception) -> Response:
        # An id or count larger than the database can hold (SQLite stops at 2**63, a
        # PostgreSQL integer column at 2**31) matches nothing and must not become a 500.
        if isinstance(exc, DataError) and "out of range" not in str(exc.orig):
            raise exc
        return _error_page(request, 422, _("A number in this request is too large."), None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            errors = [
                {"loc": list(e.get("loc", ())), "msg": said(e), "type": e.get("type", "")}
                for e in exc.errors()
            ]
            return JSONResponse({"detail": errors}, status_code=422)
        # A field's name, not the index of one of its values ("themes", not "0").
        names = (
            next((part for part in reversed(e.get("loc", ())) if isinstance(part, str)), "?")
            for e in exc.errors()
        )
        fields = ", ".join(dict.fromkeys(names))
        detail = _("Please check these fields: %(fields)s.", fields=fields)
        if any(e.get("type") == CONTROL_CHARACTERS for e in exc.errors()):
            detail += f" {_(CONTROL_MESSAGE)}."
        return _error_page(request, 422, detail, None)


# The admission gate's 503 (app/live/admission.py's BUSY), marked here too so its Welsh is in
# the catalogue whoever marks the gate's own words.
BUSY = N_("Lots of people are joining right now. Please wait a moment and try again.")

UNEXPECTED = N_(
    "Something went wrong on our side. Please try again; if it keeps happening, tell the "
    "person running the event."
)


def _fault_page(request: Request, exc: Exception) -> Response:
    """The answer to an exception no handler took: a storage fault is a 503 the person can
    retry, anything else a readable 500; both logged, both the site's own page or JSON."""
    reason = storage_fault(exc)
    if reason is not None:
        # The driver's own words only: SQLAlchemy's message carries the statement's
        # parameters, which may be what a person wrote.
        said = getattr(exc, "orig", None) or exc
        log.warning(
            "storage fault (%s) on %s %s: %s", reason, request.method, request.url.path, said
        )
        status, detail = 503, _(SAVE_FAILED)
        headers = {"Retry-After": str(RETRY_AFTER)}
    else:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        status, detail, headers = 500, _(UNEXPECTED), {}
    try:
        return _error_page(request, status, detail, headers or None)
    except Exception:  # the page itself failed to draw: still a readable answer
        log.exception("the error page could not be drawn")
        return HTMLResponse(f"<!doctype html><title>{status}</title><p>{detail}</p>", status)


class ErrorPages:
    """The last word on an exception from the app: the site's error page (or JSON) instead
    of Starlette's bare "Internal Server Error".

    Starlette answers an unhandled exception outside every middleware the app adds, so that
    answer had none of the security headers, and it raised the exception on to uvicorn,
    which then closed the connection. Here it becomes an ordinary response inside the
    security headers; the connection stays open for the next request. An exception after
    the answer has begun is passed on: nothing can be said any more.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_watched)
        except Exception as exc:
            if started:
                raise
            response = _fault_page(Request(scope, receive), exc)
            await response(scope, receive, send)
