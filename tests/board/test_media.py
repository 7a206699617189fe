"""Photos and voice notes: checked by content, size limits, metadata stripped, private."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any, BinaryIO

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select
from starlette.types import Message

from app.config import Settings
from app.models.evidence import Media
from app.services import media as media_service
from tests.board.test_board import (
    board_of,
    contributions,
    join,
    new_cafe,
    post,
    setup_two_tables,
    token,
)
from tests.conftest import csrf_of
from tests.factories import PASSWORD, make_facilitator

GPS_IFD = 0x8825
FIXTURES = Path(__file__).parent / "fixtures"
# One second recorded by Chromium's MediaRecorder (WebM/Opus), as the phone page records.
CHROMIUM = (FIXTURES / "chromium-mediarecorder.webm").read_bytes()
WEBM_HEAD = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"
)


def photo_with_gps(width: int = 40, height: int = 20, fmt: str = "JPEG") -> bytes:
    """A photo carrying a GPS position, a camera name and a sideways orientation."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model 7"  # Model
    exif[0x0112] = 6  # Orientation: turn 90° to show upright
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the GPS is really there
    return data


def upload(
    p: TestClient, code: str, cid: int, data: bytes, name: str, content_type: str
) -> httpx.Response:
    return p.post(
        f"/p/{code}/contributions/{cid}/media",
        data={"csrf_token": token(p, code)},
        files={"file": (name, data, content_type)},
        follow_redirects=False,
    )


