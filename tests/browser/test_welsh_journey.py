"""A bilingual café run in Welsh, in real browsers (issue 27): the facilitator switches their
console to Cymraeg; the projector shows Welsh then English; three phones join in the café's
Welsh without choosing, a fourth picks English on the join page; a card, a rotation, the board,
the close and "what we heard", each phone in its own language with the card's words as
written; then a member of a Welsh network opens their page. axe-core runs on every view with
its `lang` set, and each view is photographed into test-results/welsh/ for the issue's note.

The Welsh expected here is read from the Welsh catalogue for the English message
(`i18n.in_language`), so the test checks that each page shows the catalogue's Welsh, not
how one sentence happens to be worded today."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app import i18n
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.services.network import member_page as member_page_service
from tests.browser.conftest import People, check_accessibility, log_in
from tests.factories import make_cafe, make_member
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "welsh"
QUESTIONS = ["Beth sy’n gwneud diwrnod da i chi?", "Beth fyddech chi’n ei newid gyntaf?"]
CARD = "Mae angen bws sy’n dod ar amser."
WELSH = ["Aled", "Bethan", "Carys"]
ENGLISH = "Dafydd"


def cy(message: str, **variables: Any) -> str:
    return i18n.in_language("cy", message, **variables)


def en(message: str, **variables: Any) -> str:
    return i18n.in_language("en", message, **variables)


def look(page: Page, label: str, lang: str) -> None:
    """The page says which language it is in, axe finds nothing serious, and a picture."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    check_accessibility(page, label)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{re.sub(r'[^a-z0-9]+', '-', label.lower())}.png"))


def join(phone: Page, code: str, name: str, *, english: bool) -> None:
    phone.goto(f"/j/{code}")
    # The bilingual join page offers both languages at the top, Welsh first.
    choose = phone.locator(".join-language")
    expect(choose.locator("button").first).to_have_attribute("lang", "cy")
    if english:
        choose.get_by_role("button", name="English").click()
        expect(phone.locator("html")).to_have_attribute("lang", "en")
    else:
        look(phone, "the bilingual join page", "cy")
    # Every fixed word is there in both languages, whichever the phone reads.
    expect(phone.locator("h1 [lang=cy]")).to_be_visible()
    expect(phone.locator("h1 [lang=en]")).to_be_visible()
    phone.locator("#display_name").fill(name)
    phone.get_by_label(cy("Yes, you can use what I say")).check()
    phone.get_by_role("button", name=cy("Join the café")).click()
    phone.wait_for_url(re.compile(r"/p/[A-Z0-9]+$"))
    say = en if english else cy
    expect(phone.locator("#now")).to_contain_text(say("Welcome, %(name)s", name=name))


