"""Settings come from TABLECLOTH_… variables with safe local defaults."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from pydantic import ValidationError

from app.config import Settings
from app.main import create_app


def test_defaults_are_local_sqlite_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "BROADCAST_URL", "MODE", "SECRET_KEY"):
        monkeypatch.delenv(f"TABLECLOTH_{name}", raising=False)
    settings = Settings()
    assert settings.mode == "local"
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith(
        "var/tablecloth.db"
    )
    assert settings.broadcast_url == "memory://"
    # A local secret is generated once and then reused.
    assert len(settings.secret_key) >= 32
    assert Settings().secret_key == settings.secret_key


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLECLOTH_DATABASE_URL", "postgresql+psycopg://db/x")
    monkeypatch.setenv("TABLECLOTH_BROADCAST_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("TABLECLOTH_BASE_URL", "https://cafe.example.org")
    monkeypatch.setenv("TABLECLOTH_WORKERS", "4")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://db/x"
    assert settings.broadcast_url.startswith("redis://")
    assert settings.workers == 4
    assert "https://cafe.example.org" in settings.allowed_origins


def test_empty_variables_fall_back_to_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLECLOTH_BROADCAST_URL", "")
    assert Settings().broadcast_url == "memory://"


def test_production_refuses_to_start_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLECLOTH_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="SECRET_KEY is required"):
        Settings(mode="production")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(mode="production", secret_key="short")


def test_every_setting_is_documented_in_the_readme() -> None:
    from app.config import ROOT

    readme = (ROOT / "README.md").read_text()
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description"
        assert f"TABLECLOTH_{name.upper()}" in readme, f"TABLECLOTH_{name.upper()} not in README"


class _RecordingTracer(trace.NoOpTracer):
    def __init__(self, spans: list[str]) -> None:
        self.spans = spans

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> trace.Span:
        self.spans.append(name)
        return super().start_span(name, *args, **kwargs)


class _RecordingProvider(trace.TracerProvider):
    """What an operator's OpenTelemetry SDK would be, as far as FastAPI can tell."""

    def __init__(self) -> None:
        self.spans: list[str] = []

    def get_tracer(self, *_args: Any, **_kwargs: Any) -> trace.Tracer:
        return _RecordingTracer(self.spans)


@pytest.mark.parametrize("enabled", [False, True])
def test_telemetry_is_recorded_only_when_the_operator_turns_it_on(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, enabled: bool
) -> None:
    provider = _RecordingProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    app = create_app(settings.model_copy(update={"telemetry": enabled}))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
    assert bool(provider.spans) is enabled
