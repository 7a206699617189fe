"""Photo and voice note in the compose form, in real Chromium: a photo alone, a photo with a
caption, a photo and a voice note posted offline that each arrive once when the phone is
back online; the host sees round 1's cards in round 2; the projector's harvest shows a
theme and the word cloud."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx2 as httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, FilePayload, Page, expect
from sqlmodel import Session, col, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.models.evidence import Contribution, Media
from app.services.evidence import themes as theme_service
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    People,
    check_accessibility,
    log_in,
)
from tests.browser.test_cafe_journey import join
from tests.factories import PASSWORD, make_cafe
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parents[1] / "board" / "fixtures"
FAKE_MICROPHONE = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
VOICE = (FIXTURES / "chromium-mediarecorder.webm").read_bytes()


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), colour).save(out, "JPEG")
    return out.getvalue()


def photo(name: str, colour: tuple[int, int, int] = (240, 200, 40)) -> FilePayload:
    return {"name": name, "mimeType": "image/jpeg", "buffer": _jpeg(colour)}


def send(phone: Page, caption: str = "") -> None:
    phone.locator("#contribution-text").fill(caption)
    phone.get_by_role("button", name="Add to the board").click()


def cards_of(session: Session, cafe: Cafe) -> list[Contribution]:
    session.expire_all()
    return list(
        session.exec(
            select(Contribution)
            .where(Contribution.cafe_id == cafe.id)
            .order_by(col(Contribution.id))
        )
    )


def media_of(session: Session, cafe: Cafe) -> list[Media]:
    ids = [c.id for c in cards_of(session, cafe)]
    return list(session.exec(select(Media).where(col(Media.contribution_id).in_(ids))))


def files_of(live: LiveServer, cafe: Cafe) -> list[Path]:
    folder = live.log_path.parent / "media" / str(cafe.id)
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.exists() else []


def api_client(live: LiveServer, facilitator: Facilitator) -> httpx.Client:
    api = httpx.Client(base_url=live.url, timeout=10)
    token = api.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return api


def test_photo_and_voice_from_the_compose_form_offline_too_the_hosts_story_and_the_harvest(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, table_count=2, table_capacity=4)
    api = api_client(live, facilitator)
    names = {"Ann": 1, "Bo": 1, "Cy": 2}
    phones: dict[str, Page] = {}
    for name in names:
        phones[name] = people.phone(name)
        join(phones[name], f"/j/{cafe.code}", name, "lived_experience")
    assert api.post(f"/api/v1/cafes/{cafe.id}/rounds/next").status_code == 200
    tables = {t["number"]: t["id"] for t in api.get(f"/api/v1/cafes/{cafe.id}").json()["tables"]}
    ids = {
        p["display_name"]: p["id"] for p in api.get(f"/api/v1/cafes/{cafe.id}/participants").json()
    }
    for name, number in names.items():
        moved = api.post(
            f"/api/v1/cafes/{cafe.id}/participants/{ids[name]}/move",
            json={"table_id": tables[number]},
        )
        assert moved.status_code == 200
    hosted = api.post(
        f"/api/v1/cafes/{cafe.id}/participants/{ids['Bo']}/host", json={"table_id": tables[1]}
    )
    assert hosted.status_code == 200, hosted.text
    ann, bo = phones["Ann"], phones["Bo"]
    for phone in (ann, bo):
        phone.reload()
        expect(phone.locator("#compose textarea")).to_be_visible()

    # A photo alone: two taps (choose, send), no words needed.
    expect(ann.get_by_label("Take or choose a photo")).to_be_visible()
    ann.get_by_label("Take or choose a photo").set_input_files(photo("IMG_1.jpg"))
    send(ann)
    expect(ann.locator("#board img.card-photo")).to_have_count(1)
    expect(bo.locator("#board img.card-photo")).to_have_count(1)
    (alone,) = cards_of(session, cafe)
    assert alone.text == ""
    # A photo with a caption.
    ann.get_by_label("Take or choose a photo").set_input_files(photo("IMG_2.jpg", (20, 90, 160)))
    send(ann, "Our paper tablecloth")
    expect(ann.locator("#board li", has_text="Our paper tablecloth").locator("img")).to_have_count(
        1
    )
    expect(bo.locator("#board")).to_contain_text("Our paper tablecloth")
    expect(ann.locator("#contribution-text")).to_have_value("")
    assert len(media_of(session, cafe)) == 2 and len(files_of(live, cafe)) == 2
    check_accessibility(ann, "the phone's compose form and board with photos")

    # A file too big for a photo is refused on the page, the words kept.
    ann.locator("#contribution-text").fill("Keep my words")
    ann.get_by_label("Take or choose a photo").set_input_files(
        {
            "name": "huge.jpg",
            "mimeType": "image/jpeg",
            "buffer": b"\xff\xd8\xff" + b"0" * (9 * 2**20),
        }
    )
    ann.get_by_role("button", name="Add to the board").click()
    expect(ann.locator("#compose-error")).to_contain_text("This photo is too large")
    expect(ann.locator("#contribution-text")).to_have_value("Keep my words")
    ann.get_by_label("Take or choose a photo").set_input_files([])
    ann.locator("#contribution-text").fill("")

    # Offline: a photo and a voice note wait on the phone, then each arrives once.
    ann.context.set_offline(True)
    ann.get_by_label("Take or choose a photo").set_input_files(photo("IMG_3.jpg", (90, 20, 20)))
    send(ann, "Drawn while offline")
    waiting = ann.locator("#media-outbox li", has_text="Drawn while offline")
    expect(waiting).to_contain_text("Waiting to send")
    expect(waiting).to_contain_text("Card with a photo")
    expect(ann.locator("#contribution-text")).to_have_value("")
    # The phone records a voice note where it can; the file field is the fallback, here
    # filled as a phone without a recorder would.
    ann.locator("#compose-voice").set_input_files(
        {"name": "voice-note.webm", "mimeType": "audio/webm", "buffer": VOICE}
    )
    send(ann, "Said while offline")
    expect(ann.locator("#media-outbox li", has_text="Said while offline")).to_contain_text(
        "Card with a voice note"
    )
    expect(ann.locator("#board-news")).to_have_text(re.compile("waiting to send"))
    assert len(cards_of(session, cafe)) == 2
    ann.context.set_offline(False)
    expect(ann.locator("#media-outbox")).to_be_hidden(timeout=15_000)
    expect(ann.locator("#board")).to_contain_text("Drawn while offline")
    expect(ann.locator("#board")).to_contain_text("Said while offline")
    expect(bo.locator("#board li", has_text="Said while offline").locator("audio")).to_have_count(1)
    texts = [c.text for c in cards_of(session, cafe)]
    assert texts.count("Drawn while offline") == 1 and texts.count("Said while offline") == 1
    assert len(media_of(session, cafe)) == 4 and len(files_of(live, cafe)) == 4
    # Reloading sends nothing again.
    ann.reload()
    expect(ann.locator("#board")).to_contain_text("Said while offline")
    ann.wait_for_timeout(1000)
    assert len(cards_of(session, cafe)) == 4 and len(files_of(live, cafe)) == 4

    # Round 2: Bo, the host, sees what the table said in round 1, folded by round.
    assert api.post(f"/api/v1/cafes/{cafe.id}/rounds/next").status_code == 200
    expect(bo.locator("#now")).to_contain_text("Round 2")
    story = bo.locator("#table-story")
    expect(story).to_contain_text("What Table 1 said before")
    expect(story.locator("summary")).to_contain_text("Round 1: 4 cards, 3 photos")
    expect(story).to_contain_text("Our paper tablecloth")
    expect(story.locator("img.card-photo")).to_have_count(3)
    expect(phones["Cy"].locator("#table-story")).to_have_count(0)
    check_accessibility(bo, "the host's page with the table's story")

    # The projector's harvest, turned on from the console.
    first = next(c for c in cards_of(session, cafe) if c.text == "Our paper tablecloth")
    theme_service.create_theme(
        session=session, cafe=cafe, name="Getting about", contribution_ids=[first.id], now=utcnow()
    )
    console = people.laptop()
    log_in(console, facilitator.email)
    projector = people.laptop("projector", storage_state=console.context.storage_state())
    projector.goto(f"/cafes/{cafe.id}/projector")
    expect(projector.locator("#board")).to_contain_text("Round 2")
    console.goto(f"/cafes/{cafe.id}/console")
    console.get_by_role("button", name="Show the harvest on the projector").click()
    expect(console.locator("#projector-mode")).to_contain_text("The projector shows the harvest.")
    expect(projector.locator(".harvest-themes")).to_contain_text("Getting about")
    cloud = projector.locator("svg.word-cloud")
    expect(cloud.locator("text", has_text="tablecloth")).to_have_count(1)
    # Live: a new card's words reach the cloud without a reload.
    send(bo, "Flamingos flamingos everywhere")
    expect(cloud.locator("text", has_text="flamingos")).to_have_count(1)
    check_accessibility(projector, "the projector's harvest")
    check_accessibility(console, "the console with the projector's mode")


def test_the_recorder_records_a_voice_note_with_a_timer_and_a_stop_button(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    """Chromium's fake microphone stands in for the phone's: record, see the timer run,
    stop, hear it back, send; the note is stored once."""
    cafe = make_cafe(session, facilitator, table_count=1, table_capacity=4)
    api = api_client(live, facilitator)
    browser: Browser = people.browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, *FAKE_MICROPHONE],
    )
    try:
        context = browser.new_context(base_url=live.url, **people.phone_device)
        context.grant_permissions(["microphone"])
        eve = context.new_page()
        errors: list[str] = []
        eve.on("pageerror", lambda err: errors.append(str(err)))
        join(eve, f"/j/{cafe.code}", "Eve", "carer")
        assert api.post(f"/api/v1/cafes/{cafe.id}/rounds/next").status_code == 200
        expect(eve.locator("#compose textarea")).to_be_visible()
        record = eve.get_by_role("button", name="Record a voice note")
        expect(record).to_be_visible()
        expect(eve.locator("[data-voice-upload]")).to_be_hidden()  # the recorder replaces it
        record.click()
        timer = eve.locator("[data-timer]")
        expect(timer).to_be_visible()
        expect(eve.locator("[data-timer-value]")).to_have_text(re.compile(r"0:0[1-9]"))
        eve.get_by_role("button", name="Stop recording").click()
        expect(eve.locator("[data-recorded]")).to_be_visible()
        expect(timer).to_be_hidden()
        send(eve, "Recorded here")
        expect(eve.locator("#board li", has_text="Recorded here").locator("audio")).to_have_count(1)
        (card,) = cards_of(session, cafe)
        (note,) = media_of(session, cafe)
        assert (note.kind, note.content_type) == ("voice", "audio/webm")
        assert errors == []
    finally:
        browser.close()
