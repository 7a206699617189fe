"""Networks: groups, members, the meeting schedule, the iCalendar feed, attendance and its
CSV export, meetings run as cafés with personal invites, and who may see what."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.accounts import Facilitator, TokenScope
from app.models.cafe import Participant
from app.models.network import Member, MemberParticipant
from app.services import accounts
from app.services.network import calendar as calendar_service
from app.services.network import invites as invite_service
from app.services.network import meetings as meeting_service
from tests.conftest import csrf_of
from tests.factories import PASSWORD, make_facilitator

LONDON = ZoneInfo("Europe/London")


def _headers_for(client: TestClient, facilitator: Facilitator) -> dict[str, str]:
    r = client.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _network(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"title": "Choice and control in supported living", **extra}
    r = client.post("/api/v1/networks", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _group(
    client: TestClient, headers: dict[str, str], network_id: int, **extra: Any
) -> dict[str, Any]:
    body = {"name": "Cardiff", "area": "Wales", **extra}
    r = client.post(f"/api/v1/networks/{network_id}/groups", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _member(
    client: TestClient, headers: dict[str, str], group_id: int, **extra: Any
) -> dict[str, Any]:
    body = {
        "display_name": "Aled Jones",
        "role": "lived_experience",
        "email": "aled@example.org",
        "phone": "+44 29 2000 0000",
        "consent_given": True,
        **extra,
    }
    r = client.post(f"/api/v1/networks/groups/{group_id}/members", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _setup(client: TestClient, headers: dict[str, str]) -> tuple[int, int, list[int]]:
    """A network with one group of three members and the default four meetings."""
    network = _network(client, headers)
    group = _group(client, headers, network["id"], first_meeting_at="2026-03-10T10:00:00+00:00")
    members = [
        _member(client, headers, group["id"])["id"],
        _member(
            client,
            headers,
            group["id"],
            display_name="Bethan",
            role="carer",
            email="bethan@example.org",
            phone="",
        )["id"],
        _member(client, headers, group["id"], display_name="Cerys", role="practitioner")["id"],
    ]
    return network["id"], group["id"], members


def _meetings(client: TestClient, headers: dict[str, str], group_id: int) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/networks/groups/{group_id}/meetings", headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def _phone(client: TestClient, url: str, name: str) -> tuple[TestClient, str]:
    """A phone with its own cookies opens a join link and joins; returns it and the page."""
    phone = TestClient(client.app, base_url=str(client.base_url))
    path = url.removeprefix(str(client.base_url))
    page = phone.get(path)
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    data = {"display_name": name, "csrf_token": token.group(1)}
    invite = re.search(r'name="invite" value="([^"]+)"', page.text)
    if invite:
        data["invite"] = invite.group(1)
    code = path.split("/j/")[1].split("?")[0]
    r = phone.post(f"/j/{code}", data=data, follow_redirects=True)
    assert r.status_code == 200, r.text
    return phone, page.text


# --- CRUD -----------------------------------------------------------------------------------


def test_network_crud_and_pagination(client: TestClient, api_headers: dict[str, str]) -> None:
    ids = [_network(client, api_headers, title=f"Topic {n}")["id"] for n in range(3)]
    first = client.get("/api/v1/networks?limit=2", headers=api_headers).json()
    assert [n["id"] for n in first["items"]] == ids[:2]
    assert first["next_cursor"] == ids[1]
    rest = client.get(
        f"/api/v1/networks?limit=2&after={first['next_cursor']}", headers=api_headers
    ).json()
    assert [n["id"] for n in rest["items"]] == ids[2:]
    assert rest["next_cursor"] is None

    r = client.patch(
        f"/api/v1/networks/{ids[0]}",
        json={"description": "Four nations, one question."},
        headers=api_headers,
    )
    assert r.status_code == 200
    assert r.json()["title"] == "Topic 0"
    assert r.json()["description"] == "Four nations, one question."
    assert client.delete(f"/api/v1/networks/{ids[0]}", headers=api_headers).status_code == 204
    assert client.get(f"/api/v1/networks/{ids[0]}", headers=api_headers).status_code == 404


def test_groups_members_and_consent(client: TestClient, api_headers: dict[str, str]) -> None:
    network = _network(client, api_headers)
    group = _group(client, api_headers, network["id"])
    assert group["member_count"] == 0 and group["meeting_count"] == 0
    member = _member(client, api_headers, group["id"], consent_given=False)
    assert member["consent_at"] is None
    r = client.patch(
        f"/api/v1/networks/members/{member['id']}",
        json={"consent_given": True, "consent_note": "Signed form at meeting 1"},
        headers=api_headers,
    )
    assert r.status_code == 200
    assert r.json()["consent_given"] is True
    assert r.json()["consent_at"] is not None
    assert r.json()["email"] == "aled@example.org"

    listed = client.get(
        f"/api/v1/networks/groups/{group['id']}/members", headers=api_headers
    ).json()
    assert [m["id"] for m in listed["items"]] == [member["id"]]
    groups = client.get(f"/api/v1/networks/{network['id']}/groups", headers=api_headers).json()
    assert groups["items"][0]["member_count"] == 1

    r = client.patch(
        f"/api/v1/networks/groups/{group['id']}", json={"area": "Cymru"}, headers=api_headers
    )
    assert r.json()["area"] == "Cymru" and r.json()["name"] == "Cardiff"
    r = client.delete(f"/api/v1/networks/members/{member['id']}", headers=api_headers)
    assert r.status_code == 204
    assert (
        client.get(f"/api/v1/networks/members/{member['id']}", headers=api_headers).status_code
        == 404
    )


def test_bad_input_is_a_readable_422(client: TestClient, api_headers: dict[str, str]) -> None:
    network = _network(client, api_headers)
    group = _group(client, api_headers, network["id"])
    cases = [
        ("/api/v1/networks", {"title": ""}),
        ("/api/v1/networks", {"title": "x" * 121}),
        (f"/api/v1/networks/{network['id']}/groups", {"name": "   "}),
        (
            f"/api/v1/networks/{network['id']}/groups",
            {"name": "Belfast", "first_meeting_at": "2026-03-10T10:00:00"},
        ),
        (
            f"/api/v1/networks/groups/{group['id']}/members",
            {"display_name": "Dai", "role": "wizard"},
        ),
        (
            f"/api/v1/networks/groups/{group['id']}/members",
            {"display_name": "Dai", "role": "carer", "email": "not-an-email"},
        ),
        (
            f"/api/v1/networks/groups/{group['id']}/members",
            {"display_name": "Dai", "role": "carer", "phone": "call me maybe"},
        ),
        (
            f"/api/v1/networks/groups/{group['id']}/meetings",
            {"starts_at": "2026-03-10T12:00:00Z", "ends_at": "2026-03-10T10:00:00Z"},
        ),
        (
            f"/api/v1/networks/groups/{group['id']}/meetings",
            {"starts_at": "2026-03-10T08:00:00Z", "ends_at": "2026-03-11T08:00:00Z"},
        ),
        (
            f"/api/v1/networks/groups/{group['id']}/meetings/schedule",
            {"start": "2026-03-10T10:00:00Z", "count": 0},
        ),
    ]
    for path, body in cases:
        r = client.post(path, json=body, headers=api_headers)
        assert r.status_code == 422, (path, body, r.text)
        assert r.json()["detail"], (path, body)
    r = client.get("/api/v1/networks?limit=0", headers=api_headers)
    assert r.status_code == 422


# --- schedule -------------------------------------------------------------------------------


def test_default_schedule_is_four_meetings_over_six_months_at_the_same_local_time() -> None:
    start = datetime(2026, 2, 10, 10, 0, tzinfo=LONDON)  # winter: 10:00 is 10:00 UTC
    slots = meeting_service.plan_schedule(start)
    assert len(slots) == 4
    assert slots[-1][0] - slots[0][0] <= timedelta(days=183)
    for begins, ends in slots:
        assert begins.astimezone(LONDON).strftime("%a %H:%M") == "Tue 10:00"
        assert ends - begins == timedelta(hours=2)
    # Across the clock change the UTC instant moves so the local time stays put.
    assert slots[0][0].astimezone(UTC).hour == 10
    assert slots[1][0].astimezone(UTC).hour == 9
    gaps = {(b2 - b1).days for (b1, _), (b2, _) in zip(slots, slots[1:], strict=False)}
    assert gaps <= {55, 56, 57}


def test_schedule_via_api_then_the_lead_changes_it(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    network = _network(client, api_headers)
    group = _group(client, api_headers, network["id"])
    r = client.post(
        f"/api/v1/networks/groups/{group['id']}/meetings/schedule",
        json={"start": "2026-03-10T10:00:00+00:00", "location": "Community hall"},
        headers=api_headers,
    )
    assert r.status_code == 201, r.text
    meetings = r.json()
    assert [m["number"] for m in meetings] == [1, 2, 3, 4]
    assert [m["title"] for m in meetings] == [f"Meeting {n}" for n in range(1, 5)]
    assert {m["location"] for m in meetings} == {"Community hall"}
    again = client.post(
        f"/api/v1/networks/groups/{group['id']}/meetings/schedule",
        json={"start": "2026-03-10T10:00:00+00:00"},
        headers=api_headers,
    )
    assert again.status_code == 409

    # Moving the first meeting after the second swaps their numbers; the length is kept.
    first = meetings[0]
    later = datetime.fromisoformat(meetings[1]["starts_at"]) + timedelta(days=1)
    r = client.patch(
        f"/api/v1/networks/meetings/{first['id']}",
        json={"starts_at": later.isoformat()},
        headers=api_headers,
    )
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["number"] == 2 and moved["title"] == "Meeting 2"
    assert datetime.fromisoformat(moved["ends_at"]) - later == timedelta(hours=2)
    numbers = {m["id"]: m["number"] for m in _meetings(client, api_headers, group["id"])}
    assert numbers[meetings[1]["id"]] == 1

    r = client.post(
        f"/api/v1/networks/groups/{group['id']}/meetings",
        json={
            "title": "Extra session",
            "starts_at": "2026-01-05T10:00:00Z",
            "ends_at": "2026-01-05T11:30:00Z",
        },
        headers=api_headers,
    )
    assert r.status_code == 201 and r.json()["number"] == 1
    assert r.json()["title"] == "Extra session"
    r = client.delete(f"/api/v1/networks/meetings/{r.json()['id']}", headers=api_headers)
    assert r.status_code == 204
    assert sorted(m["number"] for m in _meetings(client, api_headers, group["id"])) == [1, 2, 3, 4]


# --- iCalendar ------------------------------------------------------------------------------


def _unfold(text: str) -> list[str]:
    assert "\n" not in text.replace("\r\n", ""), "bare line feeds"
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def test_ical_folds_long_lines_without_splitting_characters() -> None:
    line = "DESCRIPTION:" + "Llanfairpwllgwyngyll café ☕ " * 12
    folded = calendar_service.ical_fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 1
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert folded.replace("\r\n ", "") == line
    assert calendar_service.ical_fold("SUMMARY:short") == "SUMMARY:short"
    assert calendar_service.ical_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_group_calendar_feed(client: TestClient, logged_in: TestClient, session: Session) -> None:
    headers = _headers_for(client, session.exec(select(Facilitator)).one())
    network = _network(client, headers, title="Recovery, together; in hospital and out")
    group = _group(client, headers, network["id"], name="Glasgow")
    r = client.post(
        f"/api/v1/networks/groups/{group['id']}/meetings/schedule",
        json={
            "start": "2026-03-10T10:00:00+00:00",
            "location": "Room 2, Mitchell Library; North Street\\Charing Cross " + "x" * 60,
        },
        headers=headers,
    )
    assert r.status_code == 201
    response = client.get(f"/api/v1/networks/groups/{group['id']}/calendar.ics", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    raw = response.text
    assert raw.startswith("BEGIN:VCALENDAR\r\n") and raw.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in raw.split("\r\n"))
    lines = _unfold(raw)
    assert lines.count("BEGIN:VEVENT") == 4 and lines.count("END:VEVENT") == 4
    props = [line.split(":", 1) for line in lines]
    assert ["VERSION", "2.0"] in props
    assert any(k == "PRODID" for k, _ in props)
    starts = [v for k, v in props if k == "DTSTART"]
    assert starts[0] == "20260310T100000Z"
    assert len({v for k, v in props if k == "UID"}) == 4
    location = next(v for k, v in props if k == "LOCATION")
    assert "\\;" in location and "\\," in location and "\\\\" in location
    assert _unescape(location).startswith("Room 2, Mitchell Library; North Street\\Charing Cross")
    summary = next(v for k, v in props if k == "SUMMARY")
    assert _unescape(summary) == ("Meeting 1: Recovery, together; in hospital and out (Glasgow)")

    # The lead's page offers a shareable feed that needs no login and reveals no names.
    page = logged_in.get(f"/networks/groups/{group['id']}")
    feed = re.search(r'id="feed-url" readonly value="([^"]+)"', page.text)
    assert feed
    anonymous = TestClient(client.app, base_url=str(client.base_url))
    shared = anonymous.get(feed.group(1).removeprefix(str(client.base_url)))
    assert shared.status_code == 200 and "BEGIN:VCALENDAR" in shared.text
    assert anonymous.get("/networks/calendars/forged.ics").status_code == 404
    download = logged_in.get(f"/networks/groups/{group['id']}/calendar.ics")
    assert download.text.count("BEGIN:VEVENT") == 4


# --- attendance -------------------------------------------------------------------------------


def test_attendance_and_payment_csv(client: TestClient, api_headers: dict[str, str]) -> None:
    network_id, group_id, members = _setup(client, api_headers)
    evil = _member(
        client,
        api_headers,
        group_id,
        display_name='=HYPERLINK("http://x","pay")',
        role="other",
    )["id"]
    meetings = _meetings(client, api_headers, group_id)
    r = client.put(
        f"/api/v1/networks/meetings/{meetings[0]['id']}/attendance",
        json={
            "marks": [
                {"member_id": members[0], "attended": True},
                {"member_id": members[1], "attended": True, "hours": 3.5},
                {"member_id": members[2], "attended": False},
                {"member_id": evil, "attended": True, "hours": 1},
            ]
        },
        headers=api_headers,
    )
    assert r.status_code == 200, r.text
    by_id = {row["member_id"]: row for row in r.json()["items"]}
    assert by_id[members[0]]["hours"] == 2.0  # the meeting's length
    assert by_id[members[1]]["hours"] == 3.5
    assert by_id[members[2]]["attended"] is False and by_id[members[2]]["hours"] == 0
    client.put(
        f"/api/v1/networks/meetings/{meetings[1]['id']}/attendance",
        json={"marks": [{"member_id": members[0], "attended": True, "hours": 2.25}]},
        headers=api_headers,
    )
    # The deprecated member-id cursor (`after=0`: from the start); the change-number cursor
    # is tested in test_network_api_cursors.
    page = client.get(
        f"/api/v1/networks/meetings/{meetings[0]['id']}/attendance?limit=2&after=0",
        headers=api_headers,
    ).json()
    assert len(page["items"]) == 2 and page["next_cursor"] == page["items"][1]["member_id"]

    for path in (
        f"/api/v1/networks/{network_id}/attendance.csv",
        f"/api/v1/networks/groups/{group_id}/attendance.csv",
    ):
        response = client.get(path, headers=api_headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
        header = rows[0]
        assert header[:7] == [
            "Network",
            "Group",
            "Member ID",
            "Member",
            "Role",
            "Meetings attended",
            "Total hours",
        ]
        assert header[7:] == [f"Meeting {n} hours" for n in range(1, 5)]
        table = {row[2]: row for row in rows[1:]}
        aled = table[str(members[0])]
        assert aled[5:9] == ["2", "4.25", "2", "2.25"]
        assert table[str(members[2])][5:7] == ["0", "0"]
        assert table[str(evil)][3].startswith("'=HYPERLINK")
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    bad = [
        {"marks": []},
        {"marks": [{"member_id": members[0], "attended": True, "hours": 25}]},
        {"marks": [{"member_id": members[0], "attended": True, "hours": -1}]},
        {"marks": [{"member_id": 999999, "attended": True}]},
        {
            "marks": [
                {"member_id": members[0], "attended": True},
                {"member_id": members[0], "attended": False},
            ]
        },
    ]
    for body in bad:
        r = client.put(
            f"/api/v1/networks/meetings/{meetings[0]['id']}/attendance",
            json=body,
            headers=api_headers,
        )
        assert r.status_code == 422, body
        assert r.json()["detail"]


def test_attendance_form_without_and_with_htmx(
    client: TestClient, logged_in: TestClient, session: Session
) -> None:
    headers = _headers_for(client, session.exec(select(Facilitator)).one())
    _, group_id, members = _setup(client, headers)
    meeting = _meetings(client, headers, group_id)[0]
    path = f"/networks/meetings/{meeting['id']}"
    token = csrf_of(logged_in, path)
    r = logged_in.post(
        f"{path}/attendance",
        data={
            "csrf_token": token,
            f"attended_{members[0]}": "true",
            f"hours_{members[0]}": "1,5",
            f"attended_{members[1]}": "true",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = logged_in.get(r.headers["location"])
    assert "Attendance saved." in page.text
    sheet = client.get(f"/api/v1/networks/meetings/{meeting['id']}/attendance", headers=headers)
    hours = {row["member_id"]: row["hours"] for row in sheet.json()["items"]}
    assert hours == {members[0]: 1.5, members[1]: 2.0, members[2]: 0.0}

    fragment = logged_in.post(
        f"{path}/attendance",
        data={f"attended_{members[2]}": "true", f"hours_{members[2]}": "lots"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert fragment.status_code == 422
    assert "<html" not in fragment.text and 'id="attendance"' in fragment.text
    assert "must be a number" in fragment.text


# --- meetings run as cafés, invites, privacy ---------------------------------------------------


def test_meeting_runs_as_cafe_and_invites_link_members_privately(
    client: TestClient, logged_in: TestClient, session: Session
) -> None:
    headers = _headers_for(client, session.exec(select(Facilitator)).one())
    _, group_id, members = _setup(client, headers)
    meeting = _meetings(client, headers, group_id)[0]
    path = f"/networks/meetings/{meeting['id']}"

    before = logged_in.get(f"{path}/invites")
    assert before.status_code == 409
    r = logged_in.post(
        f"{path}/cafe",
        data={
            "csrf_token": csrf_of(logged_in, path),
            "questions": "What helps?\nWhat gets in the way?",
            "minutes": "15",
            "table_count": "",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"{path}/invites"
    cafe_id = client.get(f"/api/v1/networks/meetings/{meeting['id']}", headers=headers).json()[
        "cafe_id"
    ]
    cafe = client.get(f"/api/v1/cafes/{cafe_id}", headers=headers).json()
    assert [rnd["question"] for rnd in cafe["rounds"]] == ["What helps?", "What gets in the way?"]
    assert len(cafe["tables"]) == 1 and cafe["names_visible"] is False
    again = logged_in.post(
        f"{path}/cafe", data={"csrf_token": csrf_of(logged_in, path)}, follow_redirects=False
    )
    assert again.status_code == 409

    invites_page = logged_in.get(f"{path}/invites")
    assert invites_page.status_code == 200 and "<svg" in invites_page.text
    invites = client.get(
        f"/api/v1/networks/meetings/{meeting['id']}/invites", headers=headers
    ).json()["items"]
    assert [i["member_id"] for i in invites] == members
    url_for = {i["member_id"]: i["url"] for i in invites}
    assert all(
        u.startswith(f"http://testserver/j/{cafe['code']}?invite=") for u in url_for.values()
    )
    assert all(u in invites_page.text for u in url_for.values())

    # Aled joins from his personal link, as "Sunflower"; Bethan joins with the plain code.
    aled_phone, join_page = _phone(client, url_for[members[0]], "Sunflower")
    assert 'value="lived_experience" selected' in join_page
    bethan_phone, _ = _phone(client, cafe["join_url"], "Bee")
    links = session.exec(select(MemberParticipant)).all()
    assert len(links) == 1 and links[0].member_id == members[0]
    linked = session.get(Participant, links[0].participant_id)
    assert linked is not None and linked.display_name == "Sunflower"

    sheet = client.get(
        f"/api/v1/networks/meetings/{meeting['id']}/attendance", headers=headers
    ).json()["items"]
    joined = {row["member_id"]: (row["joined_cafe"], row["attended"]) for row in sheet}
    assert joined[members[0]] == (True, True) and joined[members[1]] == (False, False)

    # Nobody in the café sees a member's name or contact details.
    private = ["Aled Jones", "aled@example.org", "2000 0000", "Bethan", "bethan@example.org"]
    client.post(f"/api/v1/cafes/{cafe_id}/rounds/next", headers=headers)
    for phone in (aled_phone, bethan_phone):
        page = phone.get(f"/p/{cafe['code']}")
        assert page.status_code == 200
        for secret in private:
            assert secret not in page.text
    participants = client.get(f"/api/v1/cafes/{cafe_id}/participants", headers=headers).text
    assert not any(secret in participants for secret in private)
    # A phone cannot reach the lead's pages or the API.
    assert "aled@example.org" not in bethan_phone.get(f"/networks/groups/{group_id}").text
    assert bethan_phone.get(f"/api/v1/networks/groups/{group_id}/members").status_code == 401


def test_forged_foreign_and_revoked_invites_link_nobody(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    network_id, group_id, members = _setup(client, api_headers)
    other = _group(client, api_headers, network_id, name="Belfast", area="Northern Ireland")
    stranger = _member(client, api_headers, other["id"], display_name="Niamh")["id"]
    meeting = _meetings(client, api_headers, group_id)[0]
    r = client.post(f"/api/v1/networks/meetings/{meeting['id']}/cafe", json={}, headers=api_headers)
    assert r.status_code == 201, r.text
    cafe = r.json()
    assert [rnd["question"] for rnd in cafe["rounds"]] == list(invite_service.DEFAULT_QUESTIONS)
    invites = client.get(
        f"/api/v1/networks/meetings/{meeting['id']}/invites", headers=api_headers
    ).json()["items"]
    url = invites[0]["url"]

    # A member of another group, invited to this café by a forged-but-signed token, is not
    # linked: their group never met here.
    from app.models.cafe import Cafe

    settings = client.app.state.settings  # type: ignore[attr-defined]
    cafe_row = session.get(Cafe, cafe["id"])
    stranger_row = session.get(Member, stranger)
    assert cafe_row is not None and stranger_row is not None
    foreign = invite_service.invite_url(
        base_url=settings.base_url, secret=settings.secret_key, member=stranger_row, cafe=cafe_row
    )
    _phone(client, foreign, "Guest one")
    _phone(client, url[:-3] + "abc", "Guest two")
    client.post(f"/api/v1/networks/members/{members[0]}/revoke-invites", headers=api_headers)
    _phone(client, url, "Guest three")
    assert session.exec(select(MemberParticipant)).all() == []
    names = {p.display_name for p in session.exec(select(Participant)).all()}
    assert names == {"Guest one", "Guest two", "Guest three"}


# --- authorisation --------------------------------------------------------------------------


def test_a_lead_cannot_reach_another_networks_people(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    network_id, group_id, members = _setup(client, api_headers)
    meeting = _meetings(client, api_headers, group_id)[0]
    plan = client.post(
        f"/api/v1/networks/{network_id}/action-plans",
        json={"kind": "network", "group_id": group_id},
        headers=api_headers,
    ).json()
    other = make_facilitator(session, "other-lead@example.org")
    theirs = _headers_for(client, other)
    for path in (
        f"/api/v1/networks/{network_id}",
        f"/api/v1/networks/{network_id}/groups",
        f"/api/v1/networks/{network_id}/attendance.csv",
        f"/api/v1/networks/{network_id}/action-plans",
        f"/api/v1/networks/groups/{group_id}",
        f"/api/v1/networks/groups/{group_id}/members",
        f"/api/v1/networks/groups/{group_id}/meetings",
        f"/api/v1/networks/groups/{group_id}/calendar.ics",
        f"/api/v1/networks/members/{members[0]}",
        f"/api/v1/networks/meetings/{meeting['id']}",
        f"/api/v1/networks/meetings/{meeting['id']}/attendance",
        f"/api/v1/networks/action-plans/{plan['id']}",
    ):
        r = client.get(path, headers=theirs)
        assert r.status_code == 404, path
        assert "aled" not in r.text.lower()
    r = client.patch(
        f"/api/v1/networks/members/{members[0]}", json={"display_name": "x"}, headers=theirs
    )
    assert r.status_code == 404
    assert client.get("/api/v1/networks", headers=theirs).json()["items"] == []

    # Their browser session gets the same answer from the pages.
    browser = TestClient(client.app, base_url=str(client.base_url))
    login = browser.post(
        "/login",
        data={
            "email": other.email,
            "password": PASSWORD,
            "csrf_token": csrf_of(browser),
        },
        follow_redirects=False,
    )
    assert login.status_code == 303
    for path in (
        f"/networks/{network_id}",
        f"/networks/groups/{group_id}",
        f"/networks/members/{members[0]}",
        f"/networks/meetings/{meeting['id']}",
        f"/networks/groups/{group_id}/attendance.csv",
        f"/networks/plans/{plan['id']}",
    ):
        r = browser.get(path)
        assert r.status_code == 404, path
        assert "aled@example.org" not in r.text
    token = csrf_of(browser, "/networks")
    r = browser.post(
        f"/networks/members/{members[0]}/delete",
        data={"csrf_token": token, "confirm": "true"},
    )
    assert r.status_code == 404
    assert client.get(f"/api/v1/networks/members/{members[0]}", headers=api_headers).json()


def test_read_only_tokens_cannot_change_networks(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    network_id, _, _ = _setup(client, api_headers)
    _, token = accounts.create_api_token(
        session=session, facilitator=facilitator, name="reader", scope=TokenScope.READ
    )
    reader = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/networks/{network_id}", headers=reader).status_code == 200
    r = client.patch(f"/api/v1/networks/{network_id}", json={"title": "x"}, headers=reader)
    assert r.status_code == 403
    assert client.get(f"/api/v1/networks/{network_id}").status_code == 401


# --- pages ------------------------------------------------------------------------------------


def test_lead_pages_from_start_to_meeting(logged_in: TestClient) -> None:
    page = logged_in.get("/networks")
    assert page.status_code == 200 and "Start a network" in page.text
    assert 'href="/networks"' in logged_in.get("/dashboard").text
    token = csrf_of(logged_in, "/networks")

    bad = logged_in.post("/networks", data={"csrf_token": token, "title": "  "})
    assert bad.status_code == 422 and 'role="alert"' in bad.text

    r = logged_in.post(
        "/networks",
        data={"csrf_token": token, "title": "Carers' health", "description": "Five nations."},
        follow_redirects=False,
    )
    assert r.status_code == 303
    network_path = r.headers["location"]
    bad = logged_in.post(
        f"{network_path}/groups",
        data={
            "csrf_token": token,
            "name": "Leeds",
            "first_date": "2026-04-01",
            "start_time": "14:00",
            "end_time": "13:00",
        },
    )
    assert bad.status_code == 422 and "must end after it starts" in bad.text
    assert "Leeds" in bad.text  # the form keeps what was typed
    r = logged_in.post(
        f"{network_path}/groups",
        data={
            "csrf_token": token,
            "name": "Leeds",
            "area": "England",
            "first_date": "2026-04-01",
            "start_time": "14:00",
            "end_time": "16:30",
            "location": "Central library",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    group_path = r.headers["location"]
    group_page = logged_in.get(group_path)
    assert group_page.text.count("Central library") == 4
    assert "Wed 1 Apr 2026, 14:00–16:30" in group_page.text
    # The fourth meeting, 24 weeks on (British English shortens September to "Sept").
    assert "Wed 16 Sept 2026" in group_page.text

    bad = logged_in.post(
        f"{group_path}/members",
        data={"csrf_token": token, "display_name": "Priya", "role": "", "email": "x"},
    )
    assert bad.status_code == 422 and "stakeholder role" in bad.text
    r = logged_in.post(
        f"{group_path}/members",
        data={
            "csrf_token": token,
            "display_name": "Priya",
            "role": "carer",
            "email": "priya@example.org",
            "accessibility_needs": "Hearing loop",
            "consent_given": "true",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    group_page = logged_in.get(group_path)
    assert "priya@example.org" in group_page.text and "Hearing loop" in group_page.text
    member_path = re.search(r'href="(/networks/members/\d+)"', group_page.text)
    assert member_path
    edit = logged_in.post(
        member_path.group(1),
        data={
            "csrf_token": token,
            "display_name": "Priya S",
            "role": "carer",
            "email": "bad address",
        },
    )
    assert edit.status_code == 422 and "email address" in edit.text

    meeting_path = re.search(r'href="(/networks/meetings/\d+)"', group_page.text)
    assert meeting_path
    meeting_page = logged_in.get(meeting_path.group(1))
    assert meeting_page.status_code == 200
    assert "Run as café" in meeting_page.text and "Priya" in meeting_page.text
    r = logged_in.post(
        meeting_path.group(1),
        data={
            "csrf_token": token,
            "title": "Kick-off",
            "date": "2026-12-01",
            "start_time": "09:30",
            "end_time": "11:00",
            "location": "Town hall",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    group_page = logged_in.get(group_path)
    assert "Kick-off" in group_page.text and "Tue 1 Dec 2026, 09:30–11:00" in group_page.text

    no_confirm = logged_in.post(f"{meeting_path.group(1)}/delete", data={"csrf_token": token})
    assert no_confirm.status_code == 422
    r = logged_in.post(
        f"{meeting_path.group(1)}/delete",
        data={"csrf_token": token, "confirm": "true"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert logged_in.get(meeting_path.group(1)).status_code == 404


def test_deleting_a_network_removes_its_people_but_keeps_cafes(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    network_id, group_id, members = _setup(client, api_headers)
    meeting = _meetings(client, api_headers, group_id)[0]
    cafe = client.post(
        f"/api/v1/networks/meetings/{meeting['id']}/cafe", json={}, headers=api_headers
    ).json()
    invite = client.get(
        f"/api/v1/networks/meetings/{meeting['id']}/invites", headers=api_headers
    ).json()["items"][0]["url"]
    _phone(client, invite, "Sunflower")
    client.put(
        f"/api/v1/networks/meetings/{meeting['id']}/attendance",
        json={"marks": [{"member_id": members[0], "attended": True}]},
        headers=api_headers,
    )
    client.post(
        f"/api/v1/networks/{network_id}/action-plans",
        json={"kind": "network", "group_id": group_id},
        headers=api_headers,
    )
    r = client.delete(f"/api/v1/networks/groups/{group_id}", headers=api_headers)
    assert r.status_code == 204
    assert session.exec(select(Member)).all() == []
    assert session.exec(select(MemberParticipant)).all() == []
    r = client.delete(f"/api/v1/networks/{network_id}", headers=api_headers)
    assert r.status_code == 204
    assert client.get(f"/api/v1/networks/{network_id}", headers=api_headers).status_code == 404
    kept = client.get(f"/api/v1/cafes/{cafe['id']}", headers=api_headers)
    assert kept.status_code == 200
    names = [
        p["display_name"]
        for p in client.get(f"/api/v1/cafes/{cafe['id']}/participants", headers=api_headers).json()
    ]
    assert names == ["Sunflower"]
