"""People and rows for the roles tests: an owner with a café and a network of two groups,
and other facilitator accounts signed in through the API or their own browser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.models.network import LocalGroup, Meeting, Member, Network
from tests.conftest import BASE_URL
from tests.factories import PASSWORD, make_cafe

Headers = dict[str, str]


def bearer(client: TestClient, who: Facilitator) -> Headers:
    """A write token for `who` (the password form)."""
    r = client.post("/api/v1/auth/token", data={"username": who.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def api_token(client: TestClient, headers: Headers, scope: str) -> Headers:
    """A long-lived API token of the same facilitator, with `scope`."""
    r = client.post(
        "/api/v1/auth/api-tokens", json={"name": f"{scope} token", "scope": scope}, headers=headers
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def csrf(client: TestClient, path: str) -> str:
    html = client.get(path).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@contextmanager
def browser_of(client: TestClient, who: Facilitator) -> Iterator[TestClient]:
    """A second person's own browser (cookie jar), signed in as `who`; it shares the app
    (and its event loop and hub) with `client`, so it does not start the app again."""
    c = TestClient(client.app, base_url=BASE_URL)
    c.portal = client.portal
    token = csrf(c, "/login")
    r = c.post(
        "/login",
        data={"email": who.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    yield c


def invite_co_facilitator(client: TestClient, owner: Headers, cafe_id: int, email: str) -> str:
    """The token of a new co-facilitator invite (from the link the API returns once)."""
    r = client.post(
        f"/api/v1/cafes/{cafe_id}/co-facilitators", json={"email": email}, headers=owner
    )
    assert r.status_code == 201, r.text
    return str(r.json()["link"]).rsplit("/r/", 1)[1]


def invite_coordinator(client: TestClient, owner: Headers, group_id: int, email: str) -> str:
    r = client.post(
        f"/api/v1/networks/groups/{group_id}/coordinators", json={"email": email}, headers=owner
    )
    assert r.status_code == 201, r.text
    return str(r.json()["link"]).rsplit("/r/", 1)[1]


def accept(client: TestClient, headers: Headers, token: str) -> dict[str, object]:
    r = client.post("/api/v1/roles/accept", json={"token": token}, headers=headers)
    assert r.status_code == 200, r.text
    result: dict[str, object] = r.json()
    return result


def network_of_two_groups(
    session: Session, owner: Facilitator
) -> tuple[Network, LocalGroup, LocalGroup]:
    network = Network(facilitator_id=owner.id, title="Choice and control")
    session.add(network)
    session.commit()
    session.refresh(network)
    groups = []
    for name in ("North", "South"):
        group = LocalGroup(network_id=network.id, name=name)
        session.add(group)
        session.commit()
        session.refresh(group)
        member = Member(
            group_id=group.id,
            display_name=f"{name} member",
            role="carer",
            email=f"{name.lower()}@example.org",
            phone="01234 567890",
        )
        starts = utcnow() + timedelta(days=7)
        meeting = Meeting(
            group_id=group.id,
            number=1,
            title=f"{name} meeting",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
        )
        session.add(member)
        session.add(meeting)
        session.commit()
        groups.append(group)
    return network, groups[0], groups[1]


def a_cafe(session: Session, owner: Facilitator, **overrides: object) -> Cafe:
    return make_cafe(session, owner, **overrides)
