"""A network's café where Alexandra posts a card with a photo and a voice of support, votes,
and is quoted in a material's evidence (draft and published), for the erasure tests."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select as core_select
from sqlmodel import Session, SQLModel, select

from app.models.accounts import Facilitator
from app.models.cafe import Participant
from app.models.evidence import Contribution, Media
from tests.board.test_board import join, post, react
from tests.board.test_media import upload
from tests.material_setup import make_group_cafe, make_network

NAME = "Alexandra Quill"
WORDS = "The day centre bus never comes on a Tuesday morning"
OTHER = "Bo's own words about the library hours"


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Scene:
    network_id: int
    cafe_id: int
    code: str
    alex_id: int
    bo_card: int
    alex_card: int
    photo_path: Path
    material: str  # the material's API path

    def export(self, client: TestClient, headers: dict[str, str], number: int, fmt: str) -> str:
        r = client.get(
            f"{self.material}/versions/{number}/export", params={"format": fmt}, headers=headers
        )
        assert r.status_code == 200, r.text
        return docx_text(r.content) if fmt == "docx" else r.text

    def notes(self, client: TestClient, headers: dict[str, str], fmt: str) -> str:
        r = client.get(
            f"/api/v1/cafes/{self.cafe_id}/notes", params={"format": fmt}, headers=headers
        )
        assert r.status_code == 200, r.text
        return docx_text(r.content) if fmt == "docx" else r.text


def docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode()


def build(
    client: TestClient,
    headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    media_dir: Path,
) -> Scene:
    network = make_network(session, facilitator)
    cafe = make_group_cafe(session, facilitator, network, "North").cafe
    r = client.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=headers)
    assert r.status_code == 200, r.text
    # Both agreed to their words being used as evidence: so they can be merged and published.
    yes = {"evidence_consent": "yes"}
    alex, bo = join(client, cafe.code, NAME, **yes), join(client, cafe.code, "Bo", **yes)
    seats = client.get(f"/api/v1/cafes/{cafe.id}/seating", headers=headers).json()["seats"]
    at = {s["display_name"]: s for s in seats}
    r = client.post(
        f"/api/v1/cafes/{cafe.id}/participants/{at[NAME]['participant_id']}/move",
        json={"table_id": at["Bo"]["table_id"]},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert post(bo, cafe.code, OTHER).status_code == 303
    assert post(alex, cafe.code, WORDS).status_code == 303
    cards = {c.text: c.id for c in session.exec(select(Contribution))}
    assert upload(alex, cafe.code, cards[WORDS], photo(), "p.png", "image/png").status_code == 303
    assert react(alex, cafe.code, cards[OTHER], on="true").status_code == 200
    (media,) = session.exec(select(Media)).all()
    photo_path = media_dir / media.path
    assert photo_path.exists()
    person = session.exec(select(Participant).where(Participant.display_name == NAME)).one()
    base = f"/api/v1/networks/{network.id}/materials"
    body = f"# Ours\n\n## Findings\n\nSomeone told us: {WORDS}.\n"
    r = client.post(base, json={"title": "Ours", "markdown": body}, headers=headers)
    assert r.status_code == 201, r.text
    material = f"{base}/{r.json()['id']}"
    (section,) = client.get(f"{material}/versions/1/sections", headers=headers).json()["items"]
    evidence = f"{material}/versions/1/sections/{section['id']}/evidence"
    merged = {"contribution_ids": [cards[WORDS], cards[OTHER]]}
    assert client.post(evidence, json=merged, headers=headers).status_code == 201
    assert client.post(f"{material}/versions/1/publish", headers=headers).status_code == 200
    assert client.post(f"{material}/versions", headers=headers).status_code == 201
    return Scene(
        network.id, cafe.id, cafe.code, person.id, cards[OTHER], cards[WORDS], photo_path, material
    )


def everything(session: Session) -> str:
    """Every row of every table, as text."""
    rows: list[Any] = []
    for table in SQLModel.metadata.sorted_tables:
        rows.extend(session.connection().execute(core_select(table)).all())
    return "\n".join(map(str, rows))
