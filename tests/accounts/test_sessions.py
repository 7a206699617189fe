"""Server-side sessions: logout ends a sign-in for good, sessions listed and signed out from
elsewhere, bearer tokens ended at once, password change, the console socket refused."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.websockets import WebSocketDisconnect

from app.config import Settings
from app.models.accounts import Facilitator, FacilitatorSession, PasswordReset
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.security import SESSION_COOKIE
from app.services import sessions
from tests.conftest import BASE_URL, csrf_of
from tests.factories import PASSWORD, make_cafe, make_facilitator

CHROMIUM_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def browser(client: TestClient) -> TestClient:
    """Another browser on the same app, with a cookie jar of its own."""
    return TestClient(client.app, base_url=BASE_URL)


def log_in(who: TestClient, email: str, password: str = PASSWORD, **headers: str) -> None:
    r = who.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(who)},
        headers=headers,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def bearer(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def signed_out(who: TestClient) -> bool:
    r = who.get("/dashboard", follow_redirects=False)
    return r.status_code == 303 and r.headers["location"].startswith("/login")


@pytest.fixture
def elsewhere(client: TestClient, facilitator: Facilitator) -> TestClient:
    """Another browser, signed in as the same facilitator."""
    other = browser(client)
    log_in(other, facilitator.email)
    return other


MakeToken = Callable[[str], tuple[int, dict[str, str]]]


@pytest.fixture
def make_token(client: TestClient, api_headers: dict[str, str]) -> MakeToken:
    """Makes a long-lived API token of a scope: its id and the headers that send it."""

    def make(scope: str) -> tuple[int, dict[str, str]]:
        r = client.post(
            "/api/v1/auth/api-tokens", json={"name": scope, "scope": scope}, headers=api_headers
        )
        assert r.status_code == 201, r.text
        made = r.json()
        return made["id"], {"Authorization": f"Bearer {made['token']}"}

    return make


@pytest.fixture
def expired(logged_in: TestClient, session: Session) -> TestClient:
    """The signed-in browser, its sign-in (the only one) past its expiry."""
    row = session.exec(select(FacilitatorSession)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    return logged_in


@pytest.fixture
def cafe(session: Session, facilitator: Facilitator) -> Cafe:
    return make_cafe(session, facilitator)


def test_a_copied_cookie_is_refused_after_logout(
    client: TestClient, facilitator: Facilitator
) -> None:
    log_in(client, facilitator.email)
    copied = client.cookies[SESSION_COOKIE]
    thief = browser(client)
    thief.cookies.set(SESSION_COOKIE, copied)
    assert thief.get("/dashboard").status_code == 200  # the copy works while signed in
    r = client.post("/logout", data={"csrf_token": csrf_of(client, "/dashboard")})
    assert r.status_code == 200 and "Facilitator login" in r.text
    assert signed_out(thief)
    assert signed_out(client)
    # The page that is open to a facilitator and to phones does not take the copy either.
    assert thief.get("/login").status_code == 200


def test_api_logout_ends_the_bearer_token_used(
    client: TestClient, facilitator: Facilitator
) -> None:
    headers = bearer(client, facilitator.email)
    other = bearer(client, facilitator.email)
    assert client.get("/api/v1/cafes", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    refused = client.get("/api/v1/cafes", headers=headers)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "The token is invalid, expired or revoked."}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 401
    assert client.get("/api/v1/cafes", headers=other).status_code == 200  # only that one


def test_api_logout_with_a_long_lived_token_revokes_it(
    client: TestClient, api_headers: dict[str, str], make_token: MakeToken
) -> None:
    _, token = make_token("read")
    assert client.post("/api/v1/auth/logout", headers=token).status_code == 204
    assert client.get("/api/v1/cafes", headers=token).status_code == 401
    listed = client.get("/api/v1/auth/api-tokens", headers=api_headers).json()
    assert listed[0]["revoked_at"] is not None


def test_a_revoked_api_token_is_refused_at_once(
    client: TestClient, api_headers: dict[str, str], make_token: MakeToken
) -> None:
    token_id, token = make_token("write")
    assert client.get("/api/v1/cafes", headers=token).status_code == 200
    r = client.delete(f"/api/v1/auth/api-tokens/{token_id}", headers=api_headers)
    assert r.status_code == 204
    refused = client.get("/api/v1/cafes", headers=token)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_sessions_are_listed_and_one_is_signed_out_from_another(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    laptop = browser(client)
    log_in(laptop, facilitator.email, **{"User-Agent": CHROMIUM_LINUX})
    headers = bearer(client, facilitator.email)
    listed = client.get("/api/v1/auth/sessions", headers=headers).json()
    assert [(s["kind"], s["current"]) for s in listed] == [("api", True), ("browser", False)]
    assert listed[1]["description"] == "Chromium on Linux"
    assert set(listed[1]) == {
        "id",
        "kind",
        "description",
        "created_at",
        "last_seen_at",
        "expires_at",
        "current",
    }
    r = client.delete(f"/api/v1/auth/sessions/{listed[1]['id']}", headers=headers)
    assert r.status_code == 204
    assert signed_out(laptop)
    assert [s["kind"] for s in client.get("/api/v1/auth/sessions", headers=headers).json()] == [
        "api"
    ]
    # Someone else's session, or none at all: 404, and theirs keeps working.
    stranger = make_facilitator(session)
    theirs = browser(client)
    log_in(theirs, stranger.email)
    their_id = session.exec(
        select(FacilitatorSession.id).where(FacilitatorSession.facilitator_id == stranger.id)
    ).one()
    for unknown in (their_id, 999999):
        r = client.delete(f"/api/v1/auth/sessions/{unknown}", headers=headers)
        assert r.status_code == 404 and r.json() == {"detail": "You have no such session."}
    assert not signed_out(theirs)


def test_ending_a_bearer_tokens_session_refuses_the_token(
    client: TestClient, facilitator: Facilitator
) -> None:
    script = bearer(client, facilitator.email)
    mine = bearer(client, facilitator.email)
    listed = client.get("/api/v1/auth/sessions", headers=mine).json()
    script_id = next(s["id"] for s in listed if not s["current"])
    assert client.delete(f"/api/v1/auth/sessions/{script_id}", headers=mine).status_code == 204
    assert client.get("/api/v1/cafes", headers=script).status_code == 401


def test_security_page_signs_out_one_session_and_everywhere_else(
    logged_in: TestClient, elsewhere: TestClient, facilitator: Facilitator
) -> None:
    phone, tablet = elsewhere, browser(logged_in)
    log_in(tablet, facilitator.email)
    script = bearer(logged_in, facilitator.email)
    page = logged_in.get("/account/security")
    assert page.status_code == 200 and "Where you are signed in" in page.text
    assert page.text.count('action="/account/sessions/') == 5  # four sessions, "everywhere else"
    token = csrf_of(logged_in, "/account/security")
    ids = re.findall(r'action="/account/sessions/(\d+)/end"', page.text)
    # Newest first: the bearer token, the tablet, the phone, this browser.
    r = logged_in.post(f"/account/sessions/{ids[1]}/end", data={"csrf_token": token})
    assert r.status_code == 200 and "That session is signed out." in r.text
    assert signed_out(tablet) and not signed_out(phone)
    r = logged_in.post("/account/sessions/end-others", data={"csrf_token": token})
    assert "Signed out everywhere else (2 sessions)." in r.text
    assert signed_out(phone)
    assert logged_in.get("/api/v1/cafes", headers=script).status_code == 401
    assert not signed_out(logged_in)
    assert "Sign out everywhere else" not in logged_in.get("/account/security").text
    # Signing out this browser from the list is logging out.
    r = logged_in.post(f"/account/sessions/{ids[3]}/end", data={"csrf_token": token})
    assert signed_out(logged_in)


def test_security_page_is_linked_and_needs_a_live_session(
    logged_in: TestClient, client: TestClient
) -> None:
    assert 'href="/account/security"' in logged_in.get("/dashboard").text
    stranger = browser(client)
    r = stranger.get("/account/security", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account/security"


def test_password_change_ends_every_other_session_and_keeps_this_one(
    logged_in: TestClient,
    elsewhere: TestClient,
    api_headers: dict[str, str],
    make_token: MakeToken,
    facilitator: Facilitator,
) -> None:
    other, script = elsewhere, api_headers
    _, long_lived = make_token("read")
    token = csrf_of(logged_in, "/account/security")

    def change(current: str, new: str, again: str) -> str:
        r = logged_in.post(
            "/account/password",
            data={
                "current_password": current,
                "new_password": new,
                "new_password_again": again,
                "csrf_token": token,
            },
        )
        return f"{r.status_code} {r.text}"

    wrong = change("not-my-password", "a brand new password", "a brand new password")
    assert wrong.startswith("422") and "That is not your current password." in wrong
    assert 'aria-invalid="true" aria-describedby="current_password-error"' in wrong
    short = change(PASSWORD, "short", "short")
    assert short.startswith("422") and "at least 10 characters" in short
    assert 'aria-describedby="new_password-hint new_password-error"' in short
    differ = change(PASSWORD, "a brand new password", "a brand new passw0rd")
    assert differ.startswith("422") and 'id="new_password_again-error"' in differ
    assert not signed_out(other)  # nothing changed yet

    done = change(PASSWORD, "a brand new password", "a brand new password")
    assert done.startswith("200") and "Every other session is signed out (2 sessions)" in done
    assert not signed_out(logged_in)
    assert signed_out(other)
    assert logged_in.get("/api/v1/cafes", headers=script).status_code == 401
    assert logged_in.get("/api/v1/cafes", headers=long_lived).status_code == 200
    old = logged_in.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    assert old.status_code == 401
    bearer(logged_in, facilitator.email, "a brand new password")


def test_a_revoked_session_cannot_open_the_console_socket(
    client: TestClient, cafe: Cafe, facilitator: Facilitator
) -> None:
    log_in(client, facilitator.email)
    copied = client.cookies[SESSION_COOKIE]
    origin = {"origin": BASE_URL}
    with client.websocket_connect(f"/ws/console/{cafe.id}", headers=origin) as ws:
        assert ws.receive_text()
    client.post("/logout", data={"csrf_token": csrf_of(client, "/dashboard")})
    thief = browser(client)
    thief.cookies.set(SESSION_COOKIE, copied)
    for path in (f"/ws/console/{cafe.id}", f"/ws/projector/{cafe.id}"):
        with pytest.raises(WebSocketDisconnect) as refused:  # noqa: SIM117
            with thief.websocket_connect(path, headers=origin) as ws:
                ws.receive_text()
        assert refused.value.code == 1008


def test_last_seen_is_written_every_few_minutes_not_every_request(
    logged_in: TestClient, session: Session
) -> None:
    row = session.exec(select(FacilitatorSession)).one()
    first_seen = row.last_seen_at
    logged_in.get("/dashboard")
    session.expire_all()
    assert session.exec(select(FacilitatorSession)).one().last_seen_at == first_seen
    earlier = utcnow() - timedelta(minutes=6)
    row.last_seen_at = earlier
    session.add(row)
    session.commit()
    logged_in.get("/dashboard")
    session.expire_all()
    seen = session.exec(select(FacilitatorSession)).one()
    assert seen.last_seen_at > earlier + timedelta(minutes=5)
    assert seen.expires_at > utcnow() + timedelta(days=29)


def test_an_expired_session_is_signed_out(expired: TestClient) -> None:
    assert signed_out(expired)


@pytest.mark.parametrize(
    ("agent", "described"),
    [
        (CHROMIUM_LINUX, "Chromium on Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        ("curl/8.5.0", "curl"),
        ("", "Unknown device"),
    ],
)
def test_a_session_is_described_without_versions(agent: str, described: str) -> None:
    assert sessions.describe_agent(agent) == described


def _reset_cli(settings: Settings, email: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TABLECLOTH_MODE": "production",
        "TABLECLOTH_DATABASE_URL": settings.database_url,
        "TABLECLOTH_SECRET_KEY": settings.secret_key,
        "TABLECLOTH_BASE_URL": BASE_URL,
    }
    return subprocess.run(
        [sys.executable, "-m", "app", "reset-password", email],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_reset_password_link_from_the_command_line_works_once(
    client: TestClient,
    settings: Settings,
    facilitator: Facilitator,
    elsewhere: TestClient,
    api_headers: dict[str, str],
    make_token: MakeToken,
) -> None:
    signed_in_elsewhere, script = elsewhere, api_headers
    _, long_lived = make_token("read")

    done = _reset_cli(settings, facilitator.email.upper())
    assert done.returncode == 0, done.stderr
    link = re.search(rf"{BASE_URL}(/reset/[A-Za-z0-9_-]+)\s*$", done.stdout)
    assert link, done.stdout
    path = link.group(1)
    page = client.get(path)
    assert page.status_code == 200 and "Set a new password" in page.text
    token = csrf_of(client, path)
    short = client.post(
        path,
        data={"new_password": "short", "new_password_again": "short", "csrf_token": token},
    )
    assert short.status_code == 422 and 'id="new_password-error"' in short.text
    new = "a fresh password, long"
    r = client.post(
        path, data={"new_password": new, "new_password_again": new, "csrf_token": token}
    )
    assert r.status_code == 200 and "Your password is changed" in r.text
    assert signed_out(signed_in_elsewhere)
    assert client.get("/api/v1/cafes", headers=script).status_code == 401
    assert client.get("/api/v1/cafes", headers=long_lived).status_code == 200
    bearer(client, facilitator.email, new)

    again = client.get(path)
    assert again.status_code == 410 and "already been used or has expired" in again.text
    token = csrf_of(client)
    reused = client.post(
        path,
        data={
            "new_password": "someone else's pw",
            "new_password_again": "someone else's pw",
            "csrf_token": token,
        },
    )
    assert reused.status_code == 410
    bearer(client, facilitator.email, new)  # the password stayed as set
    unknown = client.get("/reset/not-a-real-token")
    assert unknown.status_code == 404 and "not known" in unknown.text
    assert "Not found" in unknown.text


def test_reset_password_for_an_unknown_email_says_so(settings: Settings) -> None:
    done = _reset_cli(settings, "nobody@example.org")
    assert done.returncode != 0
    assert done.stdout == ""
    assert "No facilitator account has the email 'nobody@example.org'." in done.stderr


def test_an_expired_reset_link_is_refused_readably(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    _, token = sessions.issue_reset(
        session=session, email=facilitator.email, now=utcnow() - timedelta(minutes=61)
    )
    r = client.get(f"/reset/{token}")
    assert r.status_code == 410 and "This link no longer works" in r.text
    # A newer link replaces an older one that was never used.
    _, first = sessions.issue_reset(session=session, email=facilitator.email, now=utcnow())
    _, second = sessions.issue_reset(session=session, email=facilitator.email, now=utcnow())
    assert client.get(f"/reset/{first}").status_code == 404
    assert client.get(f"/reset/{second}").status_code == 200


def test_ended_sessions_and_spent_reset_links_are_deleted(
    expired: TestClient, session: Session, facilitator: Facilitator
) -> None:
    sessions.issue_reset(
        session=session, email=facilitator.email, now=utcnow() - timedelta(hours=26)
    )
    assert session.exec(select(PasswordReset)).all()
    # Any counted login attempt clears them away, as it does old rate-limit hits.
    bad = expired.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": "wrong password"}
    )
    assert bad.status_code == 401
    session.expire_all()
    assert session.exec(select(FacilitatorSession)).all() == []
    assert session.exec(select(PasswordReset)).all() == []


def test_the_request_log_leaves_out_reset_links(
    client: TestClient,
    session: Session,
    facilitator: Facilitator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, token = sessions.issue_reset(session=session, email=facilitator.email, now=utcnow())
    with caplog.at_level(logging.INFO, logger="tablecloth.request"):
        assert client.get(f"/reset/{token}").status_code == 200
    logged = [r.getMessage() for r in caplog.records if r.name == "tablecloth.request"]
    assert logged and all(token not in line for line in logged)
    assert '"path": "/reset/…"' in logged[-1] or '"path": "/reset/\\u2026"' in logged[-1]


@pytest.mark.parametrize("view", ["console", "projector"])
def test_an_open_console_socket_closes_when_its_session_ends(
    client: TestClient, cafe: Cafe, elsewhere: TestClient, api_headers: dict[str, str], view: str
) -> None:
    laptop, script = elsewhere, api_headers
    laptop_id = next(
        s["id"]
        for s in client.get("/api/v1/auth/sessions", headers=script).json()
        if s["kind"] == "browser"
    )
    with laptop.websocket_connect(f"/ws/{view}/{cafe.id}", headers={"origin": BASE_URL}) as ws:
        assert ws.receive_text()
        # A change while the session lives is pushed as before.
        assert client.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=script).is_success
        assert "Round 1" in ws.receive_text()
        assert (
            client.delete(f"/api/v1/auth/sessions/{laptop_id}", headers=script).status_code == 204
        )
        # The next change is not: the socket is closed instead.
        assert client.post(f"/api/v1/cafes/{cafe.id}/pause", headers=script).is_success
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 1008


def test_a_read_only_token_may_log_itself_out_but_not_list_sessions(
    client: TestClient, make_token: MakeToken
) -> None:
    _, reader = make_token("read")
    refused = client.get("/api/v1/auth/sessions", headers=reader)
    assert refused.status_code == 403 and "write scope" in refused.json()["detail"]
    assert client.post("/api/v1/auth/logout", headers=reader).status_code == 204
    assert client.get("/api/v1/cafes", headers=reader).status_code == 401
    assert client.post("/api/v1/auth/logout").status_code == 401
