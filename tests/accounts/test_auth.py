"""Facilitator login and logout, CSRF, rate limits, API tokens and scopes."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.__main__ import main as cli
from app.models.accounts import Facilitator
from tests.conftest import csrf_of
from tests.factories import PASSWORD


def test_login_shows_dashboard_and_logout_ends_session(
    client: TestClient, facilitator: Facilitator
) -> None:
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith("/login")
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={"email": facilitator.email.upper(), "password": PASSWORD, "csrf_token": token},
    )
    assert r.status_code == 200 and "Your cafés" in r.text
    token = csrf_of(client, "/dashboard")
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_wrong_password_is_a_readable_message(client: TestClient, facilitator: Facilitator) -> None:
    r = client.post(
        "/login",
        data={
            "email": facilitator.email,
            "password": "nope-nope-nope",
            "csrf_token": csrf_of(client),
        },
    )
    assert r.status_code == 401
    assert "do not match an account" in r.text
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_login_without_csrf_token_is_refused(client: TestClient, facilitator: Facilitator) -> None:
    client.get("/login")
    r = client.post("/login", data={"email": facilitator.email, "password": PASSWORD})
    assert r.status_code == 403
    assert "expired" in r.text
    r = client.post(
        "/login", data={"email": facilitator.email, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert r.status_code == 403


def test_cross_site_post_is_refused_even_with_a_token(
    client: TestClient, facilitator: Facilitator
) -> None:
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={"email": facilitator.email, "password": PASSWORD, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    assert "another site" in r.text


def test_htmx_requests_carry_the_token_in_a_header(logged_in: TestClient) -> None:
    token = csrf_of(logged_in, "/account/tokens")
    r = logged_in.post(
        "/account/tokens",
        data={"name": "htmx", "scope": "read"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert r.status_code == 200
    r = logged_in.post(
        "/account/tokens",
        data={"name": "htmx", "scope": "read"},
        headers={"HX-Request": "true", "X-CSRF-Token": "wrong"},
    )
    assert r.status_code == 403


def test_login_is_rate_limited(client: TestClient, facilitator: Facilitator) -> None:
    token = csrf_of(client)
    for _ in range(5):
        r = client.post(
            "/login",
            data={"email": facilitator.email, "password": "wrong-password", "csrf_token": token},
        )
        assert r.status_code == 401
    r = client.post(
        "/login", data={"email": facilitator.email, "password": PASSWORD, "csrf_token": token}
    )
    assert r.status_code == 429
    assert "Too many attempts" in r.text
    assert int(r.headers["Retry-After"]) > 0
    api = client.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    assert api.status_code == 429
    assert "Too many attempts" in api.json()["detail"]


def test_open_redirect_after_login_is_ignored(client: TestClient, facilitator: Facilitator) -> None:
    r = client.post(
        "/login",
        data={
            "email": facilitator.email,
            "password": PASSWORD,
            "csrf_token": csrf_of(client),
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/dashboard"


def test_oauth2_password_token(client: TestClient, facilitator: Facilitator) -> None:
    r = client.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/v1/cafes", headers=headers).json() == []
    bad = client.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": "wrong-password"}
    )
    assert bad.status_code == 401 and bad.json() == {"detail": "Incorrect email or password."}
    assert client.get("/api/v1/cafes").status_code == 401
    tampered = {"Authorization": f"Bearer {body['access_token']}x"}
    assert client.get("/api/v1/cafes", headers=tampered).status_code == 401


def test_api_tokens_issue_scope_and_revoke(client: TestClient, api_headers: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/auth/api-tokens",
        json={"name": "sync script", "scope": "read"},
        headers=api_headers,
    )
    assert r.status_code == 201
    read_token = r.json()["token"]
    read = {"Authorization": f"Bearer {read_token}"}
    assert client.get("/api/v1/cafes", headers=read).status_code == 200
    denied = client.post(
        "/api/v1/cafes",
        json={"title": "x", "table_count": 2, "rounds": [{"question": "q"}]},
        headers=read,
    )
    assert denied.status_code == 403
    assert "write scope" in denied.json()["detail"]
    listed = client.get("/api/v1/auth/api-tokens", headers=api_headers).json()
    assert [t["name"] for t in listed] == ["sync script"]
    assert "token" not in listed[0] and listed[0]["last_used_at"] is not None
    assert (
        client.delete(f"/api/v1/auth/api-tokens/{listed[0]['id']}", headers=api_headers).status_code
        == 204
    )
    assert client.get("/api/v1/cafes", headers=read).status_code == 401
    assert client.delete("/api/v1/auth/api-tokens/99999", headers=api_headers).status_code == 404
    invalid = client.post(
        "/api/v1/auth/api-tokens", json={"name": "", "scope": "admin"}, headers=api_headers
    )
    assert invalid.status_code == 422 and isinstance(invalid.json()["detail"], list)


def test_tokens_page_creates_shows_once_and_revokes(logged_in: TestClient) -> None:
    token = csrf_of(logged_in, "/account/tokens")
    r = logged_in.post(
        "/account/tokens", data={"name": "Report", "scope": "write", "csrf_token": token}
    )
    clear = re.search(r'id="new-token">([^<]+)<', r.text)
    assert clear and clear.group(1).startswith("tc_")
    assert (
        logged_in.get(
            "/api/v1/cafes", headers={"Authorization": f"Bearer {clear.group(1)}"}
        ).status_code
        == 200
    )
    page = logged_in.get("/account/tokens").text
    assert clear.group(1) not in page
    token_id = re.search(r"/account/tokens/(\d+)/revoke", page)
    assert token_id
    logged_in.post(f"/account/tokens/{token_id.group(1)}/revoke", data={"csrf_token": token})
    assert "Revoked" in logged_in.get("/account/tokens").text
    empty = logged_in.post("/account/tokens", data={"name": " ", "csrf_token": token})
    assert empty.status_code == 422 and "Give the token a name" in empty.text


def test_cli_creates_a_facilitator(settings: object, session: Session, monkeypatch: object) -> None:
    import app.__main__ as main_module

    monkeypatch.setattr(main_module, "get_settings", lambda: settings)  # type: ignore[attr-defined]
    assert cli(["create-facilitator", "cli@example.org", "--password", "long-enough-pw"]) == 0
    assert cli(["create-facilitator", "cli@example.org", "--password", "long-enough-pw"]) == 2
    assert cli(["create-facilitator", "short@example.org", "--password", "short"]) == 2
