"""Materials for members in Chromium (issue 25 item 2): the lead gives a section an easy-read
picture and a recording on the version page, publishes the version and gives it to a local
group; a member opens their link on a phone, reads the easy read, plays the recording (its
file is served as audio) and has the phone read aloud a section with no recording (speech is
stubbed in the page: it is outside this machine). axe-core passes; without JavaScript the
page still reads and the Read aloud button is not shown."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app import i18n
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.material import MaterialCreate, SectionCreate
from app.models.network import LocalGroup, Member, Network
from app.services.material import versions as version_service
from app.services.network import member_page as member_page_service
from tests.board.test_media import CHROMIUM, photo_with_gps
from tests.browser.conftest import People, check_accessibility, log_in
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

ALT = "Two people at a kitchen table, talking"
EASY_LINE = "You choose who helps you."
MONEY = "Budgets are hard to manage."


def cy(message: str) -> str:
    return i18n.in_language("cy", message)


# The phone's speech, replaced in the page: what it was asked to say is kept to look at.
SPEECH_STUB = """
window.__spoken = [];
const stub = {
  speaking: false, paused: false,
  speak(u) { this.speaking = true; window.__spoken.push({text: u.text, rate: u.rate}); },
  pause() { this.paused = true; }, resume() { this.paused = false; },
  cancel() { this.speaking = false; this.paused = false; }, getVoices() { return []; },
};
Object.defineProperty(window, "speechSynthesis", {configurable: true, get() { return stub; }});
if (typeof window.SpeechSynthesisUtterance !== "function") {
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.rate = 1; };
}
"""


def _setup(session: Session, lead: Facilitator) -> tuple[Network, Member, str]:
    network = Network(facilitator_id=lead.id, title="Choice and control at home")
    session.add(network)
    session.commit()
    group = LocalGroup(network_id=network.id, name="Hillside group")
    session.add(group)
    session.commit()
    member = Member(group_id=group.id, display_name="Alexandra Quill", role="lived_experience")
    session.add(member)
    session.commit()
    material = version_service.create_material(
        session=session,
        network=network,
        data=MaterialCreate(
            title="Living well at home",
            sections=[
                SectionCreate(
                    heading="Choosing support",
                    body_markdown="People want to **choose** who supports them.",
                    easy_read_text=f"{EASY_LINE}\nYou say what you need.",
                ),
                SectionCreate(heading="Money", body_markdown=MONEY),
            ],
        ),
        now=utcnow(),
    )
    session.refresh(member)
    page_url = f"/networks/{network.id}/materials/{material.id}/versions/1"
    return network, member, page_url


def _lead_prepares_and_publishes(people: People, lead: Facilitator, url: str) -> None:
    page = people.laptop()
    log_in(page, lead.email)
    page.goto(url)
    first = page.locator(".section").first
    first.get_by_label("Picture (JPEG, PNG or WebP").set_input_files(
        {"name": "kitchen.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps()}
    )
    first.get_by_label("What the picture shows").fill(ALT)
    first.get_by_role("button", name="Add the picture").click()
    expect(page.get_by_role("status")).to_contain_text("The picture was added")
    expect(page.locator(f'img[alt="{ALT}"]')).to_be_visible()
    first = page.locator(".section").first
    first.get_by_label("Recording of this section read aloud").set_input_files(
        {"name": "reading.webm", "mimeType": "audio/webm", "buffer": CHROMIUM}
    )
    first.get_by_role("button", name="Add the recording").click()
    expect(page.get_by_role("status")).to_contain_text("The recording was added")
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 is published")
    page.get_by_label("Publish version 1 for").select_option(label="Members of Hillside group")
    page.get_by_role("button", name="Publish for members").click()
    expect(page.get_by_role("status")).to_contain_text("Members of Hillside group")
    check_accessibility(page, "the lead's version page with pictures, recordings and members")


def _open_material(page: Page, link: str) -> None:
    page.goto(link)
    page.wait_for_url("**/me")
    page.get_by_role("link", name="Living well at home").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Living well at home")


def test_a_member_reads_the_easy_read_listens_and_has_a_section_read_aloud(
    people: People, facilitator: Facilitator, session: Session, live: LiveServer
) -> None:
    _, member, url = _setup(session, facilitator)
    _lead_prepares_and_publishes(people, facilitator, url)
    _, token = member_page_service.issue_link(session=session, member=member, now=utcnow())
    link = f"{live.url}/m/{token}"

    phone = people.phone("Alexandra")
    phone.add_init_script(SPEECH_STUB)
    _open_material(phone, link)
    expect(phone.get_by_text("choose who supports them")).to_be_visible()
    check_accessibility(phone, "a material's standard text on the member's phone")

    phone.get_by_role("link", name="Easy read").click()
    expect(phone.get_by_text(EASY_LINE)).to_be_visible()
    picture = phone.get_by_role("img", name=ALT)
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.naturalWidth") > 0
    check_accessibility(phone, "the easy-read edition on the member's phone")

    phone.get_by_role("link", name="Listen").click()
    audio = phone.locator("audio")
    expect(audio).to_have_count(1)
    src = audio.get_attribute("src")
    assert src
    served = phone.request.get(src)
    assert served.status == 200 and served.headers["content-type"].startswith("audio/")
    audio.click()  # a tap: the page may now play sound
    played: Any = audio.evaluate(
        "a => a.play().then(() => ({playing: !a.paused, ready: a.readyState}))"
    )
    assert played["playing"] and played["ready"] >= 1
    expect(phone.get_by_text("People want to choose who supports them.")).to_be_visible()

    # The section without a recording: the phone reads it, with pause and speed.
    money = phone.locator("section", has=phone.get_by_role("heading", name="Money"))
    read = money.get_by_role("button", name="Read aloud")
    expect(read).to_be_visible()
    money.get_by_label("Speed").select_option(label="Slower")
    read.click()
    spoken = phone.evaluate("window.__spoken")
    assert spoken == [{"text": f"Money. {MONEY}", "rate": 0.75}]
    expect(money.get_by_role("status")).to_have_text("Reading.")
    money.get_by_role("button", name="Pause").click()
    expect(money.get_by_role("status")).to_have_text("Paused.")
    check_accessibility(phone, "the listen edition on the member's phone")

    # In Welsh the script's own words are Welsh too: it reads them from the page.
    phone.locator(".language-switch").get_by_role("button", name="Cymraeg").click()
    expect(phone.locator("html")).to_have_attribute("lang", "cy")
    money = phone.locator("section", has=phone.get_by_role("heading", name="Money"))
    money.get_by_role("button", name=cy("Read aloud")).click()
    expect(money.get_by_role("status")).to_have_text(cy("Reading."))
    money.get_by_role("button", name=cy("Pause")).click()
    expect(money.get_by_role("status")).to_have_text(cy("Paused."))
    expect(money.get_by_role("button", name=cy("Carry on"))).to_be_visible()

    # Without JavaScript: the words and the recording are there, read aloud is not.
    plain = people.phone("Alexandra, no scripts", javascript=False)
    _open_material(plain, link)
    expect(plain.get_by_text("choose who supports them")).to_be_visible()
    plain.get_by_role("link", name="Easy read").click()
    expect(plain.get_by_text(EASY_LINE)).to_be_visible()
    plain.get_by_role("link", name="Listen").click()
    expect(plain.locator("audio")).to_have_count(1)
    expect(plain.get_by_text(MONEY).last).to_be_visible()
    expect(plain.get_by_role("button", name="Read aloud")).to_have_count(0)
    expect(plain.locator(".read-aloud")).to_be_hidden()
