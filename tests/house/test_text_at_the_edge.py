"""Text at the edge: a NUL or another control character is refused with a readable 422 from
any part of a request (JSON body, form, query, path), before it reaches a database that
cannot store it; booleans are booleans; ids are bounded as the schema says; an unknown method
on a known path is 405."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.kit.text import MESSAGE
from tests.board.test_board import contributions, join, new_cafe, post, setup_two_tables, token
from tests.conftest import csrf_of
from tests.factories import cafe_payload

CONTROL = "Café\x00 at the library"


def test_a_nul_in_a_json_body_is_a_readable_422(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    r = client.post("/api/v1/cafes", json=cafe_payload(title=CONTROL), headers=api_headers)
    assert r.status_code == 422
    assert r.json()["detail"] == [
        {"loc": ["body", "title"], "msg": MESSAGE, "type": "string_control_characters"}
    ]
    deep = cafe_payload()
    deep["rounds"][1]["question"] = "What gets\x07 in the way?"
    r = client.post("/api/v1/cafes", json=deep, headers=api_headers)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "rounds", 1, "question"]
    # Tabs and line breaks are text.
    fine = cafe_payload(purpose="Line one\r\nLine two\twith a tab")
    assert client.post("/api/v1/cafes", json=fine, headers=api_headers).status_code == 201


def test_the_token_route_and_the_login_page_refuse_a_nul(client: TestClient) -> None:
    """Unauthenticated routes too: these answered 500 on PostgreSQL."""
    r = client.post("/api/v1/auth/token", data={"username": "a\x00@example.org", "password": "x"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "username"]
    token = csrf_of(client)
    page = client.post(
        "/login",
        data={"email": "lead\x00@example.org", "password": "x", "csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert page.status_code == 422
    assert "Please check these fields: email." in page.text
    assert "Text cannot hold control characters such as NUL" in page.text


def test_a_control_character_in_a_query_or_a_path_is_a_422(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = new_cafe(client, api_headers)
    r = client.get(
        f"/api/v1/cafes/{cafe['id']}/contributions",
        params={"role": "lived\x00"},
        headers=api_headers,
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "role"]
    r = client.get("/j/AB%00CD")
    assert r.status_code == 422
    assert "Text cannot hold control characters" in r.text


def test_a_phone_post_with_a_control_character_shows_the_message(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = new_cafe(client, api_headers)
    token = csrf_of(client, f"/j/{cafe['code']}")
    r = client.post(
        f"/j/{cafe['code']}",
        data={"display_name": "Ann\x1b[31m", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "Please check these fields: display_name." in r.text
    assert join(client, cafe["code"], "Ann") is not None  # the same form without it is fine


def test_a_multipart_form_with_a_nul_is_refused_too(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """A browser may send any form as multipart: the login page (FastAPI's Form fields) and a
    phone's join form (read by the kit's form reader) refuse it the same way."""
    token = csrf_of(client)
    extra = {"files": {"attachment": ("a.txt", b"", "text/plain")}}
    login = client.post(
        "/login",
        data={"email": "lead\x00@example.org", "password": "x", "csrf_token": token},
        **extra,  # type: ignore[arg-type]
    )
    assert login.status_code == 422
    assert "Text cannot hold control characters" in login.text
    cafe = new_cafe(client, api_headers)
    token = csrf_of(client, f"/j/{cafe['code']}")
    joined = client.post(
        f"/j/{cafe['code']}",
        data={"display_name": "Ann\x00", "csrf_token": token},
        follow_redirects=False,
        **extra,  # type: ignore[arg-type]
    )
    assert joined.status_code == 422
    assert "Text cannot hold control characters" in joined.text


def test_a_card_posted_the_way_the_phone_page_posts_it_refuses_a_nul(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """The phone page sends its CSRF token in a header and the form is read in one pass by
    the kit's reader: the same rule holds there, and nothing is stored."""
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    r = ann.post(
        f"/p/{cafe['code']}/contributions",
        data={"client_id": uuid.uuid4().hex, "text": "Buses\x00 are late", "kind": "idea"},
        headers={"x-csrf-token": token(ann, cafe["code"]), "hx-request": "true"},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "Text cannot hold control characters" in r.text
    assert contributions(session) == []
    assert post(ann, cafe["code"], "Buses are late", htmx=True).status_code in (200, 303)
    assert [c.text for c in contributions(session)] == ["Buses are late"]
