"""Actions that carry over and feedback after meetings (issue 25 items 5 and 6): the lead
tracks a group's actions with an owner, a due date and a status with history; the next
meeting starts with the open ones (console and members' pages); a member marks their own
done. After a meeting a member who came gives feedback with five faces, a comment and a
voice note (one response, sending again edits it); the lead reads charts and exports the
evaluation summary; feedback is erased with the member and in their subject access export."""

from __future__ import annotations

import io
import json
import re
import struct
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import docx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.models.base import utcnow
from app.models.follow_up import FeedbackResponse
from tests.conftest import csrf_of

SECRET_PLACE = b"Acacia Ave"


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **kw: Any) -> Any:
    r = client.request(method, url, headers=headers, **kw)
    assert r.status_code < 300, (url, r.status_code, r.text)
    return r.json() if r.content else None


def wav(tagged: bool = True) -> bytes:
    sound = bytes(range(256)) * 8
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    info = b"LIST" + struct.pack("<I", 24) + b"INFOINAM" + struct.pack("<I", 12) + b"Acacia Ave\0\0"
    data = b"data" + struct.pack("<I", len(sound)) + sound
    body = b"WAVE" + fmt + (info if tagged else b"") + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@dataclass
class World:
    network_id: int
    group_id: int
    other_group_id: int
    past_meeting_id: int
    next_meeting_id: int
    alex: int
    bo: int
    far: int


def _member(client: TestClient, headers: dict[str, str], group_id: int, name: str) -> int:
    body = {"display_name": name, "role": "lived_experience", "consent_given": True}
    made = _api(client, headers, "POST", f"/api/v1/networks/groups/{group_id}/members", json=body)
    return int(made["id"])


def _meeting(
    client: TestClient, headers: dict[str, str], group_id: int, title: str, days: int
) -> int:
    starts = utcnow() + timedelta(days=days)
    body = {
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
    }
    made = _api(client, headers, "POST", f"/api/v1/networks/groups/{group_id}/meetings", json=body)
    return int(made["id"])


@pytest.fixture
def world(client: TestClient, api_headers: dict[str, str]) -> World:
    network = _api(client, api_headers, "POST", "/api/v1/networks", json={"title": "Choice"})
    nid = network["id"]
    north = _api(
        client, api_headers, "POST", f"/api/v1/networks/{nid}/groups", json={"name": "North"}
    )
    south = _api(
        client, api_headers, "POST", f"/api/v1/networks/{nid}/groups", json={"name": "South"}
    )
    alex = _member(client, api_headers, north["id"], "Alexandra Quill")
    bo = _member(client, api_headers, north["id"], "Bo Marchetti")
    far = _member(client, api_headers, south["id"], "Cyd Farrow")
    past = _meeting(client, api_headers, north["id"], "Spring meeting", -20)
    _api(
        client,
        api_headers,
        "PUT",
        f"/api/v1/networks/meetings/{past}/attendance",
        json={
            "marks": [
                {"member_id": alex, "attended": True},
                {"member_id": bo, "attended": False},
            ]
        },
    )
    upcoming = _meeting(client, api_headers, north["id"], "Summer meeting", 10)
    return World(nid, north["id"], south["id"], past, upcoming, alex, bo, far)


def _phone(client: TestClient, headers: dict[str, str], member_id: int) -> TestClient:
    r = client.post(f"/api/v1/networks/members/{member_id}/link", headers=headers)
    assert r.status_code == 201, r.text
    phone = TestClient(client.app, base_url=str(client.base_url))
    r = phone.get(urlsplit(r.json()["url"]).path, follow_redirects=False)
    assert r.status_code == 303
    return phone


def _action(
    client: TestClient, headers: dict[str, str], w: World, title: str, **extra: Any
) -> dict[str, Any]:
    body = {"group_id": w.group_id, "title": title, **extra}
    r = client.post(f"/api/v1/networks/{w.network_id}/actions", json=body, headers=headers)
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


# --- actions ----------------------------------------------------------------------------------


