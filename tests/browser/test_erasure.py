"""The owner erases one person from the console, then the whole café from its settings, in
Chromium; both confirmation pages say what will go and pass axe-core (issue 24)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe, Participant
from app.models.evidence import Contribution
from tests.browser.conftest import People, check_accessibility, log_in
from tests.factories import make_cafe, make_contribution, make_participant

pytestmark = pytest.mark.browser


def test_erase_a_person_then_the_cafe(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, title="Choice at home")
    dee = make_participant(session, cafe, "Dee")
    make_participant(session, cafe, "Eli")
    make_contribution(session, cafe, "Dee's words", participant=dee)
    cafe_id, dee_id = cafe.id, dee.id
    page = people.laptop()
    log_in(page, facilitator.email)

    page.goto(f"/cafes/{cafe_id}/console")
    page.get_by_role("link", name=f"Erase Person {dee_id}").click()
    page.wait_for_url(f"**/cafes/{cafe_id}/people/{dee_id}/erase")
    expect(page.locator("#erases")).to_contain_text("This removes Dee's name, role and")
    expect(page.locator("#erases")).to_contain_text("1 card, 0 photos")
    check_accessibility(page, "the erase-a-person page")
    page.get_by_role("link", name="See everything held about Dee").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What we hold about Dee")
    expect(page.get_by_text("“Dee's words”")).to_be_visible()
    check_accessibility(page, "the subject access page")
    page.go_back()
    page.get_by_label("Erase Dee and everything above.").check()
    page.get_by_role("button", name="Erase Dee").click()
    page.wait_for_url(re.compile(r"/cafes/\d+/console$"))
    session.rollback()
    assert session.get(Participant, dee_id) is None
    assert session.exec(select(Contribution)).all() == []

    page.goto(f"/cafes/{cafe_id}/settings")
    page.get_by_role("link", name="How long it is kept").click()
    expect(page.locator("#erase-on")).to_contain_text("will be erased on")
    check_accessibility(page, "the personal data page")
    page.get_by_label("Keep personal data for this many days").fill("0")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Type a number of days from 1 to 3650")
    check_accessibility(page, "the personal data page with an error")
    page.goto(f"/cafes/{cafe_id}/settings")
    page.get_by_role("link", name="Erase the café…").click()
    expect(page.locator("#erases")).to_contain_text("1 person's name, 0 cards")
    check_accessibility(page, "the erase-a-café page")
    page.get_by_label("Erase this café and everything above.").check()
    page.get_by_role("button", name="Erase the café").click()
    page.wait_for_url("**/dashboard")
    session.rollback()
    assert session.get(Cafe, cafe_id) is None


def test_the_dashboard_warning_passes_axe(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, title="Spring café")
    cafe.status, cafe.closed_at = "closed", utcnow() - timedelta(days=360)
    session.add(cafe)
    session.commit()
    page = people.laptop()
    log_in(page, facilitator.email)
    expect(page.get_by_role("status")).to_contain_text("Café “Spring café” will be erased on")
    check_accessibility(page, "the dashboard with an erasure warning")
