"""Materials for members (issue 25 item 2): the lead gives a published version to a local
group or the whole network; members see only what was given to them, in three editions
(standard text, easy read with a picture per section, listen: a recording per section or
read aloud), and never a draft, another group's material or anyone's name. Pictures and
recordings are checked and cleaned as card photos and voice notes are; they follow a version
copied to a new draft, and go with a deleted material or an erased network."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from app.config import Settings
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.material_editions import SectionFile
from app.models.network import Network
from app.services import audit
from app.services import media as media_service
from app.services.privacy import erasure
from tests.board.test_media import CHROMIUM, photo_with_gps
from tests.conftest import csrf_of
from tests.material_setup import make_group_cafe, make_network, say

NORTH_TEXT = "People want to choose who supports them."
EASY = "You choose your support.\nYou say who helps you."
ALT = "Two people talking at a kitchen table"


def _api(client: TestClient, headers: dict[str, str], method: str, url: str, **kw: Any) -> Any:
    r = client.request(method, url, headers=headers, **kw)
    assert r.status_code < 300, (url, r.status_code, r.text)
    return r.json() if r.content else None


@dataclass
class World:
    network_id: int
    north_id: int
    south_id: int
    material_id: int
    sections: list[int]
    base: str  # the API's version 1
    alex: TestClient  # a member of North, signed in on their phone
    cyd: TestClient  # a member of South


def _phone(client: TestClient, headers: dict[str, str], group_id: int, name: str) -> TestClient:
    member = _api(
        client,
        headers,
        "POST",
        f"/api/v1/networks/groups/{group_id}/members",
        json={"display_name": name, "role": "carer", "email": f"{name.lower()}@example.org"},
    )
    link = _api(client, headers, "POST", f"/api/v1/networks/members/{member['id']}/link")
    phone = TestClient(client.app, base_url=str(client.base_url))
    assert phone.get(urlsplit(link["url"]).path, follow_redirects=False).status_code == 303
    return phone


@pytest.fixture
def world(client: TestClient, api_headers: dict[str, str]) -> World:
    network = _api(client, api_headers, "POST", "/api/v1/networks", json={"title": "Choice"})
    nid = network["id"]
    north = _api(
        client, api_headers, "POST", f"/api/v1/networks/{nid}/groups", json={"name": "North"}
    )
    south = _api(
        client, api_headers, "POST", f"/api/v1/networks/{nid}/groups", json={"name": "South"}
    )
    material = _api(
        client,
        api_headers,
        "POST",
        f"/api/v1/networks/{nid}/materials",
        json={
            "title": "Living well",
            "sections": [
                {"heading": "Choice", "body_markdown": f"**{NORTH_TEXT}**", "easy_read_text": EASY},
                {"heading": "Money", "body_markdown": "Budgets are *hard* to manage."},
            ],
        },
    )
    base = f"/api/v1/networks/{nid}/materials/{material['id']}/versions/1"
    sections = [s["id"] for s in _api(client, api_headers, "GET", f"{base}/sections")["items"]]
    return World(
        network_id=nid,
        north_id=north["id"],
        south_id=south["id"],
        material_id=material["id"],
        sections=sections,
        base=base,
        alex=_phone(client, api_headers, north["id"], "Alex"),
        cyd=_phone(client, api_headers, south["id"], "Cyd"),
    )


def _put(
    client: TestClient,
    headers: dict[str, str],
    url: str,
    data: bytes,
    name: str,
    media: str,
    **fields: str,
) -> Any:
    return client.put(url, headers=headers, data=fields, files={"file": (name, data, media)})


def _publication(
    client: TestClient, headers: dict[str, str], w: World, group_id: int | None
) -> int:
    body = {"group_id": group_id} if group_id else {}
    made = client.post(f"{w.base}/publications", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_members_read_listen_and_download_only_what_was_given_to_their_group(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    settings: Settings,
    world: World,
) -> None:
    w = world
    choice, money = w.sections
    picture = _put(
        client,
        api_headers,
        f"{w.base}/sections/{choice}/picture",
        photo_with_gps(),
        "p.jpg",
        "image/jpeg",
        alt_text=ALT,
    )
    assert picture.status_code == 200, picture.text
    assert picture.json()["alt_text"] == ALT
    recording = _put(
        client,
        api_headers,
        f"{w.base}/sections/{choice}/recording",
        CHROMIUM,
        "r.webm",
        "audio/webm",
    )
    assert recording.status_code == 200, recording.text
    # Members only ever see published versions.
    draft = client.post(
        f"{w.base}/publications", json={"group_id": w.north_id}, headers=api_headers
    )
    assert draft.status_code == 409 and "publish it first" in draft.json()["detail"].lower()
    assert "Living well" not in w.alex.get("/me").text
    _api(client, api_headers, "POST", f"{w.base}/publish")
    pid = _publication(client, api_headers, w, w.north_id)

    home = w.alex.get("/me")
    assert home.status_code == 200 and f'href="/me/materials/{pid}"' in home.text
    standard = w.alex.get(f"/me/materials/{pid}")
    assert standard.status_code == 200
    assert f"<strong>{NORTH_TEXT}</strong>" in standard.text  # Markdown rendered
    easy = w.alex.get(f"/me/materials/{pid}", params={"edition": "easy_read"}).text
    assert "<p>You choose your support.</p>" in easy and f'alt="{ALT}"' in easy
    image_url = re.search(r'<img src="(/material-files/\d+)"', easy)
    assert image_url is not None
    image = w.alex.get(image_url.group(1))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(image.content)).getexif()  # no GPS, no camera
    listen = w.alex.get(f"/me/materials/{pid}", params={"edition": "audio"}).text
    audio_url = re.search(r'<audio controls[^>]* src="(/material-files/\d+)"', listen)
    assert audio_url is not None
    sound = w.alex.get(audio_url.group(1))
    assert sound.headers["content-type"] == "audio/webm" and sound.content == CHROMIUM
    # The section without a recording offers read aloud, hidden until the script shows it.
    assert 'class="read-aloud" data-speak="Money. Budgets are hard to manage." hidden' in listen
    assert "read_aloud.js" in listen
    bundle = zipfile.ZipFile(io.BytesIO(w.alex.get(f"/me/materials/{pid}/audio.zip").content))
    assert sorted(bundle.namelist()) == ["01-choice.webm", "playlist.m3u", "words.txt"]
    assert bundle.read("playlist.m3u").decode().splitlines() == [
        "#EXTM3U",
        "#PLAYLIST:Living well (version 1)",
        "#EXTINF:-1,Choice",
        "01-choice.webm",
    ]
    assert bundle.read("01-choice.webm") == CHROMIUM

    # A member of another group sees none of it, nor do strangers.
    assert "Living well" not in w.cyd.get("/me").text
    assert w.cyd.get(f"/me/materials/{pid}").status_code == 404
    assert w.cyd.get(image_url.group(1)).status_code == 404
    assert w.cyd.get(f"/me/materials/{pid}/audio.zip").status_code == 404
    stranger = TestClient(client.app, base_url=str(client.base_url))
    assert stranger.get(image_url.group(1)).status_code == 404
    assert stranger.get(f"/me/materials/{pid}").status_code == 404

    # For the whole network: South sees it too; taking it back hides it again.
    everyone = _publication(client, api_headers, w, None)
    assert f'href="/me/materials/{everyone}"' in w.cyd.get("/me").text
    assert w.cyd.get(image_url.group(1)).status_code == 200
    listed = _api(
        client,
        api_headers,
        "GET",
        f"/api/v1/networks/{w.network_id}/materials/{w.material_id}/publications",
    )["items"]
    assert [p["audience"] for p in listed] == ["Members of North", "Every member of the network"]
    r = client.delete(
        f"/api/v1/networks/{w.network_id}/materials/{w.material_id}/publications/{everyone}",
        headers=api_headers,
    )
    assert r.status_code == 204
    assert w.cyd.get(f"/me/materials/{everyone}").status_code == 404
    assert w.alex.get(f"/me/materials/{pid}").status_code == 200


def test_the_easy_read_edition_quotes_paraphrases_and_names_no_group_or_person(
    client: TestClient, api_headers: dict[str, str], session: Session, facilitator: Facilitator
) -> None:
    network = make_network(session, facilitator)
    north = make_group_cafe(session, facilitator, network, "North")
    south = make_group_cafe(session, facilitator, network, "South")
    ours = say(session, north.cafe, "The buses stop at six so I cannot get home from the pub")
    theirs = say(session, south.cafe, "My carer leaves at eight", role="carer")
    base = f"/api/v1/networks/{network.id}/materials"
    mid = _api(
        client,
        api_headers,
        "POST",
        base,
        json={
            "title": "Getting out",
            "sections": [{"heading": "Transport", "body_markdown": "Buses."}],
        },
    )["id"]
    v1 = f"{base}/{mid}/versions/1"
    sid = _api(client, api_headers, "GET", f"{v1}/sections")["items"][0]["id"]
    _api(
        client,
        api_headers,
        "POST",
        f"{v1}/sections/{sid}/evidence",
        json={"contribution_ids": [ours.id], "paraphrase": "Buses stop too early."},
    )
    _api(
        client,
        api_headers,
        "POST",
        f"{v1}/sections/{sid}/evidence",
        json={"contribution_ids": [theirs.id]},
    )
    as_json = client.get(
        f"{v1}/export", params={"format": "json", "edition": "easy_read"}, headers=api_headers
    )
    assert as_json.status_code == 200
    easy = as_json.json()
    assert easy["edition"] == "easy_read" and easy["sections"][0]["lines"] == ["Buses."]
    assert "Buses stop too early." in easy["sections"][0]["said"][0]
    assert "The buses stop at six" not in as_json.text  # the paraphrase stands in for it
    assert "evidence" not in easy["sections"][0]  # not the standard file
    standard = client.get(f"{v1}/export", params={"format": "json"}, headers=api_headers).json()
    assert standard["sections"][0]["evidence"][0]["original_text"].startswith("The buses")

    _api(client, api_headers, "POST", f"{v1}/publish")
    _api(client, api_headers, "POST", f"{v1}/publications", json={"group_id": north.group.id})
    member = _api(
        client,
        api_headers,
        "POST",
        f"/api/v1/networks/groups/{north.group.id}/members",
        json={"display_name": "Alex", "role": "carer"},
    )
    link = _api(client, api_headers, "POST", f"/api/v1/networks/members/{member['id']}/link")
    phone = TestClient(client.app, base_url=str(client.base_url))
    phone.get(urlsplit(link["url"]).path)
    pid = _api(client, api_headers, "GET", f"{base}/{mid}/publications")["items"][0]["id"]
    easy_page = phone.get(f"/me/materials/{pid}", params={"edition": "easy_read"}).text
    assert "Buses stop too early." in easy_page and "The buses stop at six" not in easy_page
    assert "in your group" in easy_page and "in another group" in easy_page
    standard_page = phone.get(f"/me/materials/{pid}").text
    assert "The buses stop at six" in standard_page
    for page in (easy_page, standard_page):
        assert "South" not in page  # another group's name is never shown
        assert "Person " not in page  # nor the display name of who said it


def test_files_follow_the_next_version_and_go_with_the_material_or_the_network(
    facilitator: Facilitator,
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    settings: Settings,
    world: World,
) -> None:
    w = world
    choice = w.sections[0]
    _put(
        client,
        api_headers,
        f"{w.base}/sections/{choice}/picture",
        photo_with_gps(),
        "p.jpg",
        "image/jpeg",
        alt_text=ALT,
    )
    _put(
        client,
        api_headers,
        f"{w.base}/sections/{choice}/recording",
        CHROMIUM,
        "r.webm",
        "audio/webm",
    )
    _api(client, api_headers, "POST", f"{w.base}/publish")
    v2 = _api(
        client,
        api_headers,
        "POST",
        f"/api/v1/networks/{w.network_id}/materials/{w.material_id}/versions",
    )
    copied = v2["sections"][0]["id"]
    v2_base = w.base.removesuffix("/1") + "/2"
    files = _api(client, api_headers, "GET", f"{v2_base}/sections/{copied}/files")
    assert sorted(f["kind"] for f in files) == ["picture", "recording"]
    rows = session.exec(select(SectionFile)).all()
    assert len(rows) == 4 and len({r.path for r in rows}) == 2  # shared on disk
    paths = [settings.media_dir / r.path for r in rows]
    assert all(p.is_file() for p in paths)
    # Removing the draft's copy leaves version 1's file in place.
    assert (
        client.delete(f"{v2_base}/sections/{copied}/picture", headers=api_headers).status_code
        == 204
    )
    assert all(p.is_file() for p in paths)
    # A material never published: its files go with it.
    draft_only = _api(
        client,
        api_headers,
        "POST",
        f"/api/v1/networks/{w.network_id}/materials",
        json={"title": "Scratch", "sections": [{"heading": "One"}]},
    )
    scratch = f"/api/v1/networks/{w.network_id}/materials/{draft_only['id']}/versions/1"
    sid = _api(client, api_headers, "GET", f"{scratch}/sections")["items"][0]["id"]
    made = _put(
        client, api_headers, f"{scratch}/sections/{sid}/recording", CHROMIUM, "r.webm", "audio/webm"
    ).json()
    scratch_file = settings.media_dir / session.get(SectionFile, made["id"]).path  # type: ignore[union-attr]
    assert scratch_file.is_file()
    r = client.delete(
        f"/api/v1/networks/{w.network_id}/materials/{draft_only['id']}", headers=api_headers
    )
    assert r.status_code == 204
    assert not scratch_file.exists()
    # Erasing the network removes every file of its materials.
    network = session.get(Network, w.network_id)
    assert network is not None
    session.expire_all()
    erasure.erase_network(
        session=session,
        media_dir=settings.media_dir,
        network=network,
        actor=audit.facilitator(facilitator),
        now=utcnow(),
    )
    assert not any(p.exists() for p in paths)
    assert not (settings.media_dir / "materials" / str(w.network_id)).exists()


def test_wrong_files_too_large_recordings_and_missing_descriptions_are_refused_readably(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, world: World
) -> None:
    w = world
    choice = w.sections[0]
    page = f"/networks/{w.network_id}/materials/{w.material_id}/versions/1"
    token = csrf_of(logged_in, page)
    form = logged_in.get(page).text
    assert f'action="{page}/sections/{choice}/picture"' in form
    assert f'action="{page}/sections/{choice}/recording"' in form

    def post(kind: str, data: bytes, name: str, media: str, **fields: str) -> Any:
        return logged_in.post(
            f"{page}/sections/{choice}/{kind}",
            data={"csrf_token": token, **fields},
            files={"file": (name, data, media)},
            follow_redirects=False,
        )

    # A recording where a picture goes: refused, the description kept.
    wrong = post("picture", CHROMIUM, "r.webm", "audio/webm", alt_text="A bus stop at night")
    assert wrong.status_code == 415
    assert "Pictures can be JPEG, PNG or WebP" in wrong.text
    assert 'value="A bus stop at night"' in wrong.text
    # A web page is not a recording.
    page_file = post("recording", b"<html><body>hello</body></html>" * 4, "r.mp3", "audio/mpeg")
    assert (
        page_file.status_code == 415
        and "Recordings can be WebM, Ogg, M4A, MP3 or WAV" in page_file.text
    )
    # No description: the picture is refused with words that say why.
    blank = post("picture", photo_with_gps(), "p.jpg", "image/jpeg", alt_text="   ")
    assert blank.status_code == 422 and "what the picture shows" in blank.text
    # A recording past 10 MB: refused as it streams in.
    wav = b"RIFF" + struct.pack("<I", 11 * 2**20) + b"WAVEfmt " + b"\x00" * 52
    big = post("recording", wav + b"\x00" * (11 * 2**20), "big.wav", "audio/wav")
    assert big.status_code == 413 and "Recordings can be up to 10 MB" in big.text
    big_api = _put(
        client,
        api_headers,
        f"{w.base}/sections/{choice}/recording",
        wav + b"\x00" * (11 * 2**20),
        "big.wav",
        "audio/wav",
    )
    assert big_api.status_code == 413
    assert big_api.json()["detail"] == "This recording is too large. Recordings can be up to 10 MB."
    # And through the API, the same words as JSON.
    api = _put(
        client,
        api_headers,
        f"{w.base}/sections/{choice}/picture",
        CHROMIUM,
        "x.webm",
        "audio/webm",
        alt_text=ALT,
    )
    assert api.status_code == 415 and "Pictures can be" in api.json()["detail"]
    no_alt = _put(
        client,
        api_headers,
        f"{w.base}/sections/{choice}/picture",
        photo_with_gps(),
        "p.jpg",
        "image/jpeg",
    )
    assert no_alt.status_code == 422 and "what the picture shows" in no_alt.json()["detail"]
    nul = _put(
        client,
        api_headers,
        f"{w.base}/sections/{choice}/picture",
        photo_with_gps(),
        "p.jpg",
        "image/jpeg",
        alt_text="a\x00b",
    )
    assert nul.status_code == 422
    # A good picture through the page, then removed.
    good = post("picture", photo_with_gps(), "p.jpg", "image/jpeg", alt_text=ALT)
    assert good.status_code == 303
    shown = logged_in.get(page).text
    assert f'alt="{ALT}"' in shown
    assert f'alt="{ALT}"' in logged_in.get(f"{page}/easy-read").text  # the lead's easy read
    removed = logged_in.post(
        f"{page}/sections/{choice}/picture/remove",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert f'alt="{ALT}"' not in logged_in.get(page).text


def test_the_lead_publishes_for_members_and_takes_it_back_on_the_page(
    client: TestClient, api_headers: dict[str, str], logged_in: TestClient, world: World
) -> None:
    w = world
    page = f"/networks/{w.network_id}/materials/{w.material_id}/versions/1"
    token = csrf_of(logged_in, page)
    draft = logged_in.get(page).text
    assert "publish this one first" in draft and 'action="' + page + '/members"' not in draft
    _api(client, api_headers, "POST", f"{w.base}/publish")
    shown = logged_in.get(page).text
    assert f'<option value="{w.north_id}">Members of North</option>' in shown
    bad = logged_in.post(f"{page}/members", data={"csrf_token": token, "audience": "everyone"})
    assert bad.status_code == 422 and "Choose who this version is for" in bad.text
    other = logged_in.post(f"{page}/members", data={"csrf_token": token, "audience": "999999"})
    assert other.status_code == 422
    done = logged_in.post(
        f"{page}/members", data={"csrf_token": token, "audience": str(w.north_id)}
    )
    assert (
        done.status_code == 200 and "now on the members&#39; pages: Members of North" in done.text
    )
    assert "Living well" in w.alex.get("/me").text
    # Publishing again for the same group replaces, not duplicates.
    logged_in.post(f"{page}/members", data={"csrf_token": token, "audience": str(w.north_id)})
    listed = _api(
        client,
        api_headers,
        "GET",
        f"/api/v1/networks/{w.network_id}/materials/{w.material_id}/publications",
    )["items"]
    assert len(listed) == 1
    withdraw = re.search(rf'action="({page}/members/\d+/withdraw)"', logged_in.get(page).text)
    assert withdraw is not None
    logged_in.post(withdraw.group(1), data={"csrf_token": token})
    assert "Living well" not in w.alex.get("/me").text


def test_a_materials_half_written_file_is_swept_like_a_cafes(settings: Settings) -> None:
    """A picture or recording whose write a crash cut short (`.part`) goes at the sweep."""
    folder = settings.media_dir / "materials" / "3"
    folder.mkdir(parents=True)
    (folder / "a.part").write_bytes(b"half")
    (folder / "b.webm").write_bytes(b"whole")
    assert media_service.remove_stale_parts(settings.media_dir, older_than=0) == 1
    assert not (folder / "a.part").exists() and (folder / "b.webm").exists()
