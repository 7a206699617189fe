"""What we heard for members, "you said, we did", and any café feeding the network (issue 25
items 3, 4 and 8): a member who came to a meeting reads what its café heard on their own
page on any device once it closes; the lead (or the group's coordinator) writes updates that
members of that group (or of the whole network) read there and the group's next café opens
with on the projector; the lead attaches a café made at `/cafes/new` to a meeting, merges
from it, and detaches it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Participant
from app.models.evidence import Contribution
from app.models.material import WITHDRAWN_TEXT
from app.models.roles import Role, RoleGrant
from app.models.you_said import YouSaid, YouSaidLink
from tests.conftest import csrf_of
from tests.factories import PASSWORD, make_facilitator
from tests.house.authz_world import csrf_in_cookie, identity_client

SAID = "The bus times made it hard to come to the meeting on time"
SOUTH_SAID = "Southern secret: the hall was far too cold for everyone"
TAXIS = "We now pay for taxis to every meeting."


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **kw: Any) -> Any:
    r = client.request(method, url, headers=headers, **kw)
    assert r.status_code < 300, (url, r.status_code, r.text)
    return r.json() if r.content else None


@dataclass
class World:
    network_id: int
    north: int
    south: int
    meeting: int  # North's, running as a café
    south_meeting: int
    cafe_id: int
    code: str
    alex: int  # North
    bo: int  # North, did not come
    cyd: int  # South


def _meeting(client: TestClient, h: dict[str, str], group: int, title: str) -> int:
    starts = utcnow() - timedelta(minutes=10)
    body = {
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }
    return int(
        _api(client, h, "POST", f"/api/v1/networks/groups/{group}/meetings", json=body)["id"]
    )


def _world(client: TestClient, h: dict[str, str]) -> World:
    network = _api(client, h, "POST", "/api/v1/networks", json={"title": "Choice"})["id"]
    north = _api(client, h, "POST", f"/api/v1/networks/{network}/groups", json={"name": "North"})
    south = _api(client, h, "POST", f"/api/v1/networks/{network}/groups", json={"name": "South"})

    def member(group: int, name: str) -> int:
        body = {"display_name": name, "role": "lived_experience", "consent_given": True}
        made = _api(client, h, "POST", f"/api/v1/networks/groups/{group}/members", json=body)
        return int(made["id"])

    alex, bo = member(north["id"], "Alexandra Quill"), member(north["id"], "Bo Marchetti")
    cyd = member(south["id"], "Cyd Farrow")
    meeting = _meeting(client, h, north["id"], "Summer meeting")
    south_meeting = _meeting(client, h, south["id"], "Southern meeting")
    cafe = _api(client, h, "POST", f"/api/v1/networks/meetings/{meeting}/cafe", json={})
    _api(client, h, "POST", f"/api/v1/cafes/{cafe['id']}/rounds/next")
    return World(
        network,
        north["id"],
        south["id"],
        meeting,
        south_meeting,
        cafe["id"],
        cafe["code"],
        alex,
        bo,
        cyd,
    )


def _phone(client: TestClient, h: dict[str, str], member_id: int) -> TestClient:
    """The member's own phone, signed in on their page by their personal link."""
    url = _api(client, h, "POST", f"/api/v1/networks/members/{member_id}/link")["url"]
    phone = identity_client(client)
    r = phone.get(urlsplit(url).path, follow_redirects=False)
    assert r.status_code == 303
    return phone


