"""Reshaping the room live (issue 26): tables added, changed and removed, questions changed,
a message to every phone, people without phones, and a phone asking for help."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.cafe import Participant
from app.models.evidence import Contribution
from app.models.room import HelpRequest
from app.services.cafe import room as room_service
from tests.cafe.test_participant import join, phone
from tests.conftest import csrf_of
from tests.factories import cafe_payload


def _cafe(client: TestClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    r = client.post(
        "/api/v1/cafes",
        json=cafe_payload(table_count=2, table_capacity=4, **extra),
        headers=headers,
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _phones(client: TestClient, code: str, n: int) -> list[TestClient]:
    out = []
    for i in range(n):
        p = phone(client)
        assert join(p, code, f"Person {i + 1}").status_code == 303  # type: ignore[attr-defined]
        out.append(p)
    return out


def _next(client: TestClient, cafe_id: int, headers: dict[str, str]) -> None:
    r = client.post(f"/api/v1/cafes/{cafe_id}/rounds/next", headers=headers)
    assert r.status_code == 200, r.text


def _seating(client: TestClient, cafe_id: int, headers: dict[str, str]) -> dict[str, Any]:
    """The round's seating as tables (every table of the café, with its people's ids)."""
    r = client.get(f"/api/v1/cafes/{cafe_id}/seating", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    cafe = client.get(f"/api/v1/cafes/{cafe_id}", headers=headers).json()
    tables = [
        {
            "id": t["id"],
            "name": t["name"],
            "people": [
                {"id": s["participant_id"]} for s in body["seats"] if s["table_id"] == t["id"]
            ],
        }
        for t in cafe["tables"]
    ]
    return {"tables": tables, "unseated": [{"id": i} for i in body["unseated"]]}


def test_a_table_added_mid_cafe_seats_the_people_without_a_seat_next_round(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = _cafe(client, api_headers)
    _phones(client, cafe["code"], 10)  # 8 seats for 10 people
    _next(client, cafe["id"], api_headers)
    first = _seating(client, cafe["id"], api_headers)
    assert len(first["unseated"]) == 2
    # The plan of round 2 kept for the room of 2 tables must not be used once it changes.
    r = client.post(
        f"/api/v1/cafes/{cafe['id']}/tables",
        json={"name": "Garden room", "capacity": 4},
        headers=api_headers,
    )
    assert r.status_code == 201, r.text
    added = r.json()
    assert (added["number"], added["name"], added["capacity"]) == (3, "Garden room", 4)
    _next(client, cafe["id"], api_headers)
    second = _seating(client, cafe["id"], api_headers)
    assert second["unseated"] == []
    garden = [t for t in second["tables"] if t["name"] == "Garden room"]
    assert garden and len(garden[0]["people"]) >= 2
    # Nobody waited twice: the two without a seat in round 1 have one in round 2.
    seated = {p["id"] for t in second["tables"] for p in t["people"]}
    assert {p["id"] for p in first["unseated"]} <= seated


def test_a_tables_seats_change_but_not_below_who_sits_there(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = _cafe(client, api_headers)
    _phones(client, cafe["code"], 6)
    _next(client, cafe["id"], api_headers)
    table = next(t for t in _seating(client, cafe["id"], api_headers)["tables"] if t["people"])
    path = f"/api/v1/cafes/{cafe['id']}/tables/{table['id']}"
    r = client.patch(path, json={"capacity": 2}, headers=api_headers)
    assert r.status_code == 409
    assert "move some of them first" in r.json()["detail"]
    r = client.patch(path, json={"capacity": 6, "name": "By the window"}, headers=api_headers)
    assert r.status_code == 200, r.text
    assert (r.json()["capacity"], r.json()["name"]) == (6, "By the window")
    assert client.patch(path, json={"capacity": 1}, headers=api_headers).status_code == 422
    assert client.patch(path, json={"capacity": "x"}, headers=api_headers).status_code == 422
    other = _cafe(client, api_headers)
    wrong = f"/api/v1/cafes/{other['id']}/tables/{table['id']}"
    assert client.patch(wrong, json={"capacity": 5}, headers=api_headers).status_code == 404


def test_a_table_with_people_or_a_past_is_not_removed(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = _cafe(client, api_headers)
    _phones(client, cafe["code"], 3)
    _next(client, cafe["id"], api_headers)
    spare = client.post(
        f"/api/v1/cafes/{cafe['id']}/tables", json={"capacity": 4}, headers=api_headers
    ).json()
    assert spare["name"] == "Table 3"
    tables = _seating(client, cafe["id"], api_headers)["tables"]
    busy = next(t for t in tables if t["people"])
    r = client.delete(f"/api/v1/cafes/{cafe['id']}/tables/{busy['id']}", headers=api_headers)
    assert r.status_code == 409
    assert "Move them to other tables first" in r.json()["detail"]
    empty = next(t for t in tables if not t["people"])
    r = client.delete(f"/api/v1/cafes/{cafe['id']}/tables/{empty['id']}", headers=api_headers)
    assert r.status_code == 204, r.text
    names = [
        t["name"]
        for t in client.get(f"/api/v1/cafes/{cafe['id']}", headers=api_headers).json()["tables"]
    ]
    assert empty["name"] not in names and len(names) == 2
    # Round 2 moves people on; the table they sat at in round 1 keeps its past.
    _next(client, cafe["id"], api_headers)
    now = _seating(client, cafe["id"], api_headers)["tables"]
    past = next((t for t in now if not t["people"]), None)
    if past is not None:
        r = client.delete(f"/api/v1/cafes/{cafe['id']}/tables/{past['id']}", headers=api_headers)
        assert r.status_code == 409
        assert "earlier round" in r.json()["detail"]


def test_a_rounds_questions_change_and_phones_show_the_new_one(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = _cafe(client, api_headers)
    (p,) = _phones(client, cafe["code"], 1)
    _next(client, cafe["id"], api_headers)
    base = f"/api/v1/cafes/{cafe['id']}/rounds"
    r = client.patch(
        f"{base}/1", json={"question": "What matters most today?"}, headers=api_headers
    )
    assert r.status_code == 200, r.text
    assert "What matters most today?" in p.get(f"/p/{cafe['code']}").text
    r = client.patch(f"{base}/1", json={"minutes": 30}, headers=api_headers)
    assert r.status_code == 409 and "+5 minutes" in r.json()["detail"]
    r = client.patch(
        f"{base}/2",
        json={"minutes": 15, "table_questions": [{"table": 2, "question": "Who helps you?"}]},
        headers=api_headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["minutes"] == 15
    assert r.json()["table_questions"] == {"2": "Who helps you?"}
    bad = {"table_questions": [{"table": 9, "question": "Nowhere?"}]}
    assert client.patch(f"{base}/2", json=bad, headers=api_headers).status_code == 422
    assert client.patch(f"{base}/7", json={"question": "x"}, headers=api_headers).status_code == 404
    assert (
        client.patch(f"{base}/2", json={"question": "  "}, headers=api_headers).status_code == 422
    )
    _next(client, cafe["id"], api_headers)
    r = client.patch(f"{base}/1", json={"question": "Too late"}, headers=api_headers)
    assert r.status_code == 409
    read = client.get(f"/api/v1/cafes/{cafe['id']}", headers=api_headers).json()
    assert read["rounds"][1]["table_questions"] == {"2": "Who helps you?"}
    assert read["rounds"][0]["question"] == "What matters most today?"


def test_a_broadcast_shows_on_top_of_every_phone_page(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = _cafe(client, api_headers)
    phones = _phones(client, cafe["code"], 2)
    path = f"/api/v1/cafes/{cafe['id']}/broadcast"
    assert client.post(path, json={"text": "   "}, headers=api_headers).status_code == 422
    assert client.post(path, json={"text": "x" * 281}, headers=api_headers).status_code == 422
    r = client.post(path, json={"text": "Tea is <ready> in the hall"}, headers=api_headers)
    assert r.status_code == 201, r.text
    for p in phones:
        page = p.get(f"/p/{cafe['code']}").text
        top = page.split('id="room-broadcast"')[1].split("</div></div>")[0]
        assert "Tea is &lt;ready&gt; in the hall" in top
        assert 'role="status"' in page.split('id="room-broadcast"')[0][-80:] + top[:60]
        assert "Dismiss" in top


def test_a_person_without_a_phone_is_seated_and_shown_as_such(
    client: TestClient,
    api_headers: dict[str, str],
    logged_in: TestClient,
    session: Session,
) -> None:
    cafe = _cafe(client, api_headers)
    _phones(client, cafe["code"], 3)
    _next(client, cafe["id"], api_headers)
    path = f"/api/v1/cafes/{cafe['id']}/participants"
    r = client.post(path, json={"display_name": "Sam", "role": "carer"}, headers=api_headers)
    assert r.status_code == 201, r.text
    sam = r.json()
    assert (sam["display_name"], sam["role"], sam["no_phone"]) == ("Sam", "carer", True)
    assert client.post(path, json={"display_name": ""}, headers=api_headers).status_code == 422
    bad_role = {"display_name": "Jo", "role": "boss"}
    assert client.post(path, json=bad_role, headers=api_headers).status_code == 422
    seated = {
        p["id"] for t in _seating(client, cafe["id"], api_headers)["tables"] for p in t["people"]
    }
    assert sam["id"] in seated
    console = logged_in.get(f"/cafes/{cafe['id']}/console").text
    assert "no phone" in console
    assert "Sam" not in console  # this café does not show names
    # The printed room kit (the facilitator's own) seats them by name.
    assert "<li>Sam</li>" in logged_in.get(f"/cafes/{cafe['id']}/kit").text
    data = client.get(f"{path}/{sam['id']}/data", headers=api_headers).json()
    assert data["no_phone"] is True
    r = client.post(f"{path}/{sam['id']}/erase", headers=api_headers)
    assert r.status_code == 200, r.text
    assert room_service.without_phones(session=session, cafe=_row(session, cafe["id"])) == []


def _row(session: Session, cafe_id: int) -> Any:
    from app.models.cafe import Cafe

    return session.get(Cafe, cafe_id)


def test_the_console_adds_a_person_without_a_phone_and_keeps_what_was_typed(
    logged_in: TestClient, api_headers: dict[str, str], client: TestClient
) -> None:
    cafe = _cafe(client, api_headers, names_visible=True)
    token = csrf_of(logged_in, f"/cafes/{cafe['id']}/console")
    r = logged_in.post(
        f"/cafes/{cafe['id']}/room/people",
        data={"csrf_token": token, "display_name": "x" * 41, "role": "carer"},
    )
    assert r.status_code == 422
    assert "up to 40 characters" in r.text and "x" * 41 in r.text
    r = logged_in.post(
        f"/cafes/{cafe['id']}/room/people",
        data={"csrf_token": token, "display_name": "Sam", "role": "carer", "cannot_move": "true"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    people = client.get(f"/api/v1/cafes/{cafe['id']}/participants", headers=api_headers).json()
    assert [(p["display_name"], p["no_phone"], p["cannot_move"]) for p in people] == [
        ("Sam", True, True)
    ]
    console = logged_in.get(f"/cafes/{cafe['id']}/console").text
    assert "Sam" in console and "no phone" in console


def test_the_console_reshapes_the_room(
    logged_in: TestClient, api_headers: dict[str, str], client: TestClient
) -> None:
    cafe = _cafe(client, api_headers)
    (p,) = _phones(client, cafe["code"], 1)
    _next(client, cafe["id"], api_headers)
    token = csrf_of(logged_in, f"/cafes/{cafe['id']}/console")
    base = f"/cafes/{cafe['id']}/room"
    hx = {"HX-Request": "true"}
    r = logged_in.post(f"{base}/tables", data={"csrf_token": token, "capacity": "99"}, headers=hx)
    assert r.status_code == 422 and "from 2 to 30" in r.text
    r = logged_in.post(f"{base}/tables", data={"csrf_token": token, "capacity": "5"}, headers=hx)
    assert r.status_code == 200 and "Table 3" in r.text
    r = logged_in.post(
        f"{base}/question",
        data={"csrf_token": token, "round": "1", "table": "", "question": "What is working well?"},
        headers=hx,
    )
    assert r.status_code == 200, r.text
    assert "What is working well?" in p.get(f"/p/{cafe['code']}").text
    r = logged_in.post(
        f"{base}/question", data={"csrf_token": token, "round": "1", "question": ""}, headers=hx
    )
    assert r.status_code == 422 and "up to 500 characters" in r.text
    r = logged_in.post(
        f"{base}/broadcast", data={"csrf_token": token, "text": "Five minutes left"}, headers=hx
    )
    assert r.status_code == 200 and "Last sent at" in r.text
    assert "Five minutes left" in p.get(f"/p/{cafe['code']}").text
    tables = client.get(f"/api/v1/cafes/{cafe['id']}", headers=api_headers).json()["tables"]
    third = next(t for t in tables if t["name"] == "Table 3")
    r = logged_in.post(
        f"{base}/tables/{third['id']}/remove", data={"csrf_token": token}, headers=hx
    )
    assert r.status_code == 200 and "Table 3" not in r.text
    r = logged_in.post(
        f"{base}/tables/{tables[0]['id']}",
        data={"csrf_token": token, "capacity": "7"},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_a_phone_asks_for_help_once_and_hears_it_was_seen(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, session: Session
) -> None:
    cafe = _cafe(client, api_headers)
    (p,) = _phones(client, cafe["code"], 1)
    _next(client, cafe["id"], api_headers)
    page = p.get(f"/p/{cafe['code']}").text
    assert "Ask for help" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    for _ in range(3):
        r = p.post(
            f"/p/{cafe['code']}/help",
            data={"csrf_token": token.group(1)},
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 200 and "We told the facilitator" in r.text
    asked = session.exec(select(HelpRequest)).all()
    assert len(asked) == 1  # one open request per phone
    console = logged_in.get(f"/cafes/{cafe['id']}/console").text
    table = _seating(client, cafe["id"], api_headers)["tables"]
    name = next(t["name"] for t in table if t["people"])
    assert f"{name} asks for help" in console
    assert "We told the facilitator" in p.get(f"/p/{cafe['code']}").text
    ctoken = csrf_of(logged_in, f"/cafes/{cafe['id']}/console")
    r = logged_in.post(
        f"/cafes/{cafe['id']}/room/help/{asked[0].id}/seen?from=console",
        data={"csrf_token": ctoken},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "Nobody is asking for help" in r.text
    again = p.get(f"/p/{cafe['code']}").text
    assert "has seen your request" in again and "Ask for help again" in again
    r = client.post(f"/api/v1/cafes/{cafe['id']}/help/{asked[0].id}/seen", headers=api_headers)
    assert r.status_code == 200 and r.json()["seen_at"]
    assert (
        client.post(f"/api/v1/cafes/{cafe['id']}/help/999999/seen", headers=api_headers).status_code
        == 404
    )
    # A phone that has not joined is sent to join.
    stranger = phone(client)
    r = stranger.post(
        f"/p/{cafe['code']}/help",
        data={"csrf_token": csrf_of(stranger, f"/j/{cafe['code']}")},
        follow_redirects=False,
    )
    assert r.status_code in {303, 403}
    # Their requests are part of what is held about them, and go with them.
    pid = asked[0].participant_id
    data = client.get(
        f"/api/v1/cafes/{cafe['id']}/participants/{pid}/data", headers=api_headers
    ).json()
    assert len(data["help_requests"]) == 1
    assert (
        client.post(
            f"/api/v1/cafes/{cafe['id']}/participants/{pid}/erase", headers=api_headers
        ).status_code
        == 200
    )
    session.expire_all()
    assert session.exec(select(HelpRequest)).all() == []


def test_a_closed_cafe_does_not_change(client: TestClient, api_headers: dict[str, str]) -> None:
    cafe = _cafe(client, api_headers)
    assert client.post(f"/api/v1/cafes/{cafe['id']}/close", headers=api_headers).status_code == 200
    base = f"/api/v1/cafes/{cafe['id']}"
    assert client.post(f"{base}/tables", json={}, headers=api_headers).status_code == 409
    assert (
        client.post(f"{base}/broadcast", json={"text": "hi"}, headers=api_headers).status_code
        == 409
    )
    r = client.post(f"{base}/participants", json={"display_name": "Sam"}, headers=api_headers)
    assert r.status_code == 409


def test_with_more_people_than_seats_everyone_waits_once_before_anyone_twice(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient
) -> None:
    """13 people, 12 seats, 4 rounds: a different person waits each round (before, the same
    person waited in every round), and the console offers a table when someone waits."""
    rounds = [{"question": f"Question {n}?", "minutes": 10} for n in range(1, 5)]
    r = client.post(
        "/api/v1/cafes",
        json=cafe_payload(table_count=3, table_capacity=4, rounds=rounds),
        headers=api_headers,
    )
    cafe = r.json()
    _phones(client, cafe["code"], 13)
    waited: list[int] = []
    for number in range(1, 5):
        _next(client, cafe["id"], api_headers)
        (who,) = _seating(client, cafe["id"], api_headers)["unseated"]
        waited.append(who["id"])
        if number == 1:
            console = logged_in.get(f"/cafes/{cafe['id']}/console").text
            assert "1 person has no seat this round" in console
            assert console.count("Add a table") >= 2  # the offer, and the tables' own form
    assert len(set(waited)) == 4, waited


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_facilitator_and_a_host_write_for_someone_without_a_phone(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, session: Session
) -> None:
    cafe = _cafe(client, api_headers, names_visible=True)
    host = phone(client)
    link = cafe["tables"][0]["host_url"].removeprefix("http://testserver")
    page = host.get(link).text
    r = host.post(
        f"/j/{cafe['code']}",
        data={"display_name": "Hana", "csrf_token": _csrf(page), "host": link.split("host=")[1]},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    (guest,) = _phones(client, cafe["code"], 1)
    path = f"/api/v1/cafes/{cafe['id']}/participants"
    sam = client.post(
        path, json={"display_name": "Sam", "role": "carer"}, headers=api_headers
    ).json()
    _next(client, cafe["id"], api_headers)
    # Sam sits at the host's table (moved there if the planner put them elsewhere).
    r = client.post(
        f"{path}/{sam['id']}/move", json={"table_id": cafe["tables"][0]["id"]}, headers=api_headers
    )
    assert r.status_code == 200, r.text

    # The host's phone offers to write for Sam; the card is Sam's, written by the host.
    page = host.get(f"/p/{cafe['code']}").text
    assert "Write for someone without a phone" in page
    client_id = re.search(r'name="client_id" value="([^"]+)"', page.split('id="write-for"')[1])
    assert client_id
    form = {
        "csrf_token": _csrf(page),
        "person_id": str(sam["id"]),
        "text": "The bus never comes on time",
        "client_id": client_id.group(1),
    }
    for _ in range(2):  # sent twice: one card
        r = host.post(f"/p/{cafe['code']}/write-for", data=form, follow_redirects=False)
        assert r.status_code == 303, r.text
    cards = session.exec(select(Contribution)).all()
    assert len(cards) == 1
    (card,) = cards
    assert (card.participant_id, card.author_role, card.evidence_type) == (
        sam["id"],
        "carer",
        "lived_experience",
    )
    hana = session.exec(select(Participant).where(Participant.display_name == "Hana")).one()
    assert (card.written_for, card.written_by_id) == (True, hana.id)
    board = host.get(f"/p/{cafe['code']}").text
    assert "Written for Sam" in board

    # Someone who is not the host of Sam's table may not.
    page = guest.get(f"/p/{cafe['code']}").text
    assert "Write for someone without a phone" not in page
    r = guest.post(
        f"/p/{cafe['code']}/write-for",
        data={**form, "csrf_token": _csrf(page), "client_id": "another-one"},
        follow_redirects=False,
    )
    assert r.status_code == 403

    # The facilitator writes for Sam from the console.
    console = logged_in.get(f"/cafes/{cafe['id']}/console").text
    assert "Write for one of them" in console
    cid = re.search(r'name="client_id" value="([^"]+)"', console.split('id="cwf-person"')[0][-600:])
    assert cid
    token = csrf_of(logged_in, f"/cafes/{cafe['id']}/console")
    r = logged_in.post(
        f"/cafes/{cafe['id']}/room/write-for",
        data={"csrf_token": token, "person_id": "", "text": "x", "client_id": cid.group(1)},
    )
    assert r.status_code == 422 and "Choose who it is for" in r.text
    r = logged_in.post(
        f"/cafes/{cafe['id']}/room/write-for",
        data={
            "csrf_token": token,
            "person_id": str(sam["id"]),
            "text": "More buses in the evening",
            "client_id": cid.group(1),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    session.expire_all()
    mine = session.exec(
        select(Contribution).where(Contribution.text == "More buses in the evening")
    ).one()
    assert (mine.participant_id, mine.written_for, mine.written_by_id) == (sam["id"], True, None)


def test_a_round_is_added_after_the_last_one(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient
) -> None:
    cafe = _cafe(client, api_headers)
    _phones(client, cafe["code"], 3)
    _next(client, cafe["id"], api_headers)
    path = f"/api/v1/cafes/{cafe['id']}/rounds"
    r = client.post(path, json={"question": "What next?", "minutes": 15}, headers=api_headers)
    assert r.status_code == 201, r.text
    assert (r.json()["number"], r.json()["question"], r.json()["status"]) == (
        4,
        "What next?",
        "planned",
    )
    assert client.post(path, json={"question": " "}, headers=api_headers).status_code == 422
    token = csrf_of(logged_in, f"/cafes/{cafe['id']}/console")
    hx = {"HX-Request": "true"}
    r = logged_in.post(
        f"/cafes/{cafe['id']}/room/rounds",
        data={"csrf_token": token, "question": "And after that?", "minutes": "500"},
        headers=hx,
    )
    assert r.status_code == 422 and "from 1 to 180" in r.text and "And after that?" in r.text
    r = logged_in.post(
        f"/cafes/{cafe['id']}/room/rounds",
        data={"csrf_token": token, "question": "And after that?", "minutes": "10"},
        headers=hx,
    )
    assert r.status_code == 200 and "The round was added" in r.text
    rounds = client.get(f"/api/v1/cafes/{cafe['id']}", headers=api_headers).json()["rounds"]
    assert [x["question"] for x in rounds[3:]] == ["What next?", "And after that?"]
    console = logged_in.get(f"/cafes/{cafe['id']}/console").text
    assert "Round 1 of 5" in console
