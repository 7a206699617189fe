"""The harvest in Chromium: filter the wall, group contributions into themes with the
keyboard, take up a suggested theme, print the notes, and read "what we heard" on a phone.
Every page passes axe-core without serious or critical problems."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.models.evidence import ContributionTheme, Theme
from app.services.cafe import cafes as cafe_service
from tests.browser.conftest import People, check_accessibility, log_in
from tests.factories import make_cafe, make_contribution

pytestmark = pytest.mark.browser


def test_harvest_by_keyboard_and_suggestions(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, title="Getting out and about")
    make_contribution(session, cafe, "The bus never comes on time", table=1)
    make_contribution(session, cafe, "Bus fares are too high", table=1, kind="barrier")
    make_contribution(session, cafe, "A bus pass changed my week", table=2, kind="enabler")
    make_contribution(session, cafe, "Staff who know me", table=2, role="carer")
    make_contribution(session, cafe, "New staff every week", table=3, role="carer")
    page = people.laptop()
    log_in(page, facilitator.email)
    page.goto(f"/cafes/{cafe.id}/console")
    page.get_by_role("link", name="Harvest and themes").click()
    page.wait_for_url(f"**/cafes/{cafe.id}/harvest")
    expect(page.get_by_role("heading", level=2, name=re.compile("Contributions"))).to_contain_text(
        "(5)"
    )
    check_accessibility(page, "the harvest page")

    # Filter through the form: HTMX swaps the wall and the address follows.
    page.get_by_label("Table", exact=True).select_option(label="Table 2")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator(".wall-cards > li")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"table=2"))
    page.get_by_role("link", name="Clear the filters").click()
    expect(page.locator(".wall-cards > li")).to_have_count(5)

    # A suggested theme, explained by its shared word, taken up in one step.
    suggestions = page.locator("#suggestions")
    expect(suggestions).to_contain_text("3 contributions use the word “bus”")
    suggestions.get_by_label("Theme name").first.fill("Buses")
    # The live region stays in place while the wall is drawn again (a new one is often not
    # read out): marked now, it still bears the mark after the answer.
    page.locator("#harvest-status").evaluate("el => { el.dataset.kept = 'yes'; }")
    suggestions.get_by_role("button", name="Create this theme").first.click()
    expect(page.locator("#harvest-status")).to_contain_text(
        "Theme “Buses” created with 3 contributions."
    )
    expect(page.locator("#harvest-status")).to_have_attribute("data-kept", "yes")
    expect(page.locator("#harvest-status")).to_have_count(1)

    # A theme made by hand, then two cards ticked and added to it, all from the keyboard.
    name = page.get_by_label("Name", exact=True).last
    name.focus()
    page.keyboard.type("Staff")
    page.keyboard.press("Enter")
    expect(page.locator("#harvest-status")).to_contain_text("Theme “Staff” created.")
    for text in ("Staff who know me", "New staff every week"):
        box = page.get_by_role("checkbox", name=text)
        box.focus()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    page.get_by_label("Theme for the ticked contributions").select_option(label="Staff")
    page.get_by_role("button", name="Add to theme").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#harvest-status")).to_contain_text("2 contributions added to “Staff”.")
    check_accessibility(page, "the harvest page with themes")

    session.rollback()
    themes = {t.name: t.id for t in session.exec(select(Theme).where(Theme.cafe_id == cafe.id))}
    assert set(themes) == {"Buses", "Staff"}
    staff = session.exec(
        select(ContributionTheme).where(ContributionTheme.theme_id == themes["Staff"])
    ).all()
    assert len(staff) == 2

    page.goto(f"/cafes/{cafe.id}/notes/print")
    expect(page.get_by_role("heading", level=4, name="Buses")).to_have_count(2)
    check_accessibility(page, "the print view of the notes")


def test_what_we_heard_on_a_phone(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, title="Having a say")
    phone = people.phone("Robin")
    phone.goto(f"/j/{cafe.code}")
    phone.get_by_label("Your name for today").fill("Robin")
    phone.get_by_role("button", name=re.compile("Join")).click()
    phone.wait_for_url(f"**/p/{cafe.code}")
    make_contribution(session, cafe, "Ask me before changing my support")
    make_contribution(session, cafe, "Something the facilitator hid", status="hidden")
    cafe_service.close_cafe(session=session, cafe=session.get(Cafe, cafe.id), now=utcnow())  # type: ignore[arg-type]
    phone.goto(f"/p/{cafe.code}/heard")
    expect(phone.get_by_role("heading", level=1)).to_have_text("What we heard")
    expect(phone.locator(".heard")).to_contain_text("Ask me before changing my support")
    expect(phone.locator(".heard")).not_to_contain_text("Something the facilitator hid")
    expect(phone.locator(".heard")).not_to_contain_text("Robin")
    check_accessibility(phone, "the what-we-heard page")
