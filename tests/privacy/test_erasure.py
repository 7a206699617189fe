"""Erasing a participant, a café, a member and a network: nothing of them left in any table,
file or export; copies of their words redacted where provenance is kept; the erasure logged
with counts only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.config import Settings
from app.models.accounts import Facilitator
from app.models.evidence import Contribution, Reaction
from app.models.material import EvidenceItem
from app.services.privacy.erasure import CAFE_ERASED, REQUESTED
from tests.privacy.scene import NAME, OTHER, WORDS, build, everything


def test_erasing_a_participant_leaves_nothing_of_them_but_redacted_provenance(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    assert NAME in everything(session) and WORDS in everything(session)

    r = client.post(
        f"/api/v1/cafes/{scene.cafe_id}/participants/{scene.alex_id}/erase", headers=api_headers
    )

    assert r.status_code == 200, r.text
    counts = r.json()
    assert (counts["participants"], counts["cards"], counts["photos"]) == (1, 1, 1)
    assert (counts["votes"], counts["voice_notes"], counts["evidence_items"]) == (1, 0, 2)
    session.expire_all()
    stored = everything(session)
    assert NAME not in stored and WORDS not in stored
    assert not scene.photo_path.exists()
    assert session.exec(select(Reaction)).all() == []  # Alex's vote on Bo's card
    # Bo's card and its evidence are untouched; Alex's are redacted in both versions.
    assert [c.text for c in session.exec(select(Contribution))] == [OTHER]
    items = session.exec(select(EvidenceItem).order_by(col(EvidenceItem.id))).all()
    assert sorted(i.original_text for i in items) == sorted([OTHER, REQUESTED] * 2)
    for number in (1, 2):
        for fmt in ("md", "docx", "json"):
            text = scene.export(client, api_headers, number, fmt)
            assert WORDS not in text and REQUESTED in text and OTHER in text
    for fmt in ("md", "docx", "csv", "json"):
        notes = scene.notes(client, api_headers, fmt)
        assert WORDS not in notes and NAME not in notes and OTHER in notes

    log = client.get("/api/v1/erasures", headers=api_headers).json()
    assert [(e["kind"], e["subject_id"], e["cards"]) for e in log] == [
        ("participant", scene.alex_id, 1)
    ]


def test_a_participant_of_another_cafe_is_not_found(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    other = client.post(
        "/api/v1/cafes",
        json={"title": "Other", "table_count": 1, "rounds": [{"question": "Q?"}]},
        headers=api_headers,
    ).json()

    r = client.post(
        f"/api/v1/cafes/{other['id']}/participants/{scene.alex_id}/erase", headers=api_headers
    )

    assert r.status_code == 404
    assert r.json() == {"detail": "No such person in this café."}
    session.expire_all()
    assert NAME in everything(session)


def test_erasing_a_cafe_removes_its_people_cards_and_files(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    scene = build(client, api_headers, session, facilitator, settings.media_dir)

    r = client.delete(f"/api/v1/cafes/{scene.cafe_id}", headers=api_headers)

    assert r.status_code == 204
    session.expire_all()
    stored = everything(session)
    assert NAME not in stored and WORDS not in stored and OTHER not in stored
    assert not scene.photo_path.exists()
    assert not (settings.media_dir / str(scene.cafe_id)).exists()
    assert client.get(f"/api/v1/cafes/{scene.cafe_id}", headers=api_headers).status_code == 404
    text = scene.export(client, api_headers, 1, "md")
    assert WORDS not in text and OTHER not in text and CAFE_ERASED in text
    (entry,) = client.get("/api/v1/erasures", headers=api_headers).json()
    assert (entry["kind"], entry["participants"], entry["cards"], entry["photos"]) == (
        "cafe",
        2,
        2,
        1,
    )


def _member_in_cafe(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> tuple[int, int, int]:
    """A member who joined a meeting's café through their invite and posted a card;
    returns the network, member and café ids."""
    from urllib.parse import parse_qs, urlsplit

    from tests.board.test_board import join, post
    from tests.material_setup import make_group_cafe, make_network

    network = make_network(session, facilitator)
    group = make_group_cafe(session, facilitator, network, "South")
    member = {
        "display_name": "Morgan Reede",
        "role": "carer",
        "email": "morgan.reede@example.org",
        "phone": "07700 900123",
        "accessibility_needs": "Step-free access please",
        "consent_given": True,
    }
    r = client.post(
        f"/api/v1/networks/groups/{group.group.id}/members", json=member, headers=api_headers
    )
    assert r.status_code == 201, r.text
    member_id = r.json()["id"]
    client.post(f"/api/v1/cafes/{group.cafe.id}/rounds/next", headers=api_headers)
    invites = client.get(
        f"/api/v1/networks/meetings/{group.meeting.id}/invites", headers=api_headers
    ).json()
    invite = parse_qs(urlsplit(invites["items"][0]["url"]).query)["invite"][0]
    phone = join(client, group.cafe.code, "Mo", invite=invite)
    assert post(phone, group.cafe.code, WORDS).status_code == 303
    return network.id, member_id, group.cafe.id


def test_erasing_a_member_removes_their_details_and_what_they_said(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    _, member_id, cafe_id = _member_in_cafe(client, api_headers, session, facilitator)
    assert "morgan.reede@example.org" in everything(session) and WORDS in everything(session)

    r = client.post(f"/api/v1/networks/members/{member_id}/erase", headers=api_headers)

    assert r.status_code == 200, r.text
    assert (r.json()["members"], r.json()["participants"], r.json()["cards"]) == (1, 1, 1)
    session.expire_all()
    stored = everything(session)
    for held in ("Morgan Reede", "morgan.reede", "07700 900123", "Step-free", "Mo'", WORDS):
        assert held not in stored
    assert (
        client.get(f"/api/v1/networks/members/{member_id}", headers=api_headers).status_code == 404
    )
    assert client.get(f"/api/v1/cafes/{cafe_id}", headers=api_headers).status_code == 200


def test_erasing_a_network_erases_its_members_and_keeps_its_cafes(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    network_id, _, cafe_id = _member_in_cafe(client, api_headers, session, facilitator)

    r = client.post(f"/api/v1/networks/{network_id}/erase", headers=api_headers)

    assert r.status_code == 200, r.text
    assert (r.json()["kind"], r.json()["members"], r.json()["cards"]) == ("network", 1, 1)
    session.expire_all()
    stored = everything(session)
    assert "Morgan Reede" not in stored and WORDS not in stored
    assert client.get(f"/api/v1/networks/{network_id}", headers=api_headers).status_code == 404
    assert client.get(f"/api/v1/cafes/{cafe_id}", headers=api_headers).status_code == 200


def test_the_member_page_says_what_erasing_removes_and_erases(
    logged_in: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    from tests.conftest import csrf_of

    _, member_id, _ = _member_in_cafe(logged_in, api_headers, session, facilitator)
    page = logged_in.get(f"/networks/members/{member_id}").text
    assert "1 card, 0 photos, 0 voice notes and 0 votes" in page

    r = logged_in.post(
        f"/networks/members/{member_id}/delete",
        data={
            "csrf_token": csrf_of(logged_in, f"/networks/members/{member_id}"),
            "confirm": "true",
        },
        follow_redirects=False,
    )

    assert r.status_code == 303
    session.expire_all()
    assert "Morgan Reede" not in everything(session) and WORDS not in everything(session)


def test_the_owner_erases_a_person_from_a_page_that_says_what_goes(
    logged_in: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    from tests.conftest import csrf_of

    scene = build(logged_in, api_headers, session, facilitator, settings.media_dir)
    console = logged_in.get(f"/cafes/{scene.cafe_id}/console").text
    here = f"/cafes/{scene.cafe_id}/people/{scene.alex_id}/erase"
    assert f'href="{here}"' in console
    page = logged_in.get(here).text
    assert (
        f"This removes {NAME}'s name, role and preferences, 1 card, 1 photo, "
        "0 voice notes and 1 vote; 2 quotes in materials will read" in page
    )
    unticked = logged_in.post(here, data={"csrf_token": csrf_of(logged_in, here)})
    assert unticked.status_code == 422
    assert "Tick the box to confirm that the person should be erased." in unticked.text
    assert scene.photo_path.exists()

    r = logged_in.post(
        here,
        data={"csrf_token": csrf_of(logged_in, here), "confirm": "true"},
        follow_redirects=False,
    )

    assert r.status_code == 303 and r.headers["location"] == f"/cafes/{scene.cafe_id}/console"
    assert not scene.photo_path.exists()
    session.expire_all()
    assert NAME not in everything(session)


def test_the_owner_erases_a_cafe_from_its_settings(
    logged_in: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    from tests.conftest import csrf_of

    scene = build(logged_in, api_headers, session, facilitator, settings.media_dir)
    here = f"/cafes/{scene.cafe_id}/erase"
    assert f'href="{here}"' in logged_in.get(f"/cafes/{scene.cafe_id}/settings").text
    assert "2 people&#39;s names, 2 cards, 1 photo, 0 voice notes and 1 vote" in (
        logged_in.get(here).text
    )

    r = logged_in.post(
        here,
        data={"csrf_token": csrf_of(logged_in, here), "confirm": "true"},
        follow_redirects=False,
    )

    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    assert logged_in.get(f"/cafes/{scene.cafe_id}/console").status_code == 404
    session.expire_all()
    assert NAME not in everything(session) and not scene.photo_path.exists()


def test_leaving_removes_the_name_and_on_request_everything_added(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    settings: Settings,
) -> None:
    from tests.board.test_board import join, post, token

    scene = build(client, api_headers, session, facilitator, settings.media_dir)
    cy = join(client, scene.code, "Cyrus Vantongeren")
    assert post(cy, scene.code, "Cyrus would like evening sessions please").status_code == 303
    page = cy.get(f"/p/{scene.code}").text
    assert "Also remove everything I added" in page

    left = cy.post(f"/p/{scene.code}/leave", data={"csrf_token": token(cy, scene.code)})
    assert "Your name has been removed" in left.text
    session.expire_all()
    assert "Cyrus Vantongeren" not in everything(session)
    assert "Cyrus would like evening sessions please" in everything(session)

    dana = join(client, scene.code, "Dana Okonkwo-Reyes")
    assert post(dana, scene.code, "Dana would like a quiet room").status_code == 303
    gone = dana.post(
        f"/p/{scene.code}/leave", data={"csrf_token": token(dana, scene.code), "erase": "true"}
    )
    assert "Your name and everything you added have been removed." in gone.text
    session.expire_all()
    assert "Dana" not in everything(session)
    log = client.get("/api/v1/erasures", headers=api_headers).json()
    assert [(e["kind"], e["cards"]) for e in log] == [("participant", 1)]
