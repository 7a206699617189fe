"""A member's own page from a personal link (issue 25 item 1): the link is a long random token
kept only as its hash, opening it signs the device in with the signed cookie and moves on to a
clean address; the lead's revoke-invites (or a new link) stops it, and a stopped link answers
with a plain page saying how to get a new one. The page shows the member their own details and
their group's meetings only; they change their consent there, read everything held about
them, and ask for it all to be deleted."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, select

from app.models.base import utcnow
from app.models.member_page import MemberLink
from app.models.network import Member
from app.models.privacy import ErasureLog
from app.services.network import member_page as member_page_service
from app.services.network.member_page import BY_MEMBER
from app.services.privacy import retention
from tests.conftest import csrf_of

NEEDS = "A hearing loop, and a seat near the door"
DIRECTIONS = "Bus 52 to the library, then the blue door on the left"
BRING = "Your reading glasses and a packed lunch"
PLACE = "Hillside Library, Room 2"


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **kw: Any) -> Any:
    r = client.request(method, url, headers=headers, **kw)
    assert r.status_code < 300, (url, r.status_code, r.text)
    return r.json() if r.content else None


@dataclass
class Network:
    network_id: int
    group_id: int
    meeting_id: int
    past_meeting_id: int
    alex: dict[str, Any]
    bo: dict[str, Any]
    far: dict[str, Any]  # a member of another group


def _member(
    client: TestClient, headers: dict[str, str], group_id: int, name: str, **extra: Any
) -> dict[str, Any]:
    body = {"display_name": name, "role": "lived_experience", **extra}
    member: dict[str, Any] = _api(
        client, headers, "POST", f"/api/v1/networks/groups/{group_id}/members", json=body
    )
    return member


def _meeting(
    client: TestClient, headers: dict[str, str], group_id: int, title: str, days: int, **kw: Any
) -> int:
    starts = utcnow() + timedelta(days=days)
    body = {
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        **kw,
    }
    made = _api(client, headers, "POST", f"/api/v1/networks/groups/{group_id}/meetings", json=body)
    return int(made["id"])


def _network(client: TestClient, headers: dict[str, str]) -> Network:
    network = _api(client, headers, "POST", "/api/v1/networks", json={"title": "Choice"})
    group = _api(
        client, headers, "POST", f"/api/v1/networks/{network['id']}/groups", json={"name": "North"}
    )
    other = _api(
        client, headers, "POST", f"/api/v1/networks/{network['id']}/groups", json={"name": "South"}
    )
    alex = _member(
        client,
        headers,
        group["id"],
        "Alexandra Quill",
        email="alex@example.org",
        phone="01234 567890",
        accessibility_needs=NEEDS,
        consent_given=True,
    )
    bo = _member(
        client, headers, group["id"], "Bo Marchetti", email="bo@example.org", phone="07700 900123"
    )
    far = _member(client, headers, other["id"], "Cyd Farrow", email="cyd@example.org")
    past = _meeting(client, headers, group["id"], "Spring meeting", -20)
    _api(
        client,
        headers,
        "PUT",
        f"/api/v1/networks/meetings/{past}/attendance",
        json={"marks": [{"member_id": alex["id"], "attended": True}]},
    )
    meeting = _meeting(
        client,
        headers,
        group["id"],
        "Summer meeting",
        10,
        location=PLACE,
        directions=DIRECTIONS,
        bring=BRING,
    )
    _meeting(client, headers, other["id"], "Southern secret meeting", 5, location="Elsewhere")
    return Network(network["id"], group["id"], meeting, past, alex, bo, far)


def _link(client: TestClient, headers: dict[str, str], member_id: int) -> str:
    r = client.post(f"/api/v1/networks/members/{member_id}/link", headers=headers)
    assert r.status_code == 201, r.text
    url: str = r.json()["url"]
    assert url.startswith("http://testserver/m/")
    return urlsplit(url).path


def _device(client: TestClient) -> TestClient:
    """A member's phone: its own cookie jar."""
    return TestClient(client.app, base_url=str(client.base_url))


