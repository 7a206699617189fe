"""Writing for someone without a phone through the API (issue 26 item 1): the card is the
person's (their role, evidence type and table), marked as written for them; the same
client id stores it once; nobody with a phone, and no bad words, get a card."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.evidence import Contribution
from tests.cafe.test_room_live import _cafe, _next, _phones


def test_the_api_writes_for_someone_without_a_phone_once(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe = _cafe(client, api_headers, names_visible=True)
    (guest,) = _phones(client, cafe["code"], 1)
    path = f"/api/v1/cafes/{cafe['id']}/participants"
    sam = client.post(path, json={"display_name": "Sam", "role": "carer"}, headers=api_headers)
    assert sam.status_code == 201, sam.text
    sam_id = sam.json()["id"]
    _next(client, cafe["id"], api_headers)
    body = {"text": "The bus never comes on time", "kind": "barrier", "client_id": "api-card-001"}
    r = client.post(f"{path}/{sam_id}/contributions", json=body, headers=api_headers)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["participant_id"] == sam_id and made["created"] is True
    again = client.post(f"{path}/{sam_id}/contributions", json=body, headers=api_headers)
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["contribution_id"] == made["contribution_id"]
    (card,) = session.exec(select(Contribution)).all()
    assert (card.participant_id, card.author_role, card.kind, card.written_for) == (
        sam_id,
        "carer",
        "barrier",
        True,
    )
    assert card.written_by_id is None  # the facilitator wrote it

    # Someone with a phone is not written for; bad words are refused in words.
    people = client.get(path, headers=api_headers).json()
    phone_id = next(p["id"] for p in people if p["id"] != sam_id)
    r = client.post(
        f"{path}/{phone_id}/contributions",
        json={**body, "client_id": "api-card-002"},
        headers=api_headers,
    )
    assert r.status_code == 404 and "without a phone" in r.json()["detail"]
    for bad in ({"text": ""}, {"text": "x" * 501}, {"client_id": "no spaces!"}, {"kind": "rant"}):
        r = client.post(f"{path}/{sam_id}/contributions", json={**body, **bad}, headers=api_headers)
        assert r.status_code == 422, bad
    assert len(session.exec(select(Contribution)).all()) == 1
    assert guest.get(f"/p/{cafe['code']}").status_code == 200
