"""The photo upload route checks the join code and the person before it reads the body, with
the same guessing guard as the join page and the post route."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.evidence import Media
from app.services import media as media_service
from tests.board.test_board import phone, token
from tests.board.test_media import one_card, photo_with_gps, raw_upload, upload
from tests.conftest import csrf_of


def media_url(code: str, cid: int) -> str:
    return f"/p/{code}/contributions/{cid}/media"


def test_unknown_codes_on_the_upload_route_count_against_guessing(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """Each unknown code is a readable 404 that counts, as on the post route; once this
    browser's allowance (10) is used up the upload route and the join page both say 429.
    Ann is in the café, so her own uploads are never held up, and a neighbour still joins."""
    cafe, ann, _, _, cid = one_card(client, api_headers, session)
    code = cafe["code"]
    data = {"csrf_token": token(ann, code)}
    files = {"file": ("a.jpg", photo_with_gps(), "image/jpeg")}
    for _ in range(10):
        r = ann.post(media_url("ZZZZZZ", cid), data=data, files=files)
        assert r.status_code == 404, r.text
        assert "could not find a café" in r.text
    held = ann.post(media_url("ZZZZZZ", cid), data=data, files=files)
    assert held.status_code == 429
    assert "Please wait" in held.text
    assert ann.get("/j/ZZZZZZ").status_code == 429  # the join page holds this browser up too
    assert session.exec(select(Media)).all() == []
    # A person of the café carries on; someone else at the same address can still join.
    assert upload(ann, code, cid, photo_with_gps(), "a.jpg", "image/jpeg").status_code == 303
    assert phone(client).get(f"/j/{code}").status_code == 200


def test_a_stranger_is_refused_before_the_body_is_read(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """A valid code but no cookie: 403 (not 413 for the oversized body), and not a byte of
    the body taken."""
    cafe, _, _, _, cid = one_card(client, api_headers, session)
    code = cafe["code"]
    stranger = phone(client)
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (media_service.PHOTO_MAX + 10)
    r = stranger.post(
        media_url(code, cid),
        data={"csrf_token": csrf_of(stranger, "/")},
        files={"file": ("big.jpg", big, "image/jpeg")},
    )
    assert r.status_code == 403, r.text
    assert f"open /j/{code}" in r.text
    huge = 500 * 2**20
    status, taken, body = raw_upload(
        client, stranger, media_url(code, cid), b"\xff\xd8\xff\xe0", total=huge
    )
    assert status == 403
    assert taken == 0
    assert b"Please join this caf" in body
    assert session.exec(select(Media)).all() == []


def test_a_joined_phone_still_uploads(
    client: TestClient, api_headers: dict[str, str], session: Session, settings: Any
) -> None:
    cafe, ann, bo, _, cid = one_card(client, api_headers, session)
    code = cafe["code"]
    r = upload(ann, code, cid, photo_with_gps(), "IMG_0001.jpg", "image/jpeg")
    assert r.status_code == 303
    assert r.headers["location"] == f"/p/{code}#c-{cid}"
    item = session.exec(select(Media)).one()
    assert item.contribution_id == cid
    assert ann.get(f"/media/{item.id}").status_code == 200
    # Someone of the café who did not write it is still refused (after the body, as before).
    assert upload(bo, code, cid, photo_with_gps(), "b.jpg", "image/jpeg").status_code == 403
    # An upload from another site is still refused before anything else.
    foreign = ann.post(
        media_url(code, cid),
        data={"csrf_token": token(ann, code)},
        files={"file": ("a.jpg", photo_with_gps(), "image/jpeg")},
        headers={"origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert "another site" in foreign.text
