"""A network lead in Chromium works on a discussion material: writes version 1, publishes it,
picks evidence from two local groups' cafés with the keyboard only, publishes version 2 and
reads the diff, the cross-group view, the print view and the easy-read edition. Every page
type passes axe-core without serious or critical problems."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from tests.browser.conftest import People, check_accessibility, log_in
from tests.material_setup import make_group_cafe, make_network, say

pytestmark = pytest.mark.browser


def _tab_to(page: Page, selector: str, limit: int = 200) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"Tab never reached {selector}")


def test_a_material_from_two_groups_with_the_keyboard(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    network = make_network(session, facilitator, "Choice and control")
    north = make_group_cafe(session, facilitator, network, "Highland group")
    south = make_group_cafe(session, facilitator, network, "Cardiff group")
    bus = say(
        session,
        north.cafe,
        "The last bus is at six.",
        kind="barrier",
        themes=("Transport",),
    )
    say(
        session,
        south.cafe,
        "A taxi account helps my son.",
        role="carer",
        kind="enabler",
        themes=("transport",),
    )
    page = people.laptop()
    log_in(page, facilitator.email)
    base = f"/networks/{network.id}/materials"

    page.goto(base)
    expect(page.get_by_role("heading", level=1)).to_have_text("Discussion materials")
    check_accessibility(page, "the materials list")
    page.get_by_label("Title", exact=True).fill("Getting out and about")
    page.get_by_label("First section heading").fill("What members told us")
    page.get_by_label("First section text").fill("What helps and what gets in the way.")
    page.get_by_role("button", name="Create version 1").click()
    page.wait_for_url(re.compile(r"/versions/1$"))
    expect(page.get_by_role("status")).to_contain_text("Version 1 was created as a draft.")
    check_accessibility(page, "a draft version")

    page.get_by_role("link", name="Edit “What members told us”").click()
    page.wait_for_url(re.compile(r"/edit$"))
    check_accessibility(page, "the section editor")
    page.get_by_label("Easy-read text").fill("Getting about is hard.\nSome things help.")
    page.get_by_role("button", name="Save section").click()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 is published.")
    check_accessibility(page, "a published version")
    page.get_by_role("button", name="Start version 2 from this one").click()
    page.wait_for_url(re.compile(r"/versions/2$"))

    page.get_by_role("link", name="Add evidence to “What members told us”").click()
    page.wait_for_url(re.compile(r"/merge$"))
    check_accessibility(page, "the merge picker")
    # Keyboard only: tick one contribution and one whole theme, then send the form.
    _tab_to(page, f'input[name="contribution"][value="{bus.id}"]')
    page.keyboard.press("Space")
    _tab_to(page, 'input[name="theme_id"] >> nth=1')
    page.keyboard.press("Space")
    _tab_to(page, 'button:has-text("Add the chosen evidence")')
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/versions/2(#section-\d+)?$"))
    expect(page.get_by_role("status")).to_contain_text("2 evidence items added")
    expect(page.locator(".evidence")).to_have_count(2)
    check_accessibility(page, "a draft with evidence")

    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 is published.")
    page.get_by_role("button", name="Show changes").click()
    page.wait_for_url(re.compile(r"/diff\?from=1&to=2$"))
    expect(page.get_by_role("table", name="Where the new evidence came from")).to_contain_text(
        "Highland group"
    )
    check_accessibility(page, "the diff")

    page.goto(f"{base}/cross-group")
    expect(page.get_by_role("table", name="Raised by several local groups")).to_contain_text(
        "Transport"
    )
    check_accessibility(page, "the cross-group view")

    page.goto(base)
    page.get_by_role("link", name="Getting out and about", exact=True).click()
    page.get_by_role("link", name="Print view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Getting out and about")
    check_accessibility(page, "the print view")
    page.go_back()
    page.get_by_role("link", name="Easy-read edition").click()
    expect(page.locator(".idea").filter(has_text="Getting about is hard.")).to_be_visible()
    check_accessibility(page, "the easy-read edition")

    page.goto(f"{base}/999999")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    check_accessibility(page, "a missing material")
