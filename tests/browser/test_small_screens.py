"""Every kind of page in a window 320 CSS pixels wide (a small phone, or a laptop's browser
zoomed to 400%): nothing makes the page scroll sideways, not even a long web address, a long
name or a word with no place to break. The other browser tests check the same at their own
window sizes with the text at 200% (`check_accessibility`)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.services.cafe import cafes as cafe_service
from app.services.cafe import rounds as round_service
from tests.browser.conftest import People, check_accessibility, check_fits_the_window, log_in
from tests.factories import make_cafe, make_contribution, make_participant
from tests.material_setup import make_group_cafe, make_network, say

pytestmark = pytest.mark.browser

UNBROKEN = "Wellbeing" * 8  # a "word" far wider than the window


def fits(page: Page, path: str, label: str) -> None:
    page.goto(path)
    expect(page.locator("main")).to_be_visible()
    check_fits_the_window(page, f"{label} at 320 px", text_sizes=("",))


def test_every_page_fits_a_small_screen(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(
        session,
        facilitator,
        title=f"Choice and control: {UNBROKEN}",
        tables=[
            {"name": "The table by the window overlooking the garden", "capacity": 4},
            {"name": "Table B", "capacity": 4},
            {"name": "Table C", "capacity": 4},
        ],
    )
    for name in ("Sam", "Ade", "Kim"):
        make_participant(session, cafe, name)
    round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    make_contribution(session, cafe, f"See https://example.org/{UNBROKEN}/a/very/long/path")
    make_contribution(session, cafe, UNBROKEN, table=2, kind="barrier", role="carer")

    # A phone of the smallest kind joins with a long name, and reads its table.
    phone = people.small_screen("Mo")
    fits(phone, f"/j/{cafe.code}", "the join page")
    phone.get_by_label("Your name for today").fill("M" * 40)
    phone.get_by_role("button", name=re.compile("Join")).click()
    phone.wait_for_url(f"**/p/{cafe.code}")
    phone.get_by_label("What do you want to add?").fill(f"Mine: {UNBROKEN}")
    phone.get_by_role("button", name="Add to the board").click()
    expect(phone.locator("#board")).to_contain_text("You wrote this")
    check_fits_the_window(phone, "the participant page at 320 px", text_sizes=("",))
    # The question a phone without scripts is asked before its card is taken back: a plain
    # form submission, as such a phone makes it (htmx never sees it).
    phone.locator('form[action$="/withdraw"]').first.evaluate("form => form.submit()")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Take this back?")
    check_fits_the_window(phone, "the take-back question at 320 px", text_sizes=("",))
    check_accessibility(phone, "the take-back question")
    phone.get_by_role("link", name="No, back to the board").click()
    phone.get_by_role("link", name=re.compile("Change")).first.click()
    phone.wait_for_url("**/edit")
    check_fits_the_window(phone, "the edit page at 320 px", text_sizes=("",))

    network = make_network(session, facilitator, title=f"Network {UNBROKEN}")
    north = make_group_cafe(session, facilitator, network, f"Northside {UNBROKEN}")
    say(session, north.cafe, f"Buses {UNBROKEN}", themes=(f"Transport {UNBROKEN[:60]}",))

    # The facilitator's pages on the same small screen.
    laptop = people.laptop()
    log_in(laptop, facilitator.email)
    small = people.small_screen("facilitator", storage_state=laptop.context.storage_state())
    for path, label in (
        ("/dashboard", "the dashboard"),
        ("/cafes/new", "the new café form"),
        (f"/cafes/{cafe.id}/console", "the console"),
        (f"/cafes/{cafe.id}/settings", "a café's settings"),
        (f"/cafes/{cafe.id}/projector", "the projector"),
        (f"/cafes/{cafe.id}/harvest", "the harvest"),
        (f"/cafes/{cafe.id}/notes/print", "the printable notes"),
        ("/tokens", "the API tokens page"),
        ("/networks", "the networks list"),
        (f"/networks/{network.id}", "a network"),
        (f"/networks/groups/{north.group.id}", "a local group"),
        (f"/networks/meetings/{north.meeting.id}", "a network meeting"),
        (f"/networks/{network.id}/materials", "the network's materials"),
        (f"/networks/{network.id}/materials/cross-group", "themes across local groups"),
    ):
        fits(small, path, label)

    # "What we heard", once the café has closed.
    closing = session.get(Cafe, cafe.id)
    assert closing is not None
    cafe_service.close_cafe(session=session, cafe=closing, now=utcnow())
    fits(phone, f"/p/{cafe.code}/heard", "what we heard")
