"""Reordering the rounds not started yet (issue 26 item 4): a round moves with its question,
minutes and tables' own questions, the rounds between shift by one, and a round that has
started neither moves nor is moved past; from the API and from the console."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import csrf_of
from tests.factories import cafe_payload

QUESTIONS = ["What does a good day look like?", "What gets in the way?", "What would you change?"]


def _cafe(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    rounds = [{"question": q, "minutes": 10 + 5 * i} for i, q in enumerate(QUESTIONS)]
    r = client.post(
        "/api/v1/cafes", json=cafe_payload(table_count=2, rounds=rounds), headers=headers
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _rounds(client: TestClient, cafe_id: int, headers: dict[str, str]) -> list[tuple[str, int]]:
    cafe = client.get(f"/api/v1/cafes/{cafe_id}", headers=headers).json()
    return [
        (r["question"], r["minutes"]) for r in sorted(cafe["rounds"], key=lambda r: r["number"])
    ]


def test_a_round_moves_with_its_question_minutes_and_tables_questions(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = _cafe(client, api_headers)
    url = f"/api/v1/cafes/{cafe['id']}/rounds"
    r = client.patch(
        f"{url}/3",
        json={"table_questions": [{"table": 2, "question": "Table 2: what would you change?"}]},
        headers=api_headers,
    )
    assert r.status_code == 200, r.text
    r = client.patch(f"{url}/3", json={"move_to": 1}, headers=api_headers)
    assert r.status_code == 200, r.text
    assert _rounds(client, cafe["id"], api_headers) == [
        (QUESTIONS[2], 20),
        (QUESTIONS[0], 10),
        (QUESTIONS[1], 15),
    ]
    first = client.patch(f"{url}/1", json={}, headers=api_headers).json()
    assert first["table_questions"] == {"2": "Table 2: what would you change?"}
    assert client.patch(f"{url}/3", json={}, headers=api_headers).json()["table_questions"] == {}
    # And back later: round 1 to the end.
    r = client.patch(f"{url}/1", json={"move_to": 3}, headers=api_headers)
    assert r.status_code == 200, r.text
    assert [q for q, _ in _rounds(client, cafe["id"], api_headers)] == [
        QUESTIONS[0],
        QUESTIONS[1],
        QUESTIONS[2],
    ]


def test_a_started_round_neither_moves_nor_is_moved_past(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = _cafe(client, api_headers)
    url = f"/api/v1/cafes/{cafe['id']}/rounds"
    r = client.post(f"{url}/next", headers=api_headers)
    assert r.status_code == 200, r.text
    r = client.patch(f"{url}/1", json={"move_to": 2}, headers=api_headers)
    assert r.status_code == 409 and "has started" in r.json()["detail"]
    r = client.patch(f"{url}/3", json={"move_to": 1}, headers=api_headers)
    assert r.status_code == 409 and "Round 1 has started" in r.json()["detail"]
    r = client.patch(f"{url}/3", json={"move_to": 9}, headers=api_headers)
    assert r.status_code == 404
    r = client.patch(f"{url}/3", json={"move_to": 0}, headers=api_headers)
    assert r.status_code == 422
    r = client.patch(f"{url}/3", json={"move_to": 2}, headers=api_headers)
    assert r.status_code == 200, r.text
    assert [q for q, _ in _rounds(client, cafe["id"], api_headers)] == [
        QUESTIONS[0],
        QUESTIONS[2],
        QUESTIONS[1],
    ]


def test_the_console_moves_a_round_earlier(
    logged_in: TestClient, api_headers: dict[str, str]
) -> None:
    client = logged_in
    cafe = _cafe(client, api_headers)
    console = f"/cafes/{cafe['id']}/console"
    page = client.get(console).text
    assert "Order of the rounds" in page
    assert re.search(r"Earlier<span class=\"visually-hidden\">: round 3 becomes round 2", page)
    token = csrf_of(client, console)
    action = f"/cafes/{cafe['id']}/room/rounds/3/move"
    r = client.post(action, data={"to": "2", "csrf_token": token}, follow_redirects=False)
    assert r.status_code in (200, 303), r.text
    assert [q for q, _ in _rounds(client, cafe["id"], api_headers)] == [
        QUESTIONS[0],
        QUESTIONS[2],
        QUESTIONS[1],
    ]
    r = client.post(action, data={"to": "nowhere", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 422 and "Choose where the round goes." in r.text
