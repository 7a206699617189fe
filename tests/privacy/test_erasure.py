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
