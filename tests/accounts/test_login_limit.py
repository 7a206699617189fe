"""The login limit holds under parallel tries on the real database, and one address trying
many emails is held up."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.requests import Request

from app.config import Settings
from app.db import make_engine
from app.deps.accounts import Login
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.services import accounts
from app.services.errors import TooManyAttempts
from tests.factories import PASSWORD

PARALLEL = 100


def _request(address: str) -> Request:
    return Request({"type": "http", "headers": [], "client": (address, 40000)})


def test_parallel_wrong_passwords_check_the_password_at_most_the_limit(
    settings: Settings, facilitator: Facilitator, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = 0
    counting = threading.Lock()
    verify = accounts.verify_password

    def counted(password_hash: str, password: str) -> bool:
        nonlocal checks
        with counting:
            checks += 1
        return verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", counted)
    # The app's own engine kind (a write transaction per request on SQLite), its own
    # connection for each thread, every thread released at once.
    engine = make_engine(settings.database_url)
    start = threading.Barrier(PARALLEL)

    def attempt(_: int) -> str:
        with Session(engine, expire_on_commit=False) as session:
            login = Login(
                request=_request("203.0.113.7"), session=session, settings=settings, now=utcnow()
            )
            start.wait()
            try:
                return (
                    "wrong"
                    if login.attempt(facilitator.email, "not the password") is None
                    else "in"
                )
            except TooManyAttempts:
                return "held up"

    try:
        with ThreadPoolExecutor(PARALLEL) as pool:
            outcomes = list(pool.map(attempt, range(PARALLEL)))
    finally:
        engine.dispose()
    assert checks == settings.login_attempts
    assert outcomes.count("wrong") == settings.login_attempts
    assert outcomes.count("held up") == PARALLEL - settings.login_attempts


def test_one_address_trying_many_emails_is_held_up(
    client: TestClient, settings: Settings, facilitator: Facilitator
) -> None:
    allowed = settings.login_attempts_per_address
    assert allowed == 50  # the default: a venue's laptops may share one address

    def token(email: str, password: str = "wrong password!") -> int:
        r = client.post("/api/v1/auth/token", data={"username": email, "password": password})
        return r.status_code

    for n in range(allowed - 1):
        assert token(f"someone{n}@example.org") == 401
    # Signing in successfully in between does not use up the address's allowance.
    assert token(facilitator.email, PASSWORD) == 200
    assert token("one-more@example.org") == 401
    r = client.post(
        "/api/v1/auth/token", data={"username": "and-another@example.org", "password": "x" * 12}
    )
    assert r.status_code == 429
    assert r.json()["detail"].startswith("Too many attempts.")
    assert int(r.headers["Retry-After"]) > 0
    # The login page says the same, even for the right password of a real account.
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post(
        "/login", data={"email": facilitator.email, "password": PASSWORD, "csrf_token": csrf}
    )
    assert r.status_code == 429 and "Too many attempts" in r.text
