"""The printable room kit in a real browser: reached from the console, accessible on screen,
and printed as one tent card per page and a page per round of seating."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from tests.browser.conftest import People, check_accessibility, log_in
from tests.factories import make_cafe, make_participant
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser


def test_the_facilitator_prints_the_room_kit(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, table_count=3, table_capacity=4)
    for n in range(7):
        make_participant(session, cafe, f"Person {n}")
    page = people.laptop()
    log_in(page, facilitator.email)
    page.goto(f"/cafes/{cafe.id}/console")
    page.get_by_role("link", name="Room kit to print").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Room kit: {cafe.title}")
    tents = page.locator("article.tent")
    expect(tents).to_have_count(3)
    expect(tents.first.locator("h3")).to_have_text("Table 1")
    expect(tents.first.locator("svg title")).to_have_text("QR code to host Table 1")
    expect(tents.first.locator(".tent-questions li")).to_have_count(3)
    # Before round 1 every round is planned for the seven people here.
    expect(page.locator(".kit-round h3")).to_have_text(
        ["Round 1 (planned)", "Round 2 (planned)", "Round 3 (planned)"]
    )
    expect(page.locator(".kit-round").first.locator(".kit-table li")).to_have_count(7)
    check_accessibility(page, "the room kit")
    # Printed: no site header, a tent fills a page, each round starts a page.
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    assert tents.first.evaluate("e => getComputedStyle(e).breakAfter") == "page"
    assert (
        page.locator(".kit-round").first.evaluate("e => getComputedStyle(e).breakBefore") == "page"
    )
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 6
