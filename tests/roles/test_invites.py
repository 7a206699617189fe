"""Invites: made by the owner only, shown once, single use, for one account, revocable, and
they expire; each refusal is a clear 4xx."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.roles import RoleGrant, RoleInvite
from app.services import roles
from tests.factories import make_facilitator
from tests.roles.scene import (
    a_cafe,
    accept,
    api_token,
    bearer,
    browser_of,
    csrf,
    invite_co_facilitator,
    invite_coordinator,
    network_of_two_groups,
)


def test_an_accepted_invite_makes_a_co_facilitator_and_only_its_hash_is_kept(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    helper = make_facilitator(session, "Helper@Example.org")
    r = client.post(
        f"/api/v1/cafes/{cafe.id}/co-facilitators",
        json={"email": " helper@example.ORG "},
        headers=owner,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["role"] == "co_facilitator" and body["email"] == "helper@example.org"
    assert body["link"].startswith("http://testserver/r/")
    token = body["link"].rsplit("/r/", 1)[1]
    assert len(token) >= 40
    stored = session.exec(select(RoleInvite).where(RoleInvite.id == body["id"])).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(stored.model_dump())

    listed = client.get(f"/api/v1/cafes/{cafe.id}/co-facilitators", headers=owner).json()
    assert listed["helpers"] == [] and [i["email"] for i in listed["invites"]] == [
        "helper@example.org"
    ]

    mine = accept(client, bearer(client, helper), token)
    assert mine["role"] == "co_facilitator" and mine["cafe_id"] == cafe.id
    assert mine["title"] == cafe.title
    listed = client.get(f"/api/v1/cafes/{cafe.id}/co-facilitators", headers=owner).json()
    assert [(h["email"], h["role"]) for h in listed["helpers"]] == [
        ("helper@example.org", "co_facilitator")
    ]
    assert listed["invites"] == []
    # The used invite no longer holds the address.
    session.refresh(stored)
    assert stored.email == "" and stored.used_at is not None


def test_a_used_invite_is_refused_the_second_time(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    helper = make_facilitator(session)
    token = invite_co_facilitator(client, owner, cafe.id, helper.email)
    accept(client, bearer(client, helper), token)
    r = client.post("/api/v1/roles/accept", json={"token": token}, headers=bearer(client, helper))
    assert r.status_code == 410
    assert "used already" in r.json()["detail"]


def test_an_expired_invite_is_refused(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    helper = make_facilitator(session)
    token = invite_co_facilitator(client, owner, cafe.id, helper.email)
    invite = session.exec(select(RoleInvite)).one()
    assert invite.expires_at - invite.created_at == timedelta(days=roles.INVITE_DAYS)
    invite.expires_at = invite.created_at - timedelta(seconds=1)
    session.add(invite)
    session.commit()
    r = client.post("/api/v1/roles/accept", json={"token": token}, headers=bearer(client, helper))
    assert r.status_code == 410
    assert "expired" in r.json()["detail"]
    assert session.exec(select(RoleGrant)).all() == []


def test_a_withdrawn_invite_is_refused(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    helper = make_facilitator(session)
    token = invite_co_facilitator(client, owner, cafe.id, helper.email)
    invite_id = client.get(f"/api/v1/cafes/{cafe.id}/co-facilitators", headers=owner).json()[
        "invites"
    ][0]["id"]
    r = client.delete(f"/api/v1/cafes/{cafe.id}/co-facilitators/invites/{invite_id}", headers=owner)
    assert r.status_code == 204
    # Withdrawing it twice: there is no open invite left.
    again = client.delete(
        f"/api/v1/cafes/{cafe.id}/co-facilitators/invites/{invite_id}", headers=owner
    )
    assert again.status_code == 404
    r = client.post("/api/v1/roles/accept", json={"token": token}, headers=bearer(client, helper))
    assert r.status_code == 410
    assert "withdrawn" in r.json()["detail"]


def test_an_invite_for_another_account_is_refused(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    invited, other = make_facilitator(session), make_facilitator(session)
    token = invite_co_facilitator(client, owner, cafe.id, invited.email)
    r = client.post("/api/v1/roles/accept", json={"token": token}, headers=bearer(client, other))
    assert r.status_code == 403
    assert "another account" in r.json()["detail"]
    # Still open for the right person.
    accept(client, bearer(client, invited), token)


def test_an_unknown_token_is_not_found(client: TestClient, facilitator: Facilitator) -> None:
    r = client.post(
        "/api/v1/roles/accept", json={"token": "nope"}, headers=bearer(client, facilitator)
    )
    assert r.status_code == 404
    assert "not known" in r.json()["detail"]
    empty = client.post(
        "/api/v1/roles/accept", json={"token": ""}, headers=bearer(client, facilitator)
    )
    assert empty.status_code == 422


def test_the_owner_cannot_invite_or_accept_for_themselves(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    r = client.post(
        f"/api/v1/cafes/{cafe.id}/co-facilitators", json={"email": facilitator.email}, headers=owner
    )
    assert r.status_code == 422
    assert "your own email" in r.json()["detail"]
    bad = client.post(
        f"/api/v1/cafes/{cafe.id}/co-facilitators", json={"email": "not an email"}, headers=owner
    )
    assert bad.status_code == 422


def test_accepting_needs_a_write_token(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    helper = make_facilitator(session)
    token = invite_co_facilitator(client, owner, cafe.id, helper.email)
    helper_write = bearer(client, helper)
    read = api_token(client, helper_write, "read")
    refused = client.post("/api/v1/roles/accept", json={"token": token}, headers=read)
    assert refused.status_code == 403
    assert client.post("/api/v1/roles/accept", json={"token": token}).status_code == 401
    accept(client, helper_write, token)
    assert [m["cafe_id"] for m in client.get("/api/v1/roles", headers=read).json()] == [cafe.id]


def test_only_the_owner_invites_lists_and_removes(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    helper, stranger = make_facilitator(session), make_facilitator(session)
    helper_h = bearer(client, helper)
    accept(client, helper_h, invite_co_facilitator(client, owner, cafe.id, helper.email))
    grant_id = session.exec(select(RoleGrant)).one().id
    for who in (helper_h, bearer(client, stranger)):
        base = f"/api/v1/cafes/{cafe.id}/co-facilitators"
        assert client.post(base, json={"email": "x@example.org"}, headers=who).status_code == 404
        assert client.get(base, headers=who).status_code == 404
        assert client.delete(f"{base}/{grant_id}", headers=who).status_code == 404
    r = client.delete(f"/api/v1/cafes/{cafe.id}/co-facilitators/{grant_id}", headers=owner)
    assert r.status_code == 204
    assert client.get(f"/api/v1/cafes/{cafe.id}", headers=helper_h).status_code == 404
    gone = client.delete(f"/api/v1/cafes/{cafe.id}/co-facilitators/{grant_id}", headers=owner)
    assert gone.status_code == 404


def test_coordinator_invites_work_the_same_way(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    _, north, south = network_of_two_groups(session, facilitator)
    helper = make_facilitator(session)
    helper_h = bearer(client, helper)
    token = invite_coordinator(client, owner, north.id, helper.email)
    mine = accept(client, helper_h, token)
    assert mine["role"] == "coordinator" and mine["group_id"] == north.id
    listed = client.get(f"/api/v1/networks/groups/{north.id}/coordinators", headers=owner).json()
    assert [h["email"] for h in listed["helpers"]] == [helper.email]
    # The coordinator cannot invite, list or remove others, in their own group or another.
    for group in (north, south):
        base = f"/api/v1/networks/groups/{group.id}/coordinators"
        assert (
            client.post(base, json={"email": "x@example.org"}, headers=helper_h).status_code == 404
        )
        assert client.get(base, headers=helper_h).status_code == 404
    grant_id = listed["helpers"][0]["id"]
    # A role of one group is not removed through another.
    wrong = client.delete(
        f"/api/v1/networks/groups/{south.id}/coordinators/{grant_id}", headers=owner
    )
    assert wrong.status_code == 404
    r = client.delete(f"/api/v1/networks/groups/{north.id}/coordinators/{grant_id}", headers=owner)
    assert r.status_code == 204
    assert client.get(f"/api/v1/networks/groups/{north.id}", headers=helper_h).status_code == 404


def test_the_accept_page_offers_sign_in_then_accepts_and_explains_refusals(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator, title="Tuesday café")
    helper, other = make_facilitator(session), make_facilitator(session)
    token = invite_co_facilitator(client, owner, cafe.id, helper.email)

    anonymous = client.get(f"/r/{token}")
    assert anonymous.status_code == 200
    assert "Tuesday café" in anonymous.text and f"/login?next=/r/{token}" in anonymous.text
    assert "Ask the person who invited you" in anonymous.text

    with browser_of(client, other) as wrong:
        page = wrong.get(f"/r/{token}")
        assert "Accept" in page.text
        r = wrong.post(f"/r/{token}", data={"csrf_token": csrf(wrong, f"/r/{token}")})
        assert r.status_code == 403 and "another account" in r.text

    with browser_of(client, helper) as mine:
        r = mine.post(
            f"/r/{token}", data={"csrf_token": csrf(mine, f"/r/{token}")}, follow_redirects=False
        )
        assert r.status_code == 303 and r.headers["location"] == f"/cafes/{cafe.id}/console"
        again = mine.get(f"/r/{token}")
        assert again.status_code == 410 and "used already" in again.text
        assert "Tuesday café" in mine.get("/dashboard").text

    assert client.get("/r/not-a-token").status_code == 404


def test_the_owner_invites_withdraws_and_removes_from_the_settings_page(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = a_cafe(session, facilitator)
    helper = make_facilitator(session)
    settings = f"/cafes/{cafe.id}/settings"
    assert "People who help run this café" in logged_in.get(settings).text
    r = logged_in.post(
        f"/cafes/{cafe.id}/co-facilitators",
        data={"email": "not-an-address", "csrf_token": csrf(logged_in, settings)},
    )
    assert r.status_code == 422 and "email address" in r.text
    r = logged_in.post(
        f"/cafes/{cafe.id}/co-facilitators",
        data={"email": helper.email, "csrf_token": csrf(logged_in, settings)},
    )
    assert r.status_code == 200
    link = r.text.split('id="invite-link" readonly value="', 1)[1].split('"', 1)[0]
    token = link.rsplit("/r/", 1)[1]
    page = logged_in.get(settings).text
    assert helper.email in page and "Withdraw" in page
    # The link is shown once: the settings page does not carry it.
    assert token not in page

    invite = session.exec(select(RoleInvite)).one()
    logged_in.post(
        f"/cafes/{cafe.id}/co-facilitators/invites/{invite.id}/revoke",
        data={"csrf_token": csrf(logged_in, settings)},
    )
    assert "Withdraw" not in logged_in.get(settings).text
    with browser_of(logged_in, helper) as theirs:
        assert theirs.get(f"/r/{token}").status_code == 410

    token = invite_co_facilitator(logged_in, bearer(logged_in, facilitator), cafe.id, helper.email)
    accept(logged_in, bearer(logged_in, helper), token)
    grant = session.exec(select(RoleGrant)).one()
    assert helper.email in logged_in.get(settings).text
    logged_in.post(
        f"/cafes/{cafe.id}/co-facilitators/{grant.id}/remove",
        data={"csrf_token": csrf(logged_in, settings)},
    )
    assert session.exec(select(RoleGrant)).all() == []


def test_every_change_of_roles_is_in_the_owners_audit_log(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    """Invited, accepted, invite withdrawn, removed: each in the owner's audit log, with who
    did it and the role, and nothing in the helper's own log."""
    owner = bearer(client, facilitator)
    cafe = a_cafe(session, facilitator)
    helper = make_facilitator(session)
    helper_h = bearer(client, helper)
    accept(client, helper_h, invite_co_facilitator(client, owner, cafe.id, helper.email))
    invite_co_facilitator(client, owner, cafe.id, "someone@example.org")
    pending = client.get(f"/api/v1/cafes/{cafe.id}/co-facilitators", headers=owner).json()
    base = f"/api/v1/cafes/{cafe.id}/co-facilitators"
    withdrawn = client.delete(f"{base}/invites/{pending['invites'][0]['id']}", headers=owner)
    assert withdrawn.status_code in (200, 204), withdrawn.text
    grant_id = session.exec(select(RoleGrant)).one().id
    assert client.delete(f"{base}/{grant_id}", headers=owner).status_code == 204
    log = client.get("/api/v1/audit", headers=owner).json()["items"]
    changes = [
        (e["action"], e["actor"], e["detail"]) for e in log if e["action"].startswith("role_")
    ]
    assert changes == [
        ("role_invited", facilitator.email, "co-facilitator"),
        ("role_accepted", helper.email, "co-facilitator"),
        ("role_invited", facilitator.email, "co-facilitator"),
        ("role_removed", facilitator.email, "co-facilitator (invite withdrawn)"),
        ("role_removed", facilitator.email, "co-facilitator"),
    ]
    assert client.get("/api/v1/audit", headers=helper_h).json()["items"] == []
