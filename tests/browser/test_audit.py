"""The owner reads their audit log in Chromium: entries newest first after they hid a card and
changed a keep-for period, a filter that narrows it, a refused date, and the CSV link; the
page passes axe-core and its lone links are 44-pixel targets (issue 24)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.services import audit
from app.services.board import moderation
from tests.browser.conftest import People, check_accessibility, check_touch_targets, log_in
from tests.factories import make_cafe, make_contribution, make_participant

pytestmark = pytest.mark.browser


def test_the_owner_reads_and_filters_the_audit_log(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, title="Choice at home")
    dee = make_participant(session, cafe, "Dee")
    card = make_contribution(session, cafe, "Dee's words", participant=dee)
    cafe_id, card_id = cafe.id, card.id
    page = people.laptop()
    log_in(page, facilitator.email)

    page.goto("/audit")
    expect(page.locator("#audit-empty")).to_have_text("Nothing recorded.")
    check_accessibility(page, "the empty audit log")

    page.goto(f"/cafes/{cafe_id}/privacy")
    page.get_by_label("Keep personal data for this many days").fill("30")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/cafes/{cafe_id}/privacy")
    session.rollback()
    moderation.hide(
        session=session,
        cafe=cafe,
        contribution_id=card_id,
        now=utcnow(),
        actor=audit.facilitator(facilitator),
    )

    page.get_by_role("navigation", name="Facilitator").get_by_role("link", name="Audit log").click()
    page.wait_for_url("**/audit")
    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Hid a card")
    expect(rows.nth(0)).to_contain_text(facilitator.email)
    expect(rows.nth(0)).to_contain_text(f"contribution {card_id}")
    expect(rows.nth(1)).to_contain_text("Changed how long data is kept")
    expect(rows.nth(1)).to_contain_text("default -> 30 days")
    check_accessibility(page, "the audit log")
    check_touch_targets(page, "the audit log")

    page.get_by_label("What was done").select_option(label="Hid a card")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(page.get_by_role("link", name="Download these entries as CSV")).to_have_attribute(
        "href", "/audit.csv?action=hid_card&since=&until="
    )

    page.goto("/audit?since=31-12-2026")
    expect(page.get_by_role("alert")).to_have_text("Type the from date as a day, month and year.")
    check_accessibility(page, "the audit log with an error")
