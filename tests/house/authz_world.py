"""The world the authorization matrix runs in: an owner's rows (a network with two groups, a
meeting run as a café with rounds, tables, a participant and a member who joined by their
invite, a card with a photo, a theme, a material with a version, a section and an evidence
item, an action plan) and the people who knock on them, each with their own cookie jar or
bearer token."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, select

from app.config import Settings
from app.models.accounts import Facilitator, SessionKind, TokenScope
from app.models.base import utcnow
from app.models.evidence import Contribution, Media
from app.models.network import Member
from app.security import SESSION_COOKIE, issue_access_token
from app.services import accounts, sessions
from app.services.network import calendar, invites
from tests.conftest import BASE_URL
from tests.factories import PASSWORD, make_cafe, make_facilitator
from tests.material_setup import make_group_cafe, make_network

ORIGIN = {"origin": BASE_URL}

# Tables a refused request may write to without having been let in: the guessing guard's
# counts of unknown join codes and sign-in tries. (A session's last-seen time is left out
# of the comparison for the same reason: it is refreshed every few minutes by any request.)
NOT_COMPARED = {"rate_limit_hit"}
NOT_COMPARED_COLUMNS = {("facilitator_session", "last_seen_at"), ("api_token", "last_used_at")}


def identity_client(client: TestClient) -> TestClient:
    """A browser or API client with its own cookie jar on the app's event loop."""
    other = TestClient(client.app, base_url=BASE_URL)
    other.portal = client.portal
    return other


def csrf_in_cookie(browser: TestClient) -> str:
    """The CSRF token the signed session cookie carries (made by the first page drawn)."""
    value = browser.cookies.get(SESSION_COOKIE)
    assert value, "this browser has no session cookie yet"
    data = json.loads(base64.b64decode(value.split(".")[0]))
    return str(data["csrf"])


@dataclass
class Identity:
    """One column of the matrix: a browser (cookies) and/or a bearer token."""

    name: str
    browser: TestClient
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        return csrf_in_cookie(self.browser)


def browser_with_csrf(client: TestClient) -> TestClient:
    browser = identity_client(client)
    assert browser.get("/login").status_code == 200
    return browser


