"""Subject access: everything held about a participant or a member, as JSON and as a page
the owner can read or print for them (issue 24)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.models.accounts import Facilitator
from tests.privacy.scene import NAME, OTHER, WORDS, build
from tests.privacy.test_erasure import _member_in_cafe


def test_a_participants_data_lists_their_cards_media_votes_and_quotes(
    logged_in: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(logged_in, api_headers, session, facilitator, settings.media_dir)
    path = f"/cafes/{scene.cafe_id}/people/{scene.alex_id}/data"

    r = logged_in.get(f"/api/v1{path.replace('/people/', '/participants/')}", headers=api_headers)

    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["display_name"], data["cafe_id"]) == (NAME, scene.cafe_id)
    assert [(s["round"], s["table"]) for s in data["seats"]] == [(1, data["seats"][0]["table"])]
    (card,) = data["cards"]
    assert (card["id"], card["text"], card["status"]) == (scene.alex_card, WORDS, "visible")
    (photo,) = card["media"]
    assert photo["kind"] == "photo" and photo["content_type"] == "image/png"
    assert [v["contribution_id"] for v in data["votes"]] == [scene.bo_card]
    assert [(q["version"], q["original_text"]) for q in data["quotes"]] == [(1, WORDS), (2, WORDS)]
    assert "secret" not in data and "join_key" not in data

    page = logged_in.get(path).text
    assert f"What we hold about {NAME}" in page
    assert f"“{WORDS}”" in page and "a photo (" in page and OTHER not in page
    r = logged_in.get(
        f"/api/v1/cafes/{scene.cafe_id}/participants/999999/data", headers=api_headers
    )
    assert r.status_code == 404


def test_a_members_data_lists_contact_details_attendance_and_cafes(
    logged_in: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    _, member_id, cafe_id = _member_in_cafe(logged_in, api_headers, session, facilitator)

    r = logged_in.get(f"/api/v1/networks/members/{member_id}/data", headers=api_headers)

    assert r.status_code == 200, r.text
    data = r.json()
    assert (data["email"], data["phone"]) == ("morgan.reede@example.org", "07700 900123")
    assert data["accessibility_needs"] == "Step-free access please"
    assert data["consent_given"] is True and data["consent_at"]
    (cafe,) = data["cafes"]
    assert cafe["cafe_id"] == cafe_id and [c["text"] for c in cafe["cards"]] == [WORDS]
    page = logged_in.get(f"/networks/members/{member_id}/data").text
    assert "morgan.reede@example.org" in page and f"“{WORDS}”" in page


def test_a_planned_seat_is_in_what_is_held_about_a_person(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    """The café's plan of its rounds ahead names people and tables (`seat_plan`): a person's
    planned seats are in their subject access data, marked as planned, and go with them."""
    from sqlmodel import select

    from app.live import plans
    from app.models.base import utcnow
    from app.models.cafe import SeatPlan
    from tests.factories import make_cafe, make_participant

    cafe = make_cafe(session, facilitator)
    people = [make_participant(session, cafe, f"Person {n}") for n in range(6)]
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    person = people[0]
    headers = api_headers
    data = client.get(
        f"/api/v1/cafes/{cafe.id}/participants/{person.id}/data", headers=headers
    ).json()
    assert [(s["round"], s["planned"]) for s in data["seats"]] == [
        (1, False),
        (2, True),
        (3, True),
    ]
    erased = client.post(f"/api/v1/cafes/{cafe.id}/participants/{person.id}/erase", headers=headers)
    assert erased.status_code == 200, erased.text
    left = session.exec(select(SeatPlan).where(SeatPlan.participant_id == person.id)).all()
    assert left == []
