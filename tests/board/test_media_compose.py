"""A photo or a voice note straight from the compose form (POST /p/{code}/compose): a card
may be a photo or voice note alone, a retry stores one card and one file, refusals are said
on the page with the words kept; and the host's table story."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from app.config import Settings
from app.models.evidence import Media
from app.services import media as media_service
from tests.board.test_board import (
    HTMX,
    contributions,
    join,
    seat,
    setup_two_tables,
    start,
    token,
)
from tests.board.test_media import CHROMIUM, FIXTURES, photo_with_gps


def compose(
    p: TestClient,
    code: str,
    *,
    text: str = "",
    photo: bytes | None = None,
    voice: bytes | None = None,
    client_id: str | None = None,
    htmx: bool = False,
    **fields: str,
) -> httpx.Response:
    files: dict[str, tuple[str, bytes, str]] = {
        # A form whose file was not chosen sends the part empty.
        "photo": ("IMG_0042.jpg", photo, "image/jpeg")
        if photo
        else ("", b"", "application/octet-stream"),
        "voice": ("memo.webm", voice, "audio/webm")
        if voice
        else ("", b"", "application/octet-stream"),
    }
    data = {
        "csrf_token": token(p, code),
        "client_id": client_id or uuid.uuid4().hex,
        "text": text,
        "kind": "idea",
        **fields,
    }
    return p.post(
        f"/p/{code}/compose",
        data=data,
        files=files,
        headers=HTMX if htmx else {},
        follow_redirects=False,
    )


def stored_files(media_dir: Path) -> list[Path]:
    return [p for p in media_dir.rglob("*") if p.is_file()]


def test_a_photo_alone_makes_a_card_without_its_metadata(
    client: TestClient, api_headers: dict[str, str], session: Session, settings: Settings
) -> None:
    cafe, ann, bo, cy = setup_two_tables(client, api_headers)
    code = cafe["code"]
    r = compose(ann, code, photo=photo_with_gps())
    assert r.status_code == 303, r.text
    card = contributions(session)[0]
    assert card.text == ""
    assert r.headers["location"] == f"/p/{code}#c-{card.id}"
    item = session.exec(select(Media)).one()
    assert (item.contribution_id, item.kind) == (card.id, "photo")
    assert "IMG_0042" not in item.path
    got = bo.get(f"/media/{item.id}")
    assert got.status_code == 200
    for marker in (b"Exif", b"PhoneMaker", b"Model 7"):
        assert marker not in got.content
    assert Image.open(io.BytesIO(got.content)).size == (20, 40)  # turned upright
    # The card at the table shows the photo; the other table's board does not.
    assert f'src="/media/{item.id}"' in bo.get(f"/p/{code}").text
    assert f'src="/media/{item.id}"' not in cy.get(f"/p/{code}").text
    assert stored_files(settings.media_dir) == [settings.media_dir / item.path]


def test_a_voice_note_with_a_caption_loses_its_tags(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    tagged = (FIXTURES / "tagged.webm").read_bytes()
    r = compose(ann, code, text="Said at the table", voice=tagged, htmx=True)
    assert r.status_code == 200, r.text
    card = contributions(session)[0]
    assert card.text == "Said at the table"
    item = session.exec(select(Media)).one()
    assert item.kind == "voice"
    assert f'src="/media/{item.id}"' in r.text  # the answer is the board with the card
    stored = bo.get(f"/media/{item.id}").content
    assert b"Acacia" in tagged
    for secret in (b"Acacia", b"LOCATION", b"ARTIST", b"\x12\x54\xc3\x67"):  # Tags
        assert secret not in stored


def test_a_photo_and_a_recorded_voice_note_on_one_card(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    r = compose(ann, cafe["code"], text="Both", photo=photo_with_gps(), voice=CHROMIUM)
    assert r.status_code == 303, r.text
    kinds = sorted(m.kind for m in session.exec(select(Media)))
    assert kinds == ["photo", "voice"]
    assert len(contributions(session)) == 1


def test_a_retried_media_post_stores_one_card_and_one_file(
    client: TestClient, api_headers: dict[str, str], session: Session, settings: Settings
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    client_id = uuid.uuid4().hex
    first = compose(ann, code, text="Once", photo=photo_with_gps(), client_id=client_id)
    again = compose(ann, code, text="Once", photo=photo_with_gps(), client_id=client_id)
    htmx = compose(ann, code, text="Once", photo=photo_with_gps(), client_id=client_id, htmx=True)
    assert (first.status_code, again.status_code, htmx.status_code) == (303, 303, 200)
    assert first.headers["location"] == again.headers["location"]
    assert len(contributions(session)) == 1
    assert len(list(session.exec(select(Media)))) == 1
    assert len(stored_files(settings.media_dir)) == 1


def test_text_only_through_the_multipart_form_posts_as_before(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """A phone without the script sends every card this way."""
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    r = compose(ann, cafe["code"], text="Typed only", kind="barrier")
    assert r.status_code == 303, r.text
    card = contributions(session)[0]
    assert (card.text, card.kind) == ("Typed only", "barrier")
    assert list(session.exec(select(Media))) == []


def test_refusals_are_said_on_the_page_and_keep_the_words(
    client: TestClient, api_headers: dict[str, str], session: Session, settings: Settings
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    empty = compose(ann, code)
    assert empty.status_code == 422
    assert "Write something before you send it." in empty.text
    wrong = compose(ann, code, text="Keep these words", photo=b"%PDF-1.4 not a photo" * 10)
    assert wrong.status_code == 415
    assert "This kind of file cannot be added" in wrong.text
    assert "Keep these words" in wrong.text  # the page, with the form as it was
    assert 'role="alert"' in wrong.text
    big = b"\xff\xd8\xff\xe0" + b"\0" * (media_service.PHOTO_MAX + 10)
    too_big = compose(ann, code, text="Still here", photo=big, htmx=True)
    assert too_big.status_code == 413
    assert "This photo is too large. Photos can be up to 8 MB." in too_big.text
    assert "Still here" in too_big.text  # the form comes back with the words
    bad_voice = compose(ann, code, text="Voice", voice=b"OggS" + b"\0" * 200)
    assert bad_voice.status_code == 415
    nul = compose(ann, code, text="Buses\x00 are late", photo=photo_with_gps())
    assert nul.status_code == 422
    assert "Text cannot hold control characters" in nul.text
    assert contributions(session) == []
    odd = compose(ann, code, text="Odd themes", photo=photo_with_gps(), themes="99999999999999")
    assert odd.status_code == 303
    assert len(list(session.exec(select(Media)))) == len(stored_files(settings.media_dir))


def test_who_may_post_media(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    stranger = TestClient(client.app, base_url=str(client.base_url))
    stranger.portal = client.portal
    refused = stranger.post(
        f"/p/{code}/compose",
        data={"client_id": uuid.uuid4().hex, "text": "x"},
        files={"photo": ("a.jpg", photo_with_gps(), "image/jpeg")},
        follow_redirects=False,
    )
    assert refused.status_code in {403, 303}
    no_token = ann.post(
        f"/p/{code}/compose",
        data={"client_id": uuid.uuid4().hex, "text": "x"},
        files={"photo": ("a.jpg", photo_with_gps(), "image/jpeg")},
        follow_redirects=False,
    )
    assert no_token.status_code == 403
    other_site = ann.post(
        f"/p/{code}/compose",
        data={"csrf_token": token(ann, code), "client_id": uuid.uuid4().hex},
        files={"photo": ("a.jpg", photo_with_gps(), "image/jpeg")},
        headers={"origin": "https://elsewhere.example"},
        follow_redirects=False,
    )
    assert other_site.status_code == 403
    assert contributions(session) == []


def test_the_compose_form_offers_photo_and_voice_and_works_without_script(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    page = ann.get(f"/p/{cafe['code']}").text
    assert f'action="/p/{cafe["code"]}/compose" enctype="multipart/form-data"' in page
    assert 'accept="image/*" capture="environment"' in page
    assert 'name="voice" accept="audio/*"' in page
    assert "Record a voice note" in page and "Stop recording" in page


# --- the host's table story ------------------------------------------------------------------


def make_host(
    client: TestClient, headers: dict[str, str], cafe: dict[str, Any], name: str, table: int
) -> None:
    people = client.get(f"/api/v1/cafes/{cafe['id']}/participants", headers=headers).json()
    pid = next(p["id"] for p in people if p["display_name"] == name)
    r = client.post(
        f"/api/v1/cafes/{cafe['id']}/participants/{pid}/host",
        json={"table_id": cafe["tables"][table - 1]["id"]},
        headers=headers,
    )
    assert r.status_code == 200, r.text


def test_the_host_sees_the_earlier_rounds_at_their_table(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, cy = setup_two_tables(client, api_headers)
    code = cafe["code"]
    make_host(client, api_headers, cafe, "Bo", 1)
    assert (
        compose(ann, code, text="Round one at table one", photo=photo_with_gps()).status_code == 303
    )
    assert compose(ann, code, text="Set aside later").status_code == 303
    assert compose(cy, code, text="Round one at table two").status_code == 303
    hidden = next(c for c in contributions(session) if c.text == "Set aside later")
    r = client.post(
        f"/api/v1/cafes/{cafe['id']}/contributions/{hidden.id}/hide",
        json={"note": ""},
        headers=api_headers,
    )
    assert r.status_code == 200, r.text
    before = bo.get(f"/p/{code}").text
    assert "said before" not in before  # round 1: nothing earlier yet
    start(client, api_headers, cafe)  # round 2
    seat(client, api_headers, cafe, {"Ann": 2, "Cy": 1})
    page = bo.get(f"/p/{code}").text
    story = page[page.index('id="table-story"') :]
    story = story[: story.index("</section>")]
    assert "Round 1: 1 card, 1 photo" in story
    assert "<details" in story
    assert "Round one at table one" in story
    assert "Round one at table two" not in story
    assert "Set aside later" not in story
    photo = session.exec(select(Media)).one()
    assert f'src="/media/{photo.id}"' in story
    fragment = bo.get(f"/p/{code}/story", headers=HTMX)
    assert fragment.status_code == 200
    assert "Round one at table one" in fragment.text
    # Not a host: no story, on the page or asked for.
    assert "Round one at table one" not in cy.get(f"/p/{code}/story", headers=HTMX).text
    assert 'id="table-story"' not in cy.get(f"/p/{code}").text
    assert bo.get(f"/p/{code}/story", follow_redirects=False).status_code == 303


def test_the_story_needs_a_phone_of_the_cafe(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe, _, _, _ = setup_two_tables(client, api_headers)
    stranger = join(client, setup_two_tables(client, api_headers)[0]["code"], "Dee")
    r = stranger.get(f"/p/{cafe['code']}/story", headers=HTMX, follow_redirects=False)
    assert r.status_code in {403, 303}
    assert "table-story" not in r.text or r.status_code != 200
