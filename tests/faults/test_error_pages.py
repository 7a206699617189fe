"""An exception nobody handled is still the site's own answer: a readable page (or JSON on
the API) with the security headers, and the app does not raise it on to the server (which
would drop the connection)."""

from __future__ import annotations

import errno
import os

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from tests.conftest import BASE_URL

HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options", "x-request-id")


def broken(app: FastAPI) -> TestClient:
    """The app with routes that fail as a bug and as storage faults would. The test client
    raises any exception that leaves the app, so each answer below was the app's own."""

    def bug() -> None:
        raise RuntimeError("a bug")

    def disk_full() -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def database_gone() -> None:
        # What psycopg says when the server is down: no SQLSTATE at all.
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    for prefix in ("/boom", "/api/v1/boom"):
        app.add_api_route(f"{prefix}/bug", bug)
        app.add_api_route(f"{prefix}/full", disk_full, methods=["POST"])
        app.add_api_route(f"{prefix}/gone", database_gone, methods=["POST"])
    return TestClient(app, base_url=BASE_URL)


def test_a_bug_is_a_readable_500_page_with_the_security_headers(app: FastAPI) -> None:
    with broken(app) as client:
        page = client.get("/boom/bug")
        assert page.status_code == 500
        assert "text/html" in page.headers["content-type"]
        assert "Something went wrong on our side" in page.text
        assert "Something went wrong</h1>" in page.text
        assert "Internal Server Error" not in page.text
        for name in HEADERS:
            assert name in page.headers, name
        api = client.get("/api/v1/boom/bug")
        assert api.status_code == 500
        assert api.json()["detail"].startswith("Something went wrong on our side.")
        assert "frame-ancestors 'none'" in api.headers["content-security-policy"]
        # The next request is served as usual.
        assert client.get("/healthz").status_code == 200


def test_storage_faults_anywhere_are_a_503_to_try_again(app: FastAPI) -> None:
    with broken(app) as client:
        for path in ("/boom/full", "/boom/gone"):
            page = client.post(path, headers={"Origin": BASE_URL})
            assert page.status_code == 503, path
            assert page.headers["retry-after"] == "5"
            assert "Not saved yet</h1>" in page.text
            assert "We could not save that just now. Please try again in a moment." in page.text
            for name in HEADERS:
                assert name in page.headers, name
        for path in ("/api/v1/boom/full", "/api/v1/boom/gone"):
            api = client.post(path)
            assert api.status_code == 503, path
            assert api.json() == {
                "detail": "We could not save that just now. Please try again in a moment."
            }
            assert api.headers["retry-after"] == "5"
            assert api.headers["x-frame-options"] == "DENY"