def signed_in_browser(client: TestClient, facilitator: Facilitator) -> TestClient:
    browser = browser_with_csrf(client)
    r = browser.post(
        "/login",
        data={
            "email": facilitator.email,
            "password": PASSWORD,
            "csrf_token": csrf_in_cookie(browser),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    # A signed-in session's CSRF token is made by the first page drawn after signing in.
    assert browser.get("/dashboard").status_code == 200
    return browser


def bearer(client: TestClient, facilitator: Facilitator) -> dict[str, str]:
    r = client.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def phone_join(client: TestClient, code: str, name: str, **extra: str) -> TestClient:
    """A phone that joined a café by its code (agreeing to evidence use)."""
    phone = identity_client(client)
    assert (
        phone.get(
            f"/j/{code}", params={"invite": extra.get("invite", "")} if extra else None
        ).status_code
        == 200
    )
    r = phone.post(
        f"/j/{code}",
        data={
            "display_name": name,
            "evidence_consent": "yes",
            "csrf_token": csrf_in_cookie(phone),
            **extra,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return phone


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 8), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Accounts:
    """The identities that do not belong to one world: the two facilitators and the owner's
    API tokens, a phone in another facilitator's café, and nobody at all."""

    owner: Facilitator
    other: Facilitator
    elsewhere_code: str
    identities: dict[str, Identity]


def make_identity(
    client: TestClient, session: Session, settings: Settings, found: Accounts, name: str
) -> Identity:
    """A new person of an account's kind (a new facilitator, a new token of the owner's
    with the same scope), for a call that ends the caller's own sign-in."""
    if name in {"owner", "other_facilitator"}:
        # A facilitator of their own: "sign out everywhere" ends every other sign-in of
        # the account, the matrix's own included.
        facilitator = make_facilitator(session)
        _, key = sessions.start_session(
            session=session,
            facilitator_id=facilitator.id,
            kind=SessionKind.API,
            user_agent="matrix",
            now=utcnow(),
        )
        token = issue_access_token(settings, key)
        return Identity(
            name, signed_in_browser(client, facilitator), {"Authorization": f"Bearer {token}"}
        )
    if name == "anonymous":
        return Identity(name, browser_with_csrf(client))
    if name == "other_participant":
        return Identity(name, phone_join(client, found.elsewhere_code, "Someone else"))
    scope = TokenScope.READ if name == "token_read" else TokenScope.WRITE
    row, clear = accounts.create_api_token(
        session=session, facilitator=found.owner, name=name, scope=scope
    )
    if name == "token_revoked":
        accounts.revoke_api_token(
            session=session, facilitator=found.owner, token_id=row.id, now=utcnow()
        )
    return Identity(name, browser_with_csrf(client), {"Authorization": f"Bearer {clear}"})


def make_accounts(client: TestClient, session: Session) -> Accounts:
    owner = make_facilitator(session)
    other = make_facilitator(session)
    tokens = {}
    for scope in (TokenScope.READ, TokenScope.WRITE):
        _, clear = accounts.create_api_token(
            session=session, facilitator=owner, name=f"matrix {scope}", scope=scope
        )
        tokens[scope] = {"Authorization": f"Bearer {clear}"}
    row, clear = accounts.create_api_token(
        session=session, facilitator=owner, name="revoked", scope=TokenScope.WRITE
    )
    accounts.revoke_api_token(session=session, facilitator=owner, token_id=row.id, now=utcnow())
    revoked = {"Authorization": f"Bearer {clear}"}
    elsewhere = make_cafe(session, other, title="Another café", table_count=2)
    other_headers = bearer(client, other)
    r = client.post(f"/api/v1/cafes/{elsewhere.id}/rounds/next", headers=other_headers)
    assert r.status_code == 200, r.text
    found = {
        "anonymous": Identity("anonymous", browser_with_csrf(client)),
        "owner": Identity("owner", signed_in_browser(client, owner), bearer(client, owner)),
        "other_facilitator": Identity(
            "other_facilitator", signed_in_browser(client, other), other_headers
        ),
        "other_participant": Identity(
            "other_participant", phone_join(client, elsewhere.code, "Someone elsewhere")
        ),
        "token_read": Identity("token_read", browser_with_csrf(client), tokens[TokenScope.READ]),
        "token_write": Identity("token_write", browser_with_csrf(client), tokens[TokenScope.WRITE]),
        "token_revoked": Identity("token_revoked", browser_with_csrf(client), revoked),
    }
    return Accounts(owner=owner, other=other, elsewhere_code=elsewhere.code, identities=found)


@dataclass
class World:
    """The owner's rows, by the name of the path parameter that carries each, and the phones
    (the participant, the member) that joined its café."""

    params: dict[str, Any]
    identities: dict[str, Identity]


def build_world(
    client: TestClient,
    session: Session,
    settings: Settings,
    owner: Facilitator,
    api: dict[str, str],
) -> World:
    network = make_network(session, owner)
    north = make_group_cafe(session, owner, network, "North")
    south = make_group_cafe(session, owner, network, "South")
    cafe = north.cafe
    r = client.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=api)
    assert r.status_code == 200, r.text
    members = client.post(
        f"/api/v1/networks/groups/{north.group.id}/members",
        json={
            "display_name": "Mo North",
            "role": "lived_experience",
            "email": "mo@example.org",
            "consent_given": True,
        },
        headers=api,
    )
    assert members.status_code == 201, members.text
    r = client.post(
        f"/api/v1/networks/groups/{south.group.id}/members",
        json={"display_name": "Sam South", "role": "carer", "consent_given": True},
        headers=api,
    )
    assert r.status_code == 201, r.text
    member = session.get(Member, members.json()["id"])
    assert member is not None
    token = invites.invite_token(secret=settings.secret_key, member=member, cafe=cafe)
    member_phone = phone_join(client, cafe.code, "Mo North", invite=token)
    participant = phone_join(client, cafe.code, "Pat Phone")
    # The member sits at the participant's table: a phone of the card's own table.
    seats = client.get(f"/api/v1/cafes/{cafe.id}/seating", headers=api).json()["seats"]
    at = {seat["display_name"]: seat for seat in seats}
    if at["Mo North"]["table_id"] != at["Pat Phone"]["table_id"]:
        r = client.post(
            f"/api/v1/cafes/{cafe.id}/participants/{at['Mo North']['participant_id']}/move",
            json={"table_id": at["Pat Phone"]["table_id"]},
            headers=api,
        )
        assert r.status_code == 200, r.text
    r = participant.post(
        f"/p/{cafe.code}/contributions",
        data={
            "csrf_token": csrf_in_cookie(participant),
            "client_id": f"matrix-{cafe.id}",
            "text": "The bus never comes",
            "kind": "idea",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    card = session.exec(select(Contribution).where(Contribution.cafe_id == cafe.id)).one()
    r = participant.post(
        f"/p/{cafe.code}/contributions/{card.id}/media",
        data={"csrf_token": csrf_in_cookie(participant)},
        files={"file": ("p.png", photo(), "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    media = session.exec(select(Media).where(Media.contribution_id == card.id)).one()
    r = client.post(
        f"/api/v1/cafes/{cafe.id}/themes",
        json={"name": "Transport", "contribution_ids": [card.id]},
        headers=api,
    )
    assert r.status_code == 201, r.text
    theme_id = r.json()["id"]
    base = f"/api/v1/networks/{network.id}/materials"
    r = client.post(
        base,
        json={"title": "Ours", "markdown": "# Ours\n\n## Findings\n\nWhat we heard.\n"},
        headers=api,
    )
    assert r.status_code == 201, r.text
    material_id = r.json()["id"]
    (section,) = client.get(f"{base}/{material_id}/versions/1/sections", headers=api).json()[
        "items"
    ]
    r = client.post(
        f"{base}/{material_id}/versions/1/sections/{section['id']}/evidence",
        json={"contribution_ids": [card.id]},
        headers=api,
    )
    assert r.status_code == 201, r.text
    (item,) = client.get(
        f"{base}/{material_id}/versions/1/sections/{section['id']}/evidence", headers=api
    ).json()["items"]
    r = client.post(
        f"/api/v1/networks/{network.id}/action-plans", json={"kind": "project"}, headers=api
    )
    assert r.status_code == 201, r.text
    plan_id = r.json()["id"]
    token_row, _ = accounts.create_api_token(
        session=session, facilitator=owner, name="to revoke", scope=TokenScope.READ
    )
    spare, _ = sessions.start_session(
        session=session,
        facilitator_id=owner.id,
        kind=SessionKind.API,
        user_agent="matrix",
        now=utcnow(),
    )
    _, reset = sessions.issue_reset(session=session, email=owner.email, now=utcnow())
    person = participant_id_of(session, cafe.id, "Pat Phone")
    params: dict[str, Any] = {
        "cafe_id": cafe.id,
        "code": cafe.code,
        "participant_id": person,
        "contribution_id": card.id,
        "media_id": media.id,
        "theme_id": theme_id,
        "network_id": network.id,
        "group_id": north.group.id,
        "member_id": member.id,
        "meeting_id": north.meeting.id,
        "plan_id": plan_id,
        "material_id": material_id,
        "number": 1,
        "section_id": section["id"],
        "item_id": item["id"],
        "token_id": token_row.id,
        "session_id": spare.id,
        "reset_token": reset,
        "calendar_token": calendar.calendar_token(secret=settings.secret_key, group=north.group),
    }
    return World(
        params=params,
        identities={
            "participant": Identity("participant", participant),
            "member": Identity("member", member_phone),
        },
    )


def participant_id_of(session: Session, cafe_id: int, name: str) -> int:
    from app.models.cafe import Participant

    person = session.exec(
        select(Participant).where(Participant.cafe_id == cafe_id, Participant.display_name == name)
    ).one()
    return int(person.id)


Rows = dict[str, list[tuple[str, ...]]]


def snapshot(session: Session) -> Rows:
    """Every compared row of every table: what a refused request must leave as it was."""
    rows: Rows = {}
    connection = session.connection()
    for table in SQLModel.metadata.sorted_tables:
        if table.name in NOT_COMPARED:
            continue
        columns = [c for c in table.columns if (table.name, c.name) not in NOT_COMPARED_COLUMNS]
        found = connection.execute(core_select(*columns)).all()
        rows[table.name] = sorted(tuple(map(repr, row)) for row in found)
    session.rollback()
    return rows


def changed_tables(before: Rows, after: Rows) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]