def test_an_action_has_an_owner_a_due_date_and_a_status_with_history(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    due = (date.today() + timedelta(days=30)).isoformat()
    made = _action(
        client,
        api_headers,
        world,
        "Ask the council about bus passes",
        owner_member_id=world.alex,
        due_on=due,
    )
    assert made["owner_name"] == "Alexandra Quill" and made["status"] == "open"
    assert made["due_on"] == due
    r = client.patch(
        f"/api/v1/networks/actions/{made['id']}", json={"status": "doing"}, headers=api_headers
    )
    assert r.status_code == 200, r.text
    r = client.patch(
        f"/api/v1/networks/actions/{made['id']}", json={"owner_is_lead": True}, headers=api_headers
    )
    history = r.json()["history"]
    assert [(h["what"], h["new"]) for h in history] == [
        ("created", "Ask the council about bus passes"),
        ("status", "doing"),
        ("owner", "the lead"),
    ]
    assert all(h["by"] == "the lead" for h in history)
    # One action read back by its id is what the list and the change gave.
    one = _api(client, api_headers, "GET", f"/api/v1/networks/actions/{made['id']}")
    assert one == r.json()
    missing = client.get("/api/v1/networks/actions/999999", headers=api_headers)
    assert missing.status_code == 404 and missing.json()["detail"]
    listed = _api(
        client, api_headers, "GET", f"/api/v1/networks/{world.network_id}/actions?status=doing"
    )
    assert [a["id"] for a in listed["items"]] == [made["id"]]
    assert (
        _api(
            client, api_headers, "GET", f"/api/v1/networks/{world.network_id}/actions?status=done"
        )["items"]
        == []
    )


def test_a_due_date_in_the_past_or_an_owner_from_another_group_is_refused(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    url = f"/api/v1/networks/{world.network_id}/actions"
    past = (date.today() - timedelta(days=3)).isoformat()
    r = client.post(
        url, json={"group_id": world.group_id, "title": "x", "due_on": past}, headers=api_headers
    )
    assert r.status_code == 422 and "due date is in the past" in r.json()["detail"]
    r = client.post(
        url,
        json={"group_id": world.group_id, "title": "x", "owner_member_id": world.far},
        headers=api_headers,
    )
    assert r.status_code == 422 and "must be a member of North" in r.json()["detail"]
    r = client.post(
        url,
        json={"group_id": world.group_id, "title": "x", "owner_member_id": 999_999},
        headers=api_headers,
    )
    assert r.status_code == 422 and "Choose someone from the list" in r.json()["detail"]
    made = _action(client, api_headers, world, "Fine")
    r = client.patch(
        f"/api/v1/networks/actions/{made['id']}", json={"due_on": past}, headers=api_headers
    )
    assert r.status_code == 422 and "in the past" in r.json()["detail"]
    r = client.patch(
        f"/api/v1/networks/actions/{made['id']}", json={"status": "finished"}, headers=api_headers
    )
    assert r.status_code == 422


def test_the_lead_page_refuses_a_past_due_date_and_keeps_what_was_typed(
    logged_in: TestClient, world: World
) -> None:
    path = f"/networks/{world.network_id}/actions"
    page = logged_in.get(path)
    assert page.status_code == 200 and "Add an action" in page.text
    past = (date.today() - timedelta(days=1)).isoformat()
    r = logged_in.post(
        path,
        data={
            "csrf_token": csrf_of(logged_in, path),
            "group_id": str(world.group_id),
            "title": "Write to the bus company",
            "owner": str(world.bo),
            "due_on": past,
        },
    )
    assert r.status_code == 422
    assert "The due date is in the past" in r.text
    assert 'value="Write to the bus company"' in r.text
    r = logged_in.post(
        path,
        data={
            "csrf_token": csrf_of(logged_in, path),
            "group_id": str(world.group_id),
            "title": "Write to the bus company",
            "owner": str(world.bo),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = logged_in.get(path)
    assert "Write to the bus company" in page.text and "Bo Marchetti" in page.text
    action_id = int(re.search(r'id="action-(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    r = logged_in.post(
        f"/networks/actions/{action_id}",
        data={
            "csrf_token": csrf_of(logged_in, path),
            "title": "Write to the bus company",
            "owner": str(world.bo),
            "due_on": "",
            "status": "done",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Done" in logged_in.get(path).text


def test_members_see_their_groups_open_actions_and_mark_only_their_own(
    client: TestClient, api_headers: dict[str, str], world: World
) -> None:
    mine = _action(client, api_headers, world, "Bring the leaflets", owner_member_id=world.alex)
    theirs = _action(client, api_headers, world, "Book the room", owner_member_id=world.bo)
    body = {"group_id": world.other_group_id, "title": "A southern secret"}
    south = client.post(
        f"/api/v1/networks/{world.network_id}/actions", json=body, headers=api_headers
    ).json()
    phone = _phone(client, api_headers, world.alex)
    page = phone.get("/me").text
    assert "Your group&#39;s actions" in page or "Your group's actions" in page
    assert "Bring the leaflets" in page and "Book the room" in page
    assert "A southern secret" not in page
    csrf = csrf_of(phone, "/me")
    r = phone.post(
        f"/me/actions/{mine['id']}",
        data={"csrf_token": csrf, "status": "done"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = phone.post(f"/me/actions/{theirs['id']}", data={"csrf_token": csrf, "status": "done"})
    assert r.status_code == 403 and "Only the person who owns this action" in r.text
    r = phone.post(f"/me/actions/{south['id']}", data={"csrf_token": csrf, "status": "done"})
    assert r.status_code == 404
    r = phone.post(f"/me/actions/{mine['id']}", data={"csrf_token": csrf, "status": "dropped"})
    assert r.status_code == 422
    listed = _api(client, api_headers, "GET", f"/api/v1/networks/{world.network_id}/actions")
    by_id = {a["id"]: a for a in listed["items"]}
    assert by_id[mine["id"]]["status"] == "done"
    assert by_id[mine["id"]]["history"][-1]["by"] == "Alexandra Quill"
    assert by_id[theirs["id"]]["status"] == "open"


def test_the_next_meeting_cafe_console_starts_with_the_open_actions(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, world: World
) -> None:
    _action(client, api_headers, world, "Ring the bus company")
    done = _action(client, api_headers, world, "Already finished")
    _api(
        client,
        api_headers,
        "PATCH",
        f"/api/v1/networks/actions/{done['id']}",
        json={"status": "done"},
    )
    cafe = _api(
        client,
        api_headers,
        "POST",
        f"/api/v1/networks/meetings/{world.next_meeting_id}/cafe",
        json={},
    )
    page = logged_in.get(f"/cafes/{cafe['id']}/console")
    assert page.status_code == 200
    assert "open actions" in page.text and "Ring the bus company" in page.text
    assert "Already finished" not in page.text


def test_the_action_plan_export_shows_each_items_status(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, world: World
) -> None:
    plan = _api(
        client,
        api_headers,
        "POST",
        f"/api/v1/networks/{world.network_id}/action-plans",
        json={"kind": "network", "group_id": world.group_id},
    )
    _api(
        client,
        api_headers,
        "PATCH",
        f"/api/v1/networks/action-plans/{plan['id']}",
        json={"answers": {"activities": {"body": "- Map the bus routes\n- Talk to drivers"}}},
    )
    page = logged_in.get(f"/networks/{world.network_id}/actions")
    assert "Map the bus routes" in page.text and "Track this" in page.text
    made = _action(client, api_headers, world, "Map the bus routes", plan_id=plan["id"])
    _api(
        client,
        api_headers,
        "PATCH",
        f"/api/v1/networks/actions/{made['id']}",
        json={"status": "doing"},
    )
    md = client.get(
        f"/api/v1/networks/action-plans/{plan['id']}/export?format=md", headers=api_headers
    )
    assert md.status_code == 200
    assert "Map the bus routes: Being done" in md.text
    read = _api(client, api_headers, "GET", f"/api/v1/networks/action-plans/{plan['id']}")
    assert read["actions"][0]["status"] == "doing"
    # A tracked item is no longer offered.
    page = logged_in.get(f"/networks/{world.network_id}/actions")
    assert 'Track this<span class="visually-hidden">: Talk to drivers' in page.text
    assert 'Track this<span class="visually-hidden">: Map the bus routes' not in page.text


# --- feedback --------------------------------------------------------------------------------


def _send(
    phone: TestClient,
    meeting_id: int,
    fields: dict[str, str],
    voice: tuple[str, bytes, str] | None = None,
) -> Any:
    data = {"csrf_token": csrf_of(phone, "/me"), **fields}
    files = {"file": voice} if voice else {"file": ("", b"", "application/octet-stream")}
    return phone.post(f"/me/feedback/{meeting_id}", data=data, files=files, follow_redirects=False)


def test_a_member_who_came_gives_feedback_once_and_can_change_it(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    settings: Settings,
    world: World,
) -> None:
    phone = _phone(client, api_headers, world.alex)
    page = phone.get("/me").text
    assert "How was Spring meeting?" in page
    assert 'type="radio" name="how_was_it" value="5"' in page
    assert "Very good" in page  # the faces' words, for screen readers and everyone
    r = _send(
        phone,
        world.past_meeting_id,
        {"how_was_it": "4", "listened": "5", "comment": "The tea was cold"},
        ("note.wav", wav(), "audio/wav"),
    )
    assert r.status_code == 303, r.text
    assert "Thank you" in phone.get(r.headers["location"]).text
    r = _send(phone, world.past_meeting_id, {"how_was_it": "5", "comment": "Better second time"})
    assert r.status_code == 303
    rows = session.exec(
        select(FeedbackResponse).where(FeedbackResponse.member_id == world.alex)
    ).all()
    assert len(rows) == 1
    assert json.loads(rows[0].scores) == {"how_was_it": 5}
    assert rows[0].comment == "Better second time"
    stored = Path(settings.media_dir) / (rows[0].voice_path or "")
    assert stored.is_file() and SECRET_PLACE not in stored.read_bytes()  # tags stripped
    assert 'value="5" checked' in phone.get("/me").text


def test_feedback_refuses_bad_input_with_a_message_and_keeps_what_was_typed(
    client: TestClient, api_headers: dict[str, str], session: Session, world: World
) -> None:
    phone = _phone(client, api_headers, world.alex)
    r = _send(phone, world.past_meeting_id, {"how_was_it": "9", "comment": "Kept words one"})
    assert r.status_code == 422
    assert "choose one of the five faces" in r.text and "Kept words one" in r.text
    r = _send(
        phone,
        world.past_meeting_id,
        {"how_was_it": "3", "comment": "Kept words two"},
        ("p.png", PNG, "image/png"),
    )
    assert r.status_code == 415
    assert "Kept words two" in r.text and "Voice notes can be" in r.text
    big = wav(tagged=False) + b"\0" * (11 * 2**20)
    r = _send(
        phone, world.past_meeting_id, {"comment": "Kept words three"}, ("b.wav", big, "audio/wav")
    )
    assert r.status_code == 413, r.text[:3000]
    assert "Kept words three" in r.text and "too large" in r.text
    r = _send(phone, world.past_meeting_id, {"comment": ""})
    assert r.status_code == 422 and "Choose a face" in r.text
    assert session.exec(select(FeedbackResponse)).all() == []
    # Bo was marked absent: no form, and a post is refused; the coming meeting has not ended.
    bo = _phone(client, api_headers, world.bo)
    assert "How was Spring meeting?" not in bo.get("/me").text
    r = _send(bo, world.past_meeting_id, {"how_was_it": "3"})
    assert r.status_code == 422 and "for the people who came" in r.text
    r = _send(phone, world.next_meeting_id, {"how_was_it": "3"})
    assert r.status_code == 422 and "once the meeting has ended" in r.text


def test_the_lead_sees_charts_and_exports_the_evaluation_summary(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, world: World
) -> None:
    phone = _phone(client, api_headers, world.alex)
    assert (
        _send(
            phone,
            world.past_meeting_id,
            {"how_was_it": "4", "listened": "2", "comment": "More breaks please"},
        ).status_code
        == 303
    )
    done = _action(client, api_headers, world, "Print large-type agendas")
    _api(
        client,
        api_headers,
        "PATCH",
        f"/api/v1/networks/actions/{done['id']}",
        json={"status": "done"},
    )
    page = logged_in.get(f"/networks/{world.network_id}/feedback")
    assert page.status_code == 200
    assert page.text.count('role="img"') >= 2 and "<desc" in page.text and "<table" in page.text
    assert "More breaks please" in page.text and "Alexandra" not in page.text
    report = _api(client, api_headers, "GET", f"/api/v1/networks/{world.network_id}/feedback")
    spring = next(m for m in report["meetings"] if m["meeting_id"] == world.past_meeting_id)
    how = next(r for r in spring["results"] if r["question"] == "how_was_it")
    assert how["counts"] == [0, 0, 0, 1, 0] and how["average"] == 4
    assert spring["comments"] == ["More breaks please"]
    csv_file = logged_in.get(f"/networks/{world.network_id}/feedback/export?format=csv")
    assert csv_file.status_code == 200 and "More breaks please" in csv_file.text
    js = logged_in.get(f"/networks/{world.network_id}/feedback/export?format=json")
    assert js.json()["meetings"][0]["responses"] in (0, 1)
    word = logged_in.get(f"/networks/{world.network_id}/feedback/export?format=docx")
    assert word.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert "Evaluation summary" in text and "More breaks please" in text
    assert "Attendance: 1 of 2 members" in text and "Print large-type agendas" in text
    assert "Alexandra" not in text
    assert (
        logged_in.get(f"/networks/{world.network_id}/feedback/export?format=pdf").status_code == 422
    )
    audit_log = _api(client, api_headers, "GET", "/api/v1/audit")
    assert any(e["action"] == "exported_feedback" for e in audit_log["items"])


def test_the_lead_chooses_three_to_five_questions(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, world: World
) -> None:
    path = f"/networks/{world.network_id}/feedback"
    url = f"/networks/meetings/{world.past_meeting_id}/feedback-questions"
    r = logged_in.post(
        url, data={"csrf_token": csrf_of(logged_in, path), "questions": ["how_was_it", "listened"]}
    )
    assert r.status_code == 422 and "between 3 and 5" in r.text
    r = logged_in.post(
        url,
        data={
            "csrf_token": csrf_of(logged_in, path),
            "questions": ["how_was_it", "listened", "anything_else"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = _phone(client, api_headers, world.alex).get("/me").text
    assert 'name="listened"' in page and 'name="easy_to_get_there"' not in page
    assert "Anything else you want to tell us?" in page


def test_feedback_is_in_subject_access_and_goes_with_the_member(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    settings: Settings,
    world: World,
) -> None:
    phone = _phone(client, api_headers, world.alex)
    r = _send(
        phone,
        world.past_meeting_id,
        {"how_was_it": "2", "comment": "Too noisy"},
        ("n.wav", wav(), "audio/wav"),
    )
    assert r.status_code == 303
    mine = phone.get("/me/data.json").json()
    assert mine["feedback"][0]["comment"] == "Too noisy" and mine["feedback"][0]["voice_note"]
    assert "Too noisy" in phone.get("/me/data").text
    held = _api(client, api_headers, "GET", f"/api/v1/networks/members/{world.alex}/data")
    assert held["feedback"][0]["scores"] == {"how_was_it": 2}
    stored = Path(settings.media_dir) / (
        session.exec(select(FeedbackResponse)).one().voice_path or ""
    )
    assert stored.is_file()
    action = _action(client, api_headers, world, "Bring the leaflets", owner_member_id=world.alex)
    csrf = csrf_of(phone, "/me")
    r = phone.post(f"/me/actions/{action['id']}", data={"csrf_token": csrf, "status": "doing"})
    _api(client, api_headers, "POST", f"/api/v1/networks/members/{world.alex}/erase")
    assert session.exec(select(FeedbackResponse)).all() == []
    assert not stored.exists()
    # The action stays with the group, handed to the lead; the history keeps no name.
    (kept,) = _api(client, api_headers, "GET", f"/api/v1/networks/{world.network_id}/actions")[
        "items"
    ]
    assert kept["owner_member_id"] is None and kept["owner_name"] == "the lead"
    assert [h["by"] for h in kept["history"]] == ["the lead", "a member"]
    assert "Alexandra" not in json.dumps(kept)
