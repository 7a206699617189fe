"""What a coordinator may and may not do: their group's members, meetings and attendance,
and nothing else of the network."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.network import LocalGroup, Meeting, Member, Network
from app.models.roles import RoleGrant
from tests.factories import make_facilitator
from tests.roles.scene import (
    Headers,
    accept,
    api_token,
    bearer,
    browser_of,
    csrf,
    invite_coordinator,
    network_of_two_groups,
)

NOT_YOURS = 404


def _coordinated(
    client: TestClient, session: Session, owner: Facilitator
) -> tuple[Network, LocalGroup, LocalGroup, Facilitator, Headers]:
    network, north, south = network_of_two_groups(session, owner)
    helper = make_facilitator(session)
    helper_h = bearer(client, helper)
    accept(
        client, helper_h, invite_coordinator(client, bearer(client, owner), north.id, helper.email)
    )
    return network, north, south, helper, helper_h


def _first(session: Session, model: type[Member] | type[Meeting], group: LocalGroup) -> int:
    row = session.exec(select(model).where(model.group_id == group.id)).first()
    assert isinstance(row, Member | Meeting)
    return int(row.id)


def test_a_coordinator_manages_their_groups_members_and_meetings(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    _, north, _, _, helper = _coordinated(client, session, facilitator)
    base = f"/api/v1/networks/groups/{north.id}"
    assert client.get(base, headers=helper).json()["name"] == "North"
    members = client.get(f"{base}/members", headers=helper).json()["items"]
    # Contact details included.
    assert [(m["email"], m["phone"]) for m in members] == [("north@example.org", "01234 567890")]
    r = client.post(
        f"{base}/members",
        json={"display_name": "Dee", "role": "carer", "email": "dee@example.org"},
        headers=helper,
    )
    assert r.status_code == 201, r.text
    member_id = r.json()["id"]
    r = client.patch(
        f"/api/v1/networks/members/{member_id}", json={"phone": "07000 111222"}, headers=helper
    )
    assert r.status_code == 200 and r.json()["phone"] == "07000 111222"
    assert (
        client.post(
            f"/api/v1/networks/members/{member_id}/revoke-invites", headers=helper
        ).status_code
        == 200
    )

    starts = utcnow() + timedelta(days=30)
    r = client.post(
        f"{base}/meetings",
        json={
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
        },
        headers=helper,
    )
    assert r.status_code == 201, r.text
    meeting_id = r.json()["id"]
    r = client.patch(
        f"/api/v1/networks/meetings/{meeting_id}", json={"location": "Library"}, headers=helper
    )
    assert r.status_code == 200 and r.json()["location"] == "Library"
    r = client.put(
        f"/api/v1/networks/meetings/{meeting_id}/attendance",
        json={"marks": [{"member_id": member_id, "attended": True}]},
        headers=helper,
    )
    assert r.status_code == 200, r.text
    assert (
        client.get(f"/api/v1/networks/meetings/{meeting_id}/attendance", headers=helper).status_code
        == 200
    )
    assert client.get(f"{base}/attendance.csv", headers=helper).status_code == 200
    assert client.get(f"{base}/meetings", headers=helper).status_code == 200
    r = client.post(
        f"{base}/meetings/schedule",
        json={"start": (starts + timedelta(days=60)).isoformat(), "count": 2},
        headers=helper,
    )
    # Admitted: refused only because the group has meetings already (as the lead would be).
    assert r.status_code == 409 and "already has meetings" in r.json()["detail"]


def test_a_meeting_a_coordinator_runs_as_a_cafe_is_the_leads_with_them_co_facilitating(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    _, north, _, helper_account, helper = _coordinated(client, session, facilitator)
    meeting_id = _first(session, Meeting, north)
    r = client.post(f"/api/v1/networks/meetings/{meeting_id}/cafe", headers=helper)
    assert r.status_code == 201, r.text
    cafe_id = r.json()["id"]
    owner = bearer(client, facilitator)
    # The lead owns it (it is in their list); the coordinator runs it but cannot erase it.
    assert cafe_id in [c["id"] for c in client.get("/api/v1/cafes", headers=owner).json()]
    assert client.post(f"/api/v1/cafes/{cafe_id}/rounds/next", headers=helper).status_code == 200
    assert client.delete(f"/api/v1/cafes/{cafe_id}", headers=helper).status_code == NOT_YOURS
    helpers = client.get(f"/api/v1/cafes/{cafe_id}/co-facilitators", headers=owner).json()[
        "helpers"
    ]
    assert [h["facilitator_id"] for h in helpers] == [helper_account.id]
    assert (
        client.get(f"/api/v1/networks/meetings/{meeting_id}/invites", headers=helper).status_code
        == 200
    )


def test_a_coordinator_reaches_nothing_else_of_the_network(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    network, north, south, _, helper = _coordinated(client, session, facilitator)
    member, meeting = _first(session, Member, north), _first(session, Meeting, north)
    other_member, other_meeting = _first(session, Member, south), _first(session, Meeting, south)
    refused = [
        ("GET", f"/api/v1/networks/{network.id}", None),
        ("PATCH", f"/api/v1/networks/{network.id}", {"title": "Mine"}),
        ("DELETE", f"/api/v1/networks/{network.id}", None),
        ("GET", f"/api/v1/networks/{network.id}/groups", None),
        ("GET", f"/api/v1/networks/{network.id}/attendance.csv", None),
        ("GET", f"/api/v1/networks/{network.id}/keep-for", None),
        ("POST", f"/api/v1/networks/{network.id}/erase", None),
        ("GET", f"/api/v1/networks/{network.id}/materials", None),
        ("PATCH", f"/api/v1/networks/groups/{north.id}", {"name": "Renamed"}),
        ("DELETE", f"/api/v1/networks/groups/{north.id}", None),
        ("POST", f"/api/v1/networks/groups/{north.id}/coordinators", {"email": "x@example.org"}),
        ("DELETE", f"/api/v1/networks/members/{member}", None),
        ("POST", f"/api/v1/networks/members/{member}/erase", None),
        ("GET", f"/api/v1/networks/members/{member}/data", None),
        ("DELETE", f"/api/v1/networks/meetings/{meeting}", None),
        # The other group, its members and meetings.
        ("GET", f"/api/v1/networks/groups/{south.id}", None),
        ("GET", f"/api/v1/networks/groups/{south.id}/members", None),
        ("GET", f"/api/v1/networks/members/{other_member}", None),
        ("PATCH", f"/api/v1/networks/members/{other_member}", {"phone": "07000 111222"}),
        ("GET", f"/api/v1/networks/meetings/{other_meeting}", None),
        (
            "PUT",
            f"/api/v1/networks/meetings/{other_meeting}/attendance",
            {"marks": [{"member_id": other_member, "attended": True}]},
        ),
    ]
    for method, path, body in refused:
        r = client.request(method, path, headers=helper, json=body)
        assert r.status_code == NOT_YOURS, (method, path, r.text)
    assert client.get("/api/v1/networks", headers=helper).json()["items"] == []
    # Nothing was changed or erased.
    owner = bearer(client, facilitator)
    assert (
        client.get(f"/api/v1/networks/groups/{north.id}", headers=owner).json()["name"] == "North"
    )
    assert client.get(f"/api/v1/networks/members/{member}", headers=owner).status_code == 200


def test_a_read_token_of_a_coordinator_reads_only(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    _, north, _, _, helper = _coordinated(client, session, facilitator)
    read = api_token(client, helper, "read")
    member = _first(session, Member, north)
    assert client.get(f"/api/v1/networks/members/{member}", headers=read).status_code == 200
    r = client.patch(
        f"/api/v1/networks/members/{member}", json={"phone": "07000 111222"}, headers=read
    )
    assert r.status_code == 403


def test_a_coordinator_sees_their_group_page_without_the_leads_parts(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    network, north, south, helper, _ = _coordinated(client, session, facilitator)
    member, meeting = _first(session, Member, north), _first(session, Meeting, north)
    with browser_of(client, helper) as theirs:
        dashboard = theirs.get("/dashboard").text
        assert "Local groups you coordinate" in dashboard
        assert (
            f"/networks/groups/{north.id}" in dashboard
            and f"/networks/groups/{south.id}" not in dashboard
        )
        page = theirs.get(f"/networks/groups/{north.id}")
        assert page.status_code == 200
        assert "north@example.org" in page.text and "01234 567890" in page.text
        for absent in (
            f'href="/networks/{network.id}"',
            f"/networks/groups/{north.id}/delete",
            f"/networks/groups/{north.id}/plan",
            "People who coordinate this group",
        ):
            assert absent not in page.text, absent
        member_page = theirs.get(f"/networks/members/{member}").text
        assert f"/networks/members/{member}/delete" not in member_page
        assert f"/networks/members/{member}/data" not in member_page
        meeting_page = theirs.get(f"/networks/meetings/{meeting}").text
        assert f"/networks/meetings/{meeting}/delete" not in meeting_page

        token = csrf(theirs, f"/networks/groups/{north.id}")
        r = theirs.post(
            f"/networks/groups/{north.id}/members",
            data={"display_name": "Eve", "role": "carer", "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        for path in (
            f"/networks/{network.id}",
            f"/networks/groups/{south.id}",
            f"/networks/members/{_first(session, Member, south)}",
            f"/networks/meetings/{_first(session, Meeting, south)}",
            f"/networks/members/{member}/data",
            f"/networks/{network.id}/privacy",
        ):
            assert theirs.get(path).status_code == NOT_YOURS, path
        for path in (
            f"/networks/groups/{north.id}/delete",
            f"/networks/groups/{north.id}",
            f"/networks/members/{member}/delete",
            f"/networks/meetings/{meeting}/delete",
            f"/networks/groups/{north.id}/coordinators",
        ):
            r = theirs.post(path, data={"csrf_token": token, "confirm": "true", "name": "X"})
            assert r.status_code == NOT_YOURS, path
    names = [
        m.display_name for m in session.exec(select(Member).where(Member.group_id == north.id))
    ]
    assert sorted(names) == ["Eve", "North member"]
    session.expire_all()
    assert session.get(LocalGroup, north.id) is not None


def test_the_lead_invites_and_removes_coordinators_on_the_group_page(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    _, north, _ = network_of_two_groups(session, facilitator)
    helper = make_facilitator(session)
    page = f"/networks/groups/{north.id}"
    assert "People who coordinate this group" in logged_in.get(page).text
    r = logged_in.post(
        f"{page}/coordinators", data={"email": helper.email, "csrf_token": csrf(logged_in, page)}
    )
    assert r.status_code == 200 and "/r/" in r.text
    token = (
        r.text.split('id="invite-link" readonly value="', 1)[1].split('"', 1)[0].rsplit("/r/", 1)[1]
    )
    accept(logged_in, bearer(logged_in, helper), token)
    assert helper.email in logged_in.get(page).text
    grant = session.exec(select(RoleGrant)).one()
    logged_in.post(
        f"{page}/coordinators/{grant.id}/remove", data={"csrf_token": csrf(logged_in, page)}
    )
    assert session.exec(select(RoleGrant)).all() == []
