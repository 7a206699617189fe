"""Settings from the environment (TABLECLOTH_…), with safe defaults for a laptop."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var"


class Settings(BaseSettings):
    """Every knob the service reads; each one is documented in the README."""

    model_config = SettingsConfigDict(
        env_prefix="TABLECLOTH_", env_ignore_empty=True, extra="ignore"
    )

    mode: Literal["local", "production"] = Field(
        "local",
        description="local: migrate on start and keep a generated secret under var/. "
        "production: refuse to start without an explicit secret key.",
    )
    database_url: str = Field(
        f"sqlite:///{VAR_DIR / 'tablecloth.db'}",
        description="SQLAlchemy URL: a SQLite file by default; postgresql+psycopg://… too.",
    )
    broadcast_url: str = Field(
        "memory://",
        description="Realtime hub: memory:// (one process) or redis://host:6379/0 (workers).",
    )
    secret_key: str = Field(
        "", description="Signs cookies. Generated and kept in var/secret_key in local mode."
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public address, used in join links, QR codes and the Origin check.",
    )
    media_dir: Path = Field(
        VAR_DIR / "media", description="Where uploaded photos and voice notes live."
    )
    secure_cookies: bool = Field(
        False, description="Mark cookies Secure (set true behind HTTPS in production)."
    )
    login_attempts: int = Field(
        5, description="Failed logins allowed per window per email and address."
    )
    login_attempts_per_address: int = Field(
        50,
        ge=1,
        description="Failed logins allowed per window per address, whatever the email (a "
        "venue's laptops may share one address).",
    )
    login_window_seconds: int = Field(900, description="Window for the login rate limits.")
    join_attempts: int = Field(
        100,
        description="Unknown join codes allowed per window per address (a venue's phones may "
        "all share one).",
    )
    join_attempts_per_browser: int = Field(
        10, description="Unknown join codes allowed per window per browser."
    )
    join_window_seconds: int = Field(300, description="Window for the join-code rate limit.")
    plan_ahead_seconds: float = Field(
        3.0,
        ge=0,
        le=600,
        description="Seconds after a round starts before the next round's seating is planned "
        "ahead, so starting it does not wait for the planner.",
    )
    ws_per_person: int = Field(
        4,
        ge=1,
        description="Live websockets one participant may hold open per process (two tabs, a "
        "reconnect racing the old socket); past it their oldest is closed.",
    )
    ws_per_address: int = Field(
        1500,
        ge=1,
        description="Live websockets one client address may hold open per process (a venue's "
        "phones may all share one); past it new ones are refused.",
    )
    requests_in_flight: int = Field(
        24,
        ge=1,
        le=200,
        description="HTTP requests one worker process runs at once; the rest wait their turn "
        "(app/live/admission.py). Keep it below the worker threads (this plus 16 are made) and "
        "the database connections a process may open (40).",
    )
    queue_seconds: float = Field(
        15.0,
        gt=0,
        le=120,
        description="How long a request may wait for its turn before it is answered 503 with "
        "Retry-After.",
    )
    lock_timeout_ms: int = Field(
        30_000,
        ge=1,
        description="How long a write waits for a lock another writer holds (SQLite's busy "
        "timeout, PostgreSQL's lock_timeout) before it is refused: 503, nothing stored, the "
        "person asked to try again.",
    )
    min_free_bytes: int = Field(
        100 * 1024 * 1024,
        ge=0,
        description="Free room the media folder (and a SQLite database's folder) must have "
        "for /healthz to answer ok.",
    )
    header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="Seconds a connection has to send its request line and headers (uvicorn "
        "run with --http app.serving:HeaderTimeout) before it is closed.",
    )
    log_level: str = Field("INFO", description="Log level for the structured request log.")
    log_client_address: bool = Field(
        False,
        description="Add the client's address to each access log line, truncated to its "
        "network (IPv4 /24, IPv6 /48), for an operator who must trace abuse. Off: no address.",
    )
    keep_days: int = Field(
        365,
        ge=1,
        le=3650,
        description="Days a café or network keeps personal data unless its owner sets its "
        "own keep-for period; counted from the café's close (or its creation if never "
        "closed) and the network's last meeting (or its creation).",
    )
    audit_keep_days: int = Field(
        2190,
        ge=1,
        le=36500,
        description="Days the audit log keeps an entry (who viewed, exported, hid or erased "
        "personal data). Six years by default, as UK local government keeps such records.",
    )
    telemetry: bool = Field(
        False,
        description="FastAPI's OpenTelemetry spans, metrics and error logs, for an operator "
        "who has set up an OpenTelemetry SDK and exporter. Off: nothing is recorded.",
    )
    workers: int = Field(1, description="uvicorn worker count used by the Docker image.")

    @model_validator(mode="after")
    def _secret(self) -> Settings:
        if not self.secret_key:
            if self.mode == "production":
                raise ValueError("TABLECLOTH_SECRET_KEY is required in production mode")
            self.secret_key = _local_secret()
        elif self.mode == "production" and len(self.secret_key) < 32:
            raise ValueError("TABLECLOTH_SECRET_KEY must be at least 32 characters")
        return self

    @property
    def allowed_origins(self) -> set[str]:
        base = self.base_url.rstrip("/")
        origins = {base}
        # Developers open the local app as both 127.0.0.1 and localhost.
        if "://127.0.0.1" in base:
            origins.add(base.replace("://127.0.0.1", "://localhost"))
        elif "://localhost" in base:
            origins.add(base.replace("://localhost", "://127.0.0.1"))
        return origins


def _local_secret() -> str:
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