def _open(client: TestClient, path: str) -> TestClient:
    phone = _device(client)
    r = phone.get(path, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/me"
    return phone


@pytest.fixture
def net(client: TestClient, api_headers: dict[str, str]) -> Network:
    return _network(client, api_headers)


def test_the_link_opens_the_members_page_with_a_signed_cookie_and_a_clean_address(
    client: TestClient, api_headers: dict[str, str], session: Session, net: Network
) -> None:
    path = _link(client, api_headers, net.alex["id"])
    token = path.removeprefix("/m/")
    assert len(token) >= 40
    phone = _device(client)
    r = phone.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/me"  # the token leaves the address bar
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert token not in r.headers["set-cookie"]
    page = phone.get("/me")
    assert page.status_code == 200
    html = page.text
    for shown in ("Alexandra Quill", "Summer meeting", PLACE, DIRECTIONS, BRING, NEEDS):
        assert shown in html
    assert "Spring meeting" in html  # a meeting they came to
    assert "/me/calendar.ics" in html
    calendar = phone.get("/me/calendar.ics")
    assert calendar.status_code == 200
    assert "Summer meeting" in calendar.text and "Southern secret meeting" not in calendar.text
    # Only the token's hash is stored.
    link = session.exec(select(MemberLink).where(MemberLink.member_id == net.alex["id"])).one()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert link.last_used_at is not None
    rows = session.connection().execute(core_select(SQLModel.metadata.tables["member_link"]))
    assert all(token not in str(tuple(row)) for row in rows)


def test_a_stopped_or_replaced_link_answers_with_a_plain_page(
    client: TestClient, api_headers: dict[str, str], net: Network
) -> None:
    first = _link(client, api_headers, net.alex["id"])
    phone = _open(client, first)
    second = _link(client, api_headers, net.alex["id"])
    stale = _device(client).get(first)
    assert stale.status_code == 404
    assert "This link does not work" in stale.text
    assert "Ask the person who runs your group" in stale.text
    # The device signed in with the first link is signed out by the new one.
    assert phone.get("/me").status_code == 404
    phone = _open(client, second)
    assert phone.get("/me").status_code == 200
    _api(client, api_headers, "POST", f"/api/v1/networks/members/{net.alex['id']}/revoke-invites")
    assert _device(client).get(second).status_code == 404
    gone = phone.get("/me")
    assert gone.status_code == 404 and "Open your link first" in gone.text
    assert "Alexandra" not in gone.text
    # A link made after the stop works again.
    assert _open(client, _link(client, api_headers, net.alex["id"])).get("/me").status_code == 200
    # Made-up tokens, long and short, get the same plain page.
    for made_up in ("x" * 43, "short", "a" * 300):
        r = _device(client).get(f"/m/{made_up}")
        assert r.status_code == 404 and "This link does not work" in r.text


def test_only_sections_with_something_to_say_are_shown(
    client: TestClient, api_headers: dict[str, str], net: Network
) -> None:
    """Cyd's group has one meeting coming and none past; nothing runs as a café."""
    html = _open(client, _link(client, api_headers, net.far["id"])).get("/me").text
    assert "Your next meeting" in html and "Southern secret meeting" in html
    assert "What you told us you need" not in html  # Cyd told us of no needs
    assert "How to get there" not in html and "What to bring" not in html
    for heading in ("Meetings you came to", "On now"):
        assert heading not in html
    assert "Using what you say" in html and "See everything we hold about you" in html


def test_a_member_signs_out_on_a_shared_device(
    client: TestClient, api_headers: dict[str, str], net: Network
) -> None:
    path = _link(client, api_headers, net.alex["id"])
    phone = _open(client, path)
    r = phone.post("/me/sign-out", data={"csrf_token": csrf_of(phone, "/me")})
    assert r.status_code == 404 and "Open your link first" in r.text
    assert "Alexandra" not in phone.get("/me").text
    assert _open(client, path).get("/me").status_code == 200  # the link itself still works


def test_a_device_without_a_link_sees_no_members_page(client: TestClient) -> None:
    for path in ("/me", "/me/data", "/me/data.json", "/me/erase", "/me/calendar.ics"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "Open your link first" in r.text


def test_a_member_never_sees_another_members_details(
    client: TestClient, api_headers: dict[str, str], net: Network
) -> None:
    phone = _open(client, _link(client, api_headers, net.alex["id"]))
    _open(client, _link(client, api_headers, net.bo["id"]))
    pages = [phone.get(p) for p in ("/me", "/me/data", "/me/data.json", "/me/erase")]
    for page in pages:
        assert page.status_code == 200
        for secret in (
            "Bo Marchetti",
            "bo@example.org",
            "07700 900123",
            "Cyd Farrow",
            "cyd@example.org",
            "Southern secret meeting",
        ):
            assert secret not in page.text, (page.url, secret)
    data = json.loads(pages[2].text)
    assert data["id"] == net.alex["id"] and data["email"] == "alex@example.org"
    assert "Alexandra Quill" in pages[1].text and "alex@example.org" in pages[1].text


def test_the_data_page_is_the_members_own_subject_access(
    client: TestClient, api_headers: dict[str, str], net: Network
) -> None:
    phone = _open(client, _link(client, api_headers, net.alex["id"]))
    mine = json.loads(phone.get("/me/data.json").text)
    lead_view = _api(client, api_headers, "GET", f"/api/v1/networks/members/{net.alex['id']}/data")
    assert mine == lead_view
    held = mine["personal_link"]
    assert held["working"] is True and held["last_used_at"] is not None
    assert set(held) == {"created_at", "last_used_at", "working"}  # never the token or hash
    page = phone.get("/me/data").text
    assert "last opened" in page and "Spring meeting" in page


def test_a_member_changes_their_consent_from_their_page(
    client: TestClient, api_headers: dict[str, str], net: Network
) -> None:
    phone = _open(client, _link(client, api_headers, net.alex["id"]))
    token = csrf_of(phone, "/me")
    refused = phone.post("/me/consent", data={"csrf_token": token, "consent": "maybe"})
    assert refused.status_code == 422 and "Choose yes or no" in refused.text
    r = phone.post(
        "/me/consent", data={"csrf_token": token, "consent": "no"}, follow_redirects=False
    )
    assert r.status_code == 303
    member = _api(client, api_headers, "GET", f"/api/v1/networks/members/{net.alex['id']}")
    assert member["consent_given"] is False and member["consent_at"] is None
    assert "You said <strong>no</strong>" in phone.get("/me").text
    phone.post("/me/consent", data={"csrf_token": token, "consent": "yes"})
    member = _api(client, api_headers, "GET", f"/api/v1/networks/members/{net.alex['id']}")
    assert member["consent_given"] is True and member["consent_at"] is not None
    # Without the page's CSRF token the change is refused.
    forged = phone.post("/me/consent", data={"consent": "no"})
    assert forged.status_code == 403
    member = _api(client, api_headers, "GET", f"/api/v1/networks/members/{net.alex['id']}")
    assert member["consent_given"] is True


def test_a_member_asks_to_be_deleted_from_their_page(
    client: TestClient, api_headers: dict[str, str], session: Session, net: Network
) -> None:
    path = _link(client, api_headers, net.alex["id"])
    phone = _open(client, path)
    confirm = phone.get("/me/erase")
    assert confirm.status_code == 200
    assert "What will go" in confirm.text and "cannot undo" in confirm.text
    token = csrf_of(phone, "/me/erase")
    unticked = phone.post("/me/erase", data={"csrf_token": token})
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    assert session.get(Member, net.alex["id"]) is not None
    r = phone.post(
        "/me/erase", data={"csrf_token": token, "confirm": "true"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/me/bye"
    bye = phone.get("/me/bye")
    assert bye.status_code == 200 and "deleted" in bye.text
    session.expire_all()
    assert session.get(Member, net.alex["id"]) is None
    assert session.exec(select(MemberLink)).all() == []
    assert phone.get("/me").status_code == 404  # the cookie was cleared
    assert _device(client).get(path).status_code == 404
    entry = session.exec(select(ErasureLog).where(ErasureLog.subject_id == net.alex["id"])).one()
    assert entry.kind == "member" and entry.erased_by == BY_MEMBER
    log = _api(client, api_headers, "GET", "/api/v1/erasures")
    assert any(e["kind"] == "member" and e["subject_id"] == net.alex["id"] for e in log)
    # Bo is untouched.
    assert _api(client, api_headers, "GET", f"/api/v1/networks/members/{net.bo['id']}")


def test_the_member_joins_a_live_cafe_from_their_page(
    client: TestClient, api_headers: dict[str, str], net: Network
) -> None:
    phone = _open(client, _link(client, api_headers, net.alex["id"]))
    assert "Join Summer meeting" not in phone.get("/me").text
    cafe = _api(client, api_headers, "POST", f"/api/v1/networks/meetings/{net.meeting_id}/cafe")
    # Made ten days ahead, the café is not offered yet; once it runs, it is.
    assert "Join Summer meeting" not in phone.get("/me").text
    _api(client, api_headers, "POST", f"/api/v1/cafes/{cafe['id']}/rounds/next")
    html = phone.get("/me").text
    assert "Join Summer meeting" in html and "?invite=" in html
    _api(client, api_headers, "POST", f"/api/v1/cafes/{cafe['id']}/close")
    assert "Join Summer meeting" not in phone.get("/me").text
    # A café made for a meeting starting within the hour is offered before it runs.
    soon = _meeting(client, api_headers, net.group_id, "Drop-in", 0)
    _api(client, api_headers, "POST", f"/api/v1/networks/meetings/{soon}/cafe")
    assert "Join Drop-in" in phone.get("/me").text


def test_the_lead_prints_a_letter_and_sees_when_the_link_was_last_used(
    client: TestClient, logged_in: TestClient, net: Network
) -> None:
    member_page = f"/networks/members/{net.alex['id']}"
    assert "No link made yet" in logged_in.get(member_page).text
    letter = logged_in.post(
        f"{member_page}/link", data={"csrf_token": csrf_of(logged_in, member_page)}
    )
    assert letter.status_code == 200
    html = letter.text
    assert "<svg" in html and "North" in html and "Dear Alexandra Quill" in html
    path = html.split("http://testserver/m/", 1)[1].split('"', 1)[0]
    assert "never opened yet" in logged_in.get(member_page).text
    phone = _open(client, f"/m/{path}")
    assert phone.get("/me").status_code == 200
    assert "last opened" in logged_in.get(member_page).text
    # Stopping the member's links shows as stopped.
    logged_in.post(
        f"{member_page}/revoke-invites", data={"csrf_token": csrf_of(logged_in, member_page)}
    )
    assert "Stopped" in logged_in.get(member_page).text
    assert phone.get("/me").status_code == 404


def test_only_the_lead_of_the_network_makes_links(
    client: TestClient, api_headers: dict[str, str], session: Session, net: Network
) -> None:
    from tests.factories import PASSWORD, make_facilitator

    other = make_facilitator(session, email="other@example.org")
    token = client.post(
        "/api/v1/auth/token", data={"username": other.email, "password": PASSWORD}
    ).json()["access_token"]
    r = client.post(
        f"/api/v1/networks/members/{net.alex['id']}/link",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 404 and "detail" in r.json()
    assert client.post(f"/api/v1/networks/members/{net.alex['id']}/link").status_code == 401
    assert session.exec(select(MemberLink)).all() == []


def test_the_access_log_keeps_no_personal_link(
    client: TestClient,
    api_headers: dict[str, str],
    net: Network,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = _link(client, api_headers, net.alex["id"])
    with caplog.at_level(logging.INFO, logger="tablecloth.request"):
        _open(client, path)
        _device(client).get(path[:-3] + "abc")
    raw = "\n".join(r.getMessage() for r in caplog.records)
    assert path.removeprefix("/m/")[:20] not in raw
    logged = [json.loads(r.getMessage()) for r in caplog.records]
    assert [(line["path"], line["status"]) for line in logged] == [("/m/…", 303), ("/m/…", 404)]


def test_the_link_goes_with_the_network_past_its_keep_for_date(
    client: TestClient, api_headers: dict[str, str], session: Session, net: Network, settings: Any
) -> None:
    _open(client, _link(client, api_headers, net.alex["id"]))
    assert session.exec(select(MemberLink)).all()
    retention.purge(
        session=session,
        media_dir=settings.media_dir,
        default_days=settings.keep_days,
        now=utcnow() + timedelta(days=settings.keep_days + 30),
    )
    session.expire_all()
    assert session.exec(select(MemberLink)).all() == []


def test_two_links_made_at_once_leave_one_working_link(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    net: Network,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A double click on "Make a link": the second request finds no link, as the first had
    not committed yet, and its insert meets the first one's row."""
    first = _link(client, api_headers, net.alex["id"])
    real = member_page_service.link_of
    calls: list[int] = []

    def not_yet(**kw: Any) -> MemberLink | None:
        calls.append(1)
        return None if len(calls) == 1 else real(**kw)

    monkeypatch.setattr(member_page_service, "link_of", not_yet)
    member = session.get(Member, net.alex["id"])
    assert member is not None
    _, token = member_page_service.issue_link(session=session, member=member, now=utcnow())
    assert len(calls) == 2
    links = session.exec(select(MemberLink)).all()
    assert [link.token_hash for link in links] == [hashlib.sha256(token.encode()).hexdigest()]
    assert _device(client).get(first).status_code == 404
    assert _open(client, f"/m/{token}").get("/me").status_code == 200