def _join_from_page(phone: TestClient, code: str, name: str) -> None:
    """Join the café from the member's page ("On now") and post a card."""
    html = phone.get("/me").text
    link = re.search(r'href="([^"]*/j/' + code + r'[^"]*)"', html)
    assert link, html
    target = urlsplit(link.group(1).replace("&amp;", "&"))
    invite = parse_qs(target.query)["invite"][0]
    assert phone.get(f"{target.path}?{target.query}").status_code == 200
    r = phone.post(
        target.path,
        data={
            "display_name": name,
            "evidence_consent": "yes",
            "invite": invite,
            "csrf_token": csrf_in_cookie(phone),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _post(phone: TestClient, code: str, text: str) -> None:
    r = phone.post(
        f"/p/{code}/contributions",
        data={
            "csrf_token": csrf_in_cookie(phone),
            "client_id": f"t-{abs(hash(text))}",
            "text": text,
            "kind": "barrier",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


@pytest.fixture
def world(client: TestClient, api_headers: dict[str, str]) -> World:
    return _world(client, api_headers)


def _update(
    client: TestClient, h: dict[str, str], w: World, said: str, group: int | None, **kw: Any
) -> dict[str, Any]:
    body = {"you_said": said, "we_did": TAXIS, "group_id": group, **kw}
    made: dict[str, Any] = _api(
        client, h, "POST", f"/api/v1/networks/{w.network_id}/updates", json=body
    )
    return made


def test_a_member_who_came_reads_what_we_heard_and_their_groups_updates(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    alex = _phone(client, h, w.alex)
    _join_from_page(alex, w.code, "Alex")
    _post(alex, w.code, SAID)
    bo, cyd = _phone(client, h, w.bo), _phone(client, h, w.cyd)
    # Nothing before the close.
    assert "What we heard" not in alex.get("/me").text
    _update(client, h, w, "You said the rooms were hard to find", w.north)
    _update(client, h, w, "You said you wanted the notes sooner", None)
    _update(client, h, w, SOUTH_SAID, w.south)
    _api(client, h, "POST", f"/api/v1/cafes/{w.cafe_id}/close")
    page = alex.get("/me")
    assert page.status_code == 200
    html = page.text
    assert "What we heard" in html and SAID in html and "Summer meeting" in html
    assert "Alex" not in html.split('id="heard-heading"')[1].split("</section>")[0]
    assert "You said, we did" in html
    assert "You said the rooms were hard to find" in html
    assert "You said you wanted the notes sooner" in html
    assert SOUTH_SAID not in html
    # Bo did not come: no "what we heard"; the group's updates, yes.
    bo_html = bo.get("/me").text
    assert SAID not in bo_html and "What we heard" not in bo_html
    assert "You said the rooms were hard to find" in bo_html
    # Cyd is in the other group: nothing of North's.
    cyd_html = cyd.get("/me").text
    assert SAID not in cyd_html and "rooms were hard to find" not in cyd_html
    assert SOUTH_SAID in cyd_html and "You said you wanted the notes sooner" in cyd_html
    # The lead marks Alex as not having come after all: the sheet wins over the café.
    _api(
        client,
        h,
        "PUT",
        f"/api/v1/networks/meetings/{w.meeting}/attendance",
        json={"marks": [{"member_id": w.alex, "attended": False}]},
    )
    assert SAID not in alex.get("/me").text


def test_hidden_cards_stay_hidden_on_the_members_page(
    client: TestClient, api_headers: dict[str, str], world: World, session: Session
) -> None:
    h, w = api_headers, world
    alex = _phone(client, h, w.alex)
    _join_from_page(alex, w.code, "Alex")
    _post(alex, w.code, SAID)
    _post(alex, w.code, "Something I would rather not see kept anywhere")
    card = session.exec(select(Contribution).where(Contribution.text.startswith("Something"))).one()
    r = client.post(f"/api/v1/cafes/{w.cafe_id}/contributions/{card.id}/hide", headers=h)
    assert r.status_code == 200, r.text
    _api(client, h, "POST", f"/api/v1/cafes/{w.cafe_id}/close")
    html = alex.get("/me").text
    assert SAID in html and "rather not see" not in html


def test_updates_api_filters_pages_changes_and_deletes(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    h, w = api_headers, world
    made = [_update(client, h, w, f"You said thing number {n}", w.north) for n in range(3)]
    _update(client, h, w, "You said something for everyone", None)
    # The deprecated id cursor (`after=0`: from the start); the change-number cursor is
    # tested in test_network_api_cursors.
    first = _api(client, h, "GET", f"/api/v1/networks/{w.network_id}/updates?limit=2&after=0")
    assert [u["id"] for u in first["items"]] == [made[0]["id"], made[1]["id"]]
    rest = _api(
        client,
        h,
        "GET",
        f"/api/v1/networks/{w.network_id}/updates?limit=2&after={first['next_cursor']}",
    )
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    north = _api(client, h, "GET", f"/api/v1/networks/{w.network_id}/updates?group_id={w.north}")
    assert len(north["items"]) == 3
    changed = _api(
        client,
        h,
        "PATCH",
        f"/api/v1/networks/updates/{made[0]['id']}",
        json={"we_did": "We moved the meeting to 11 o'clock.", "group_id": None},
    )
    assert changed["group_id"] is None and changed["you_said"] == "You said thing number 0"
    assert changed["we_did"] == "We moved the meeting to 11 o'clock."
    r = client.delete(f"/api/v1/networks/updates/{made[1]['id']}", headers=h)
    assert r.status_code == 204
    r = client.delete(f"/api/v1/networks/updates/{made[1]['id']}", headers=h)
    assert r.status_code == 404


def test_updates_refuse_what_is_not_the_groups(
    client: TestClient, api_headers: dict[str, str], world: World, session: Session
) -> None:
    h, w = api_headers, world
    alex = _phone(client, h, w.alex)
    _join_from_page(alex, w.code, "Alex")
    _post(alex, w.code, SAID)
    card = session.exec(select(Contribution).where(Contribution.text == SAID)).one()
    theme = _api(
        client,
        h,
        "POST",
        f"/api/v1/cafes/{w.cafe_id}/themes",
        json={"name": "Transport", "contribution_ids": [card.id]},
    )
    url = f"/api/v1/networks/{w.network_id}/updates"
    base = {"you_said": "You said so", "we_did": "We did so"}
    ok = client.post(url, json={**base, "group_id": w.north, "theme_ids": [theme["id"]]}, headers=h)
    assert ok.status_code == 201, ok.text
    assert ok.json()["theme_ids"] == [theme["id"]]
    # North's theme cannot answer South.
    r = client.post(url, json={**base, "group_id": w.south, "theme_ids": [theme["id"]]}, headers=h)
    assert r.status_code == 422 and "theme" in r.json()["detail"].lower()
    # Another network's group, an unknown evidence item, empty words, too long words.
    other = _api(client, h, "POST", "/api/v1/networks", json={"title": "Other"})
    other_group = _api(
        client, h, "POST", f"/api/v1/networks/{other['id']}/groups", json={"name": "Far"}
    )
    for body in (
        {**base, "group_id": other_group["id"]},
        {**base, "evidence_item_ids": [999999]},
        {"you_said": "", "we_did": "x"},
        {"you_said": "   ", "we_did": "x"},
        {"you_said": "x" * 1001, "we_did": "x"},
        {"you_said": "x", "we_did": "x", "theme_ids": ["a"]},
    ):
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert "detail" in r.json()
    # Not the lead: another facilitator reads and writes nothing of it.
    stranger = make_facilitator(session, "stranger@example.org")
    token = client.post(
        "/api/v1/auth/token", data={"username": stranger.email, "password": PASSWORD}
    ).json()["access_token"]
    them = {"Authorization": f"Bearer {token}"}
    assert client.get(url, headers=them).status_code == 404
    assert client.post(url, json=base, headers=them).status_code == 404
    patch = client.patch(f"/api/v1/networks/updates/{ok.json()['id']}", json=base, headers=them)
    assert patch.status_code == 404


def test_quotes_in_updates_are_replaced_when_the_words_are_erased(
    client: TestClient, api_headers: dict[str, str], world: World, session: Session
) -> None:
    h, w = api_headers, world
    alex = _phone(client, h, w.alex)
    _join_from_page(alex, w.code, "Alex")
    _post(alex, w.code, SAID)
    made = _update(client, h, w, f"You said: “{SAID}”.", w.north)
    person = session.exec(
        select(Participant).where(
            Participant.cafe_id == w.cafe_id, Participant.display_name == "Alex"
        )
    ).one()
    r = client.post(f"/api/v1/cafes/{w.cafe_id}/participants/{person.id}/erase", headers=h)
    assert r.status_code < 300, r.text
    session.expire_all()
    update = session.get(YouSaid, made["id"])
    assert update is not None and SAID not in update.you_said
    assert update.you_said.startswith("You said: “") and update.we_did == TAXIS


def test_withdrawing_consent_replaces_quotes_in_updates(
    client: TestClient, api_headers: dict[str, str], world: World, session: Session
) -> None:
    h, w = api_headers, world
    alex = _phone(client, h, w.alex)
    _join_from_page(alex, w.code, "Alex")
    _post(alex, w.code, SAID)
    made = _update(client, h, w, f"You said “{SAID}”", None)
    _api(client, h, "PATCH", f"/api/v1/networks/members/{w.alex}", json={"consent_given": False})
    session.expire_all()
    update = session.get(YouSaid, made["id"])
    assert update is not None and update.you_said == f"You said “{WITHDRAWN_TEXT}”"


def test_erasing_the_network_erases_its_updates(
    client: TestClient, api_headers: dict[str, str], world: World, session: Session
) -> None:
    h, w = api_headers, world
    _update(client, h, w, "You said one thing", w.north)
    _update(client, h, w, "You said another", None)
    assert client.delete(f"/api/v1/networks/{w.network_id}", headers=h).status_code == 204
    session.expire_all()
    assert session.exec(select(YouSaid).where(YouSaid.network_id == w.network_id)).all() == []
    assert session.exec(select(YouSaidLink)).all() == []


def test_the_projector_opens_with_the_groups_updates_before_round_one(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, world: World
) -> None:
    h, w = api_headers, world
    _update(client, h, w, "You said the rooms were hard to find", w.north)
    _update(client, h, w, SOUTH_SAID, w.south)
    cafe = _api(client, h, "POST", f"/api/v1/networks/meetings/{w.south_meeting}/cafe", json={})
    html = logged_in.get(f"/cafes/{cafe['id']}/projector").text
    assert "You said, we did" in html and SOUTH_SAID in html
    assert "rooms were hard to find" not in html
    # North's café already runs round 1: the board says so and the updates are not shown.
    html = logged_in.get(f"/cafes/{w.cafe_id}/projector").text
    assert "data-started" in html and "projector-you-said" not in html
    # A café of no meeting has none.
    plain = _api(
        client,
        h,
        "POST",
        "/api/v1/cafes",
        json={"title": "Plain", "table_count": 2, "rounds": [{"question": "Q?", "minutes": 5}]},
    )
    assert "projector-you-said" not in logged_in.get(f"/cafes/{plain['id']}/projector").text


def test_the_lead_writes_changes_and_deletes_updates_on_pages(
    logged_in: TestClient, world: World, session: Session
) -> None:
    w = world
    url = f"/networks/{w.network_id}/updates"
    page = logged_in.get(url)
    assert page.status_code == 200 and "Write an update" in page.text
    token = csrf_of(logged_in, url)
    refused = logged_in.post(
        url, data={"csrf_token": token, "you_said": "Kept words", "we_did": " ", "group": "network"}
    )
    assert refused.status_code == 422
    assert "Kept words" in refused.text and 'role="alert"' in refused.text
    r = logged_in.post(
        url,
        data={"csrf_token": token, "you_said": SAID, "we_did": TAXIS, "group": str(w.north)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    made = session.exec(select(YouSaid).where(YouSaid.network_id == w.network_id)).one()
    assert made.group_id == w.north
    group_page = logged_in.get(f"/networks/groups/{w.north}/updates")
    assert SAID in group_page.text
    assert SAID not in logged_in.get(f"/networks/groups/{w.south}/updates").text
    edit = f"/networks/updates/{made.id}"
    assert logged_in.get(edit).status_code == 200
    r = logged_in.post(
        edit,
        data={"csrf_token": token, "you_said": SAID, "we_did": "We changed it", "group": "network"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    session.expire_all()
    changed = session.get(YouSaid, made.id)
    assert changed is not None and changed.group_id is None and changed.we_did == "We changed it"
    unticked = logged_in.post(f"{edit}/delete", data={"csrf_token": token})
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    r = logged_in.post(
        f"{edit}/delete", data={"csrf_token": token, "confirm": "true"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert logged_in.get(edit).status_code == 404


# --- any café can feed the network -----------------------------------------------------------


def test_the_lead_attaches_an_existing_cafe_merges_from_it_and_detaches_it(
    client: TestClient,
    api_headers: dict[str, str],
    logged_in: TestClient,
    world: World,
    session: Session,
    facilitator: Facilitator,
) -> None:
    h, w = api_headers, world
    made = _api(
        client,
        h,
        "POST",
        "/api/v1/cafes",
        json={
            "title": "Local café",
            "table_count": 2,
            "rounds": [{"question": "What helps?", "minutes": 5}],
        },
    )
    _api(client, h, "POST", f"/api/v1/cafes/{made['id']}/rounds/next")
    phone = identity_client(client)
    assert phone.get(f"/j/{made['code']}").status_code == 200
    r = phone.post(
        f"/j/{made['code']}",
        data={
            "display_name": "Pat",
            "evidence_consent": "yes",
            "csrf_token": csrf_in_cookie(phone),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    _post(phone, made["code"], "A lift to the meeting room would let me come")
    url = f"/api/v1/networks/meetings/{w.south_meeting}/cafe"
    # Mixing the two asks is refused; another facilitator's café is not found.
    r = client.post(url, json={"cafe_id": made["id"], "questions": ["Q?"]}, headers=h)
    assert r.status_code == 422
    stranger = make_facilitator(session, "other@example.org")
    theirs = _api(
        client,
        {
            "Authorization": "Bearer "
            + client.post(
                "/api/v1/auth/token", data={"username": stranger.email, "password": PASSWORD}
            ).json()["access_token"]
        },
        "POST",
        "/api/v1/cafes",
        json={"title": "Theirs", "table_count": 2, "rounds": [{"question": "Q?", "minutes": 5}]},
    )
    r = client.post(url, json={"cafe_id": theirs["id"]}, headers=h)
    assert r.status_code == 404 and "detail" in r.json()
    # North's meeting already runs as a café; North's café is already attached.
    r = client.post(
        f"/api/v1/networks/meetings/{w.meeting}/cafe", json={"cafe_id": made["id"]}, headers=h
    )
    assert r.status_code == 409
    r = client.post(url, json={"cafe_id": w.cafe_id}, headers=h)
    assert r.status_code == 409 and "another meeting" in r.json()["detail"]
    # Attached.
    r = client.post(url, json={"cafe_id": made["id"]}, headers=h)
    assert r.status_code == 201 and r.json()["id"] == made["id"]
    meeting = _api(client, h, "GET", f"/api/v1/networks/meetings/{w.south_meeting}")
    assert meeting["cafe_id"] == made["id"]
    # Its evidence can now be merged into a material.
    material = _api(
        client,
        h,
        "POST",
        f"/api/v1/networks/{w.network_id}/materials",
        json={"title": "Ours", "markdown": "# Ours\n\n## Findings\n\nText.\n"},
    )
    merge_pages = list(
        re.findall(
            r'href="([^"]+/merge)"',
            logged_in.get(f"/networks/{w.network_id}/materials/{material['id']}").text,
        )
    )
    assert merge_pages, "the draft offers to add evidence"
    merge = logged_in.get(merge_pages[0]).text
    assert "None of this network's meetings has run as a café yet" not in merge
    assert "A lift to the meeting room would let me come" in merge
    # Detached: the meeting runs as no café; detaching again is a 409.
    assert client.delete(url, headers=h).status_code == 204
    assert _api(client, h, "GET", f"/api/v1/networks/meetings/{w.south_meeting}")["cafe_id"] is None
    assert client.delete(url, headers=h).status_code == 409


def test_attach_and_detach_on_the_meeting_page(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, world: World
) -> None:
    h, w = api_headers, world
    made = _api(
        client,
        h,
        "POST",
        "/api/v1/cafes",
        json={
            "title": "Made at cafes new",
            "table_count": 2,
            "rounds": [{"question": "Q?", "minutes": 5}],
        },
    )
    page = f"/networks/meetings/{w.south_meeting}"
    html = logged_in.get(page).text
    assert "Made at cafes new" in html and "Attach this café" in html
    token = csrf_of(logged_in, page)
    bad = logged_in.post(f"{page}/attach", data={"csrf_token": token, "cafe_id": "abc"})
    assert bad.status_code == 422 and "Choose one of your cafés" in bad.text
    taken = logged_in.post(f"{page}/attach", data={"csrf_token": token, "cafe_id": str(w.cafe_id)})
    assert taken.status_code == 409 and "another meeting" in taken.text
    r = logged_in.post(
        f"{page}/attach",
        data={"csrf_token": token, "cafe_id": str(made["id"])},
        follow_redirects=False,
    )
    assert r.status_code == 303
    html = logged_in.get(page).text
    assert "runs as the café" in html and "Made at cafes new" in html and "Detach the café" in html
    unticked = logged_in.post(f"{page}/detach", data={"csrf_token": token})
    assert unticked.status_code == 422 and "Tick the box" in unticked.text
    r = logged_in.post(
        f"{page}/detach", data={"csrf_token": token, "confirm": "true"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "Attach this café" in logged_in.get(page).text


def test_a_coordinator_writes_and_changes_their_own_groups_updates_only(
    client: TestClient, api_headers: dict[str, str], world: World, session: Session
) -> None:
    h, w = api_headers, world
    helper = make_facilitator(session, "coordinator@example.org")
    session.add(RoleGrant(role=Role.COORDINATOR, facilitator_id=helper.id, group_id=w.north))
    session.commit()
    token = client.post(
        "/api/v1/auth/token", data={"username": helper.email, "password": PASSWORD}
    ).json()["access_token"]
    theirs = {"Authorization": f"Bearer {token}"}
    alex = _phone(client, h, w.alex)
    _join_from_page(alex, w.code, "Alex")
    _post(alex, w.code, SAID)
    card = session.exec(select(Contribution).where(Contribution.text == SAID)).one()
    theme = _api(
        client,
        h,
        "POST",
        f"/api/v1/cafes/{w.cafe_id}/themes",
        json={"name": "Transport", "contribution_ids": [card.id]},
    )
    lead_north = _update(
        client, h, w, "You said the rooms were hard to find", w.north, theme_ids=[theme["id"]]
    )
    everyone = _update(client, h, w, "You said you wanted the notes sooner", None)
    south = _update(client, h, w, SOUTH_SAID, w.south)
    # Their group's update: changed; moving it to the whole network is refused.
    url = f"/api/v1/networks/updates/{lead_north['id']}"
    r = client.patch(url, json={"we_did": "We put up signs."}, headers=theirs)
    assert r.status_code == 200 and r.json()["we_did"] == "We put up signs."
    # They do not help run North's café: they cannot link its theme, nor drop the lead's link.
    r = client.patch(url, json={"theme_ids": [theme["id"]]}, headers=theirs)
    assert r.status_code == 422
    r = client.patch(url, json={"theme_ids": []}, headers=theirs)
    assert r.status_code == 200 and r.json()["theme_ids"] == [theme["id"]]
    r = client.patch(url, json={"evidence_item_ids": [1]}, headers=theirs)
    assert r.status_code == 422 and "lead" in r.json()["detail"]
    r = client.patch(url, json={"group_id": None}, headers=theirs)
    assert r.status_code == 422 and "own group" in r.json()["detail"]
    # The network-wide one and the other group's are not theirs.
    for other in (everyone, south):
        assert (
            client.patch(
                f"/api/v1/networks/updates/{other['id']}", json={"we_did": "x"}, headers=theirs
            ).status_code
            == 404
        )
        assert (
            client.delete(f"/api/v1/networks/updates/{other['id']}", headers=theirs).status_code
            == 404
        )
    # The network's list is the lead's.
    assert client.get(f"/api/v1/networks/{w.network_id}/updates", headers=theirs).status_code == 404
    assert client.delete(url, headers=theirs).status_code == 204