def test_a_bilingual_cafe_in_welsh(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(
        session,
        facilitator,
        title="Dewis a rheolaeth",
        table_count=1,
        table_capacity=6,
        rounds=[{"question": q, "minutes": 10} for q in QUESTIONS],
    )
    cafe.language = "cy"
    cafe.bilingual = True
    session.add(cafe)
    session.commit()

    # The facilitator signs in (in English), then picks Cymraeg at the foot of the console.
    console = people.laptop()
    log_in(console, facilitator.email)
    console.goto(f"/cafes/{cafe.id}/console")
    expect(console.locator("html")).to_have_attribute("lang", "en")
    console.locator(".language-switch").get_by_role("button", name="Cymraeg").click()
    console.wait_for_url(f"**/cafes/{cafe.id}/console")
    expect(console.get_by_role("button", name=cy("Start round 1"))).to_be_visible()
    look(console, "the console in Welsh", "cy")

    # The projector: the room's screen shows Welsh then English, each part marked.
    projector = people.laptop("projector", storage_state=console.context.storage_state())
    projector.goto(f"/cafes/{cafe.id}/projector")
    bilingual = projector.locator(".bilingual").first
    expect(bilingual.locator("[lang=cy]")).to_be_visible()
    expect(bilingual.locator("[lang=en]")).to_be_visible()
    look(projector, "the bilingual projector before round 1", "cy")

    phones = {name: people.phone(name) for name in [*WELSH, ENGLISH]}
    for name, phone in phones.items():
        join(phone, cafe.code, name, english=name == ENGLISH)
    look(phones["Aled"], "a phone in Welsh before round 1", "cy")
    look(phones[ENGLISH], "a phone in English in the Welsh cafe", "en")

    # Round 1 from the console: each phone hears it in its own language, over its socket.
    console.get_by_role("button", name=cy("Start round 1")).click()
    for name, phone in phones.items():
        say = en if name == ENGLISH else cy
        expect(phone.locator("#now")).to_contain_text(say("Round %(number)s", number=1))
        expect(phone.locator("#question")).to_have_text(QUESTIONS[0])
    expect(projector.locator("#board .question")).to_have_text(QUESTIONS[0])

    # Aled posts in Welsh; the English phone shows the card as written, in English around it.
    aled = phones["Aled"]
    aled.locator("#contribution-text").fill(CARD)
    # The phone's scripts speak Welsh too: the counter (tablecloth.js), and a file that is
    # not a photo refused before it is sent (compose.js), the words kept.
    most = aled.locator("#contribution-text").get_attribute("data-max")
    counted = cy("%(used)s of %(max)s characters", used=len(CARD), max=most)
    expect(aled.locator("#contribution-count")).to_have_text(counted)
    photo_field = aled.get_by_label(cy("Take or choose a photo"))
    photo_field.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hi"})
    aled.get_by_role("button", name=cy("Add to the board")).click()
    not_photo = cy("This is not a photo. Photos can be JPEG, PNG or WebP.")
    refused = cy("%(reason)s What you wrote is kept.", reason=not_photo)
    expect(aled.locator("#compose-error")).to_have_text(refused)
    expect(aled.locator("#contribution-text")).to_have_value(CARD)
    photo_field.set_input_files([])
    aled.get_by_role("button", name=cy("Add to the board")).click()
    for phone in phones.values():
        expect(phone.locator("#board")).to_contain_text(CARD)
    look(aled, "a phone's board in Welsh", "cy")
    look(phones[ENGLISH], "the board in English", "en")

    # The rotation: one table, so everyone is told in their own words to stay.
    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name=cy("Start round %(number)s", number=2)).click()
    table = phones["Aled"].locator("#my-table").inner_text()
    for name, phone in phones.items():
        say = en if name == ENGLISH else cy
        expect(phone.locator("#now")).to_contain_text(say("Round %(number)s", number=2))
        expect(phone.locator(".stay-call")).to_have_text(say("Stay at %(table)s", table=table))
        expect(phone.locator("#question")).to_have_text(QUESTIONS[1])
    look(phones["Bethan"], "a phone told to stay, in Welsh", "cy")
    expect(projector.locator("#board .question")).to_have_text(QUESTIONS[1])
    look(projector, "the bilingual projector in round 2", "cy")

    # The close; then what we heard, in each phone's language, with the card as written.
    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name=cy("Close café")).click()
    for name, phone in phones.items():
        say = en if name == ENGLISH else cy
        expect(phone.locator("#now")).to_contain_text(
            say("The café has closed. Thank you for taking part.")
        )
    for name in ("Carys", ENGLISH):
        phone = phones[name]
        phone.goto(f"/p/{cafe.code}/heard")
        say = en if name == ENGLISH else cy
        expect(phone.locator("#heard-title")).to_have_text(say("What we heard"))
        expect(phone.locator("main")).to_contain_text(CARD)
        look(
            phone, f"what we heard in {'English' if name == ENGLISH else 'Welsh'}", phone_lang(name)
        )
    look(console, "the console after the close in Welsh", "cy")

    # A member of a Welsh network opens their personal link: Welsh without choosing.
    member = make_member(session, facilitator, language="cy")
    _, token = member_page_service.issue_link(session=session, member=member, now=utcnow())
    page = people.phone("Gwen")
    page.goto(f"/m/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        cy("Hello, %(name)s", name=member.display_name)
    )
    expect(page.locator("main")).to_contain_text(cy("Your next meeting"))
    look(page, "a member's page in Welsh", "cy")


def phone_lang(name: str) -> str:
    return "en" if name == ENGLISH else "cy"