def one_card(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> tuple[dict[str, Any], TestClient, TestClient, TestClient, int]:
    cafe, ann, bo, cy = setup_two_tables(client, api_headers)
    assert post(ann, cafe["code"], "Our paper tablecloth").status_code == 303
    cid = contributions(session)[0].id
    assert cid is not None
    return cafe, ann, bo, cy, cid


def test_photo_metadata_is_stripped(
    client: TestClient, api_headers: dict[str, str], session: Session, settings: Settings
) -> None:
    cafe, ann, bo, _, cid = one_card(client, api_headers, session)
    code = cafe["code"]
    original = photo_with_gps()
    r = upload(ann, code, cid, original, "IMG_0001.jpg", "image/jpeg")
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/p/{code}#c-{cid}"
    item = session.exec(select(Media)).one()
    assert (item.kind, item.content_type) == ("photo", "image/jpeg")
    assert "IMG_0001" not in item.path  # a random name, never the uploaded one
    assert (settings.media_dir / item.path).is_file()
    assert f'href="/media/{item.id}"' in bo.get(f"/p/{code}").text
    got = bo.get(f"/media/{item.id}")
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    for marker in (b"Exif", b"PhoneMaker", b"Model 7"):
        assert marker not in got.content
    image = Image.open(io.BytesIO(got.content))
    assert not image.getexif()
    assert "exif" not in image.info
    assert image.size == (20, 40)  # turned upright before the orientation tag was dropped


def test_png_and_webp_are_cleaned_too(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, _, _, cid = one_card(client, api_headers, session)
    code = cafe["code"]
    for fmt, content_type in (("PNG", "image/png"), ("WEBP", "image/webp")):
        r = upload(ann, code, cid, photo_with_gps(fmt=fmt), f"x.{fmt.lower()}", content_type)
        assert r.status_code == 303, r.text
        item = session.exec(select(Media)).one()  # the new photo replaced the old one
        assert item.content_type == content_type
        got = ann.get(f"/media/{item.id}").content
        image = Image.open(io.BytesIO(got))
        assert image.format == fmt
        assert not image.getexif()
        assert b"PhoneMaker" not in got


def test_voice_note_upload_and_download(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, _, cid = one_card(client, api_headers, session)
    audio = CHROMIUM
    r = upload(ann, cafe["code"], cid, audio, "note.webm", "audio/webm")
    assert r.status_code == 303, r.text
    item = session.exec(select(Media)).one()
    assert (item.kind, item.content_type) == ("voice", "audio/webm")
    got = bo.get(f"/media/{item.id}")
    assert got.content == audio
    assert got.headers["content-type"] == "audio/webm"
    assert "Listen to the voice note" in bo.get(f"/p/{cafe['code']}").text


def test_the_author_finds_how_to_add_a_photo_on_the_card(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """A card just written says, to its author only, where to add a photo or voice note."""
    cafe, ann, bo, _, cid = one_card(client, api_headers, session)
    code = cafe["code"]
    link = f'href="/p/{code}/contributions/{cid}/edit#media">Add a photo or voice note'
    assert link in board_of(ann, code)
    assert "Add a photo" not in board_of(bo, code)  # a tablemate's view of the card
    edit = ann.get(f"/p/{code}/contributions/{cid}/edit").text
    section = edit[edit.index('id="media"') :]
    assert 'type="file"' in section and "Photo and voice note" in section
    assert upload(ann, code, cid, photo_with_gps(), "t.jpg", "image/jpeg").status_code == 303
    board = board_of(ann, code)
    assert "See the photo" in board and "Add a voice note" in board
    assert upload(ann, code, cid, CHROMIUM, "note.webm", "audio/webm").status_code == 303
    board = board_of(ann, code)
    assert "Listen to the voice note" in board and "Add a" not in board


def test_the_type_is_read_from_the_content(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, _, _, cid = one_card(client, api_headers, session)
    code = cafe["code"]
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    cases = [
        (b"<script>alert(1)</script>" * 10, "photo.jpg", "image/jpeg"),
        (gif.getvalue(), "photo.png", "image/png"),
        (b"%PDF-1.7\n" + b"0" * 200, "notes.webm", "audio/webm"),
    ]
    for data, name, content_type in cases:
        r = upload(ann, code, cid, data, name, content_type)
        assert r.status_code == 415, (name, r.status_code)
        assert "Photos can be JPEG, PNG or WebP" in r.text
    broken = upload(ann, code, cid, b"\xff\xd8\xff\xe0" + b"\x00" * 500, "a.jpg", "image/jpeg")
    assert broken.status_code == 415
    assert "could not be read" in broken.text
    empty = upload(ann, code, cid, b"", "a.jpg", "image/jpeg")
    assert empty.status_code == 422
    assert session.exec(select(Media)).all() == []


def test_size_limits_are_413_with_a_clear_message(
    client: TestClient, api_headers: dict[str, str], session: Session, settings: Settings
) -> None:
    cafe, ann, _, _, cid = one_card(client, api_headers, session)
    code = cafe["code"]
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * (media_service.PHOTO_MAX + 10)
    r = upload(ann, code, cid, photo, "big.jpg", "image/jpeg")
    assert r.status_code == 413
    assert "Photos can be up to 8 MB" in r.text
    voice = WEBM_HEAD + b"\x00" * (media_service.VOICE_MAX + 10)
    r = upload(ann, code, cid, voice, "long.webm", "audio/webm")
    assert r.status_code == 413
    assert "Voice notes can be up to 10 MB" in r.text
    # A 9 MB voice note is fine where a 9 MB photo is not.
    padding = 9 * 2**20
    void = b"\xec\x01" + padding.to_bytes(7, "big") + bytes(padding)  # a Void element
    ok = upload(ann, code, cid, CHROMIUM + void, "ok.webm", "audio/webm")
    assert ok.status_code == 303
    assert len(session.exec(select(Media)).all()) == 1
    leftovers = [p for p in settings.media_dir.rglob("*") if p.is_file()]
    assert len(leftovers) == 1  # refused uploads leave nothing behind


def raw_upload(
    client: TestClient,
    p: TestClient,
    path: str,
    first: bytes,
    *,
    total: int,
    declared: int | None = None,
) -> tuple[int, int, bytes]:
    """Send a multipart body in 1 MB chunks straight to the app (the test client would read
    the whole body first) and count how much of it the app took before answering."""
    boundary = "tablecloth-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode() + first
    cookie = "; ".join(f"{k}={v}" for k, v in p.cookies.items())
    headers = [
        (b"host", b"testserver"),
        (b"origin", b"http://testserver"),
        (b"cookie", cookie.encode()),
        (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
    ]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    chunk = b"\x00" * 2**20
    taken = {"bytes": 0, "sent_head": False}
    messages: list[Message] = []

    async def receive() -> Message:
        if not taken["sent_head"]:
            taken["sent_head"] = True
            taken["bytes"] = len(head)
            return {"type": "http.request", "body": head, "more_body": True}
        if int(taken["bytes"]) >= total:
            return {"type": "http.request", "body": b"", "more_body": False}
        taken["bytes"] = int(taken["bytes"]) + len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        messages.append(message)

    async def run() -> None:
        await client.app(scope, receive, send)

    assert client.portal is not None
    client.portal.call(run)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, int(taken["bytes"]), body


def test_a_huge_upload_is_refused_without_reading_it_all(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, _, _, cid = one_card(client, api_headers, session)
    path = f"/p/{cafe['code']}/contributions/{cid}/media"
    huge = 500 * 2**20
    # No length declared (chunked): reading stops just past the photo limit.
    status, taken, body = raw_upload(client, ann, path, b"\xff\xd8\xff\xe0", total=huge)
    assert status == 413
    assert b"Photos can be up to 8 MB" in body
    assert taken < media_service.PHOTO_MAX + 2 * 2**20
    # Unknown content is refused after its first bytes.
    status, taken, _ = raw_upload(client, ann, path, b"MZ\x90\x00" + b"\x01" * 100, total=huge)
    assert status == 415
    assert taken <= 2 * 2**20
    # A declared length over the limit is refused before a byte of the body is read.
    status, taken, body = raw_upload(
        client, ann, path, b"\xff\xd8\xff\xe0", total=huge, declared=huge
    )
    assert status == 413
    assert taken == 0
    assert b"too large" in body


def test_media_is_private_to_the_cafe(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Any
) -> None:
    cafe, ann, bo, cy, cid = one_card(client, api_headers, session)
    code = cafe["code"]
    assert upload(ann, code, cid, photo_with_gps(), "a.jpg", "image/jpeg").status_code == 303
    media_id = session.exec(select(Media)).one().id
    url = f"/media/{media_id}"
    assert cy.get(url).status_code == 200  # same café, another table: fine
    other = new_cafe(client, api_headers)
    stranger = join(client, other["code"], "Stranger")
    assert stranger.get(url).status_code == 404
    anonymous = browser(client)
    r = anonymous.get(url)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert anonymous.get("/media/999999").status_code == 404
    client.post(f"/api/v1/cafes/{cafe['id']}/contributions/{cid}/hide", headers=api_headers)
    assert bo.get(url).status_code == 404  # hidden from the board, hidden here too
    assert ann.get(url).status_code == 200  # its author still has it
    # The café's facilitator sees it; another facilitator does not.
    assert login(browser(client), facilitator.email).get(url).status_code == 200
    someone_else = make_facilitator(session)
    assert login(browser(client), someone_else.email).get(url).status_code == 404


def browser(client: TestClient) -> TestClient:
    p = TestClient(client.app, base_url=str(client.base_url))
    p.portal = client.portal
    return p


def login(p: TestClient, email: str) -> TestClient:
    r = p.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(p)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return p


def test_only_the_author_adds_media_and_only_during_the_round(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, _, cid = one_card(client, api_headers, session)
    code = cafe["code"]
    r = upload(bo, code, cid, photo_with_gps(), "a.jpg", "image/jpeg")
    assert r.status_code == 403
    no_token = ann.post(
        f"/p/{code}/contributions/{cid}/media",
        files={"file": ("a.jpg", photo_with_gps(), "image/jpeg")},
    )
    assert no_token.status_code == 403
    page = ann.get(f"/p/{code}/contributions/{cid}/edit").text
    assert 'enctype="multipart/form-data"' in page
    assert "Location and other hidden details are removed" in page
    client.post(f"/api/v1/cafes/{cafe['id']}/rounds/current/end", headers=api_headers)
    late = upload(ann, code, cid, photo_with_gps(), "a.jpg", "image/jpeg")
    assert late.status_code == 409
    assert "round this was written in has finished" in late.text
    assert session.exec(select(Media)).all() == []


def flat_png(width: int, height: int) -> bytes:
    """A single-colour RGB PNG written row by row, so neither making it nor holding it costs
    the test its pixels: 50 megapixels come to about 150 KB, like the audit's bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (3 * width)  # filter byte, then black pixels
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


BOMB = (10_000, 5_000)  # 50 megapixels


def test_a_50_megapixel_png_is_refused_by_its_pixel_count(
    client: TestClient, api_headers: dict[str, str], session: Session, settings: Settings
) -> None:
    cafe, ann, _, _, cid = one_card(client, api_headers, session)
    bomb = flat_png(*BOMB)
    assert len(bomb) < 200_000
    r = upload(ann, cafe["code"], cid, bomb, "bomb.png", "image/png")
    assert r.status_code == 413
    assert "This photo has too many pixels" in r.text
    assert "up to 24 megapixels" in r.text
    assert session.exec(select(Media)).all() == []
    assert [p for p in settings.media_dir.rglob("*") if p.is_file()] == []


def test_a_12_megapixel_phone_photo_still_passes(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, _, _, cid = one_card(client, api_headers, session)
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (90, 140, 60)).save(out, "JPEG", quality=90)
    r = upload(ann, cafe["code"], cid, out.getvalue(), "IMG_1234.jpg", "image/jpeg")
    assert r.status_code == 303, r.text
    stored = session.exec(select(Media)).one()
    assert stored.content_type == "image/jpeg"


PEAK_PROBE = """
import io, sys
from app.services import media


def kb(field):
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0])


data = open(sys.argv[1], "rb").read()
before = kb("VmRSS")
try:
    media.prepare(source=io.BytesIO(data), size=len(data))
    outcome = "stored"
except media.DomainError as exc:
    outcome = type(exc).__name__
print(outcome, (kb("VmHWM") - before) // 1024)
"""


def peak_of_prepare(tmp_path: Path, data: bytes) -> tuple[str, int]:
    """Run the media service's prepare on a file in a fresh process: what became of it and how
    many MB its peak resident memory grew, Pillow's C allocations included. The peak is the
    process's own VmHWM: ru_maxrss would also carry the peak of the test process that forked
    it, and measuring from the peak so far would hide what importing had already reached."""
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    outcome, grown = done.stdout.split()
    return outcome, int(grown)


def test_refusing_a_50_megapixel_png_costs_under_100_mb(tmp_path: Path) -> None:
    outcome, grown = peak_of_prepare(tmp_path, flat_png(*BOMB))
    assert outcome == "TooLarge"
    assert grown < 100, f"refusing the bomb grew the peak by {grown} MB"


def test_a_photo_at_the_pixel_cap_is_decoded_within_a_bound(tmp_path: Path) -> None:
    # A 24 MP JPEG is decoded at half size: under 100 MB (it took ~280 MB). Pillow cannot
    # shrink a PNG while decoding it, so the largest PNG allowed holds its 72 MB of pixels
    # and the shrinking: under 200 MB (it took ~280 MB). Two photos are decoded at a time.
    out = io.BytesIO()
    Image.new("RGB", (6_000, 4_000), (90, 140, 60)).save(out, "JPEG", quality=90)
    outcome, grown = peak_of_prepare(tmp_path, out.getvalue())
    assert outcome == "stored"
    assert grown < 100, f"a 24 MP JPEG grew the peak by {grown} MB"
    outcome, grown = peak_of_prepare(tmp_path, flat_png(6_000, 4_000))
    assert outcome == "stored"
    assert grown < 200, f"a 24 MP PNG grew the peak by {grown} MB"


def test_photos_are_decoded_two_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    at_once: list[int] = []
    inside = [0]
    lock = threading.Lock()
    real = media_service.decode_small

    def slow_decode(*, source: BinaryIO, kind: media_service.FileType) -> Image.Image:
        with lock:
            inside[0] += 1
            at_once.append(inside[0])
        time.sleep(0.2)
        with lock:
            inside[0] -= 1
        return real(source=source, kind=kind)

    monkeypatch.setattr(media_service, "decode_small", slow_decode)
    photo = photo_with_gps()
    threads = [
        threading.Thread(
            target=media_service.prepare, kwargs={"source": io.BytesIO(photo), "size": len(photo)}
        )
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(at_once) == 5
    assert max(at_once) == media_service.DECODE_AT_ONCE == 2
