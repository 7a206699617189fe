"""A facilitator in Chromium: log in, create a café, reach its console; every page they and
the public see passes axe-core without serious or critical problems."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe, CafeTable, Round
from app.services import sessions
from app.services.cafe import rounds as round_service
from app.services.cafe import seating as seating_service
from tests.browser.conftest import People, check_accessibility, log_in
from tests.factories import make_cafe, make_participant

pytestmark = pytest.mark.browser


def test_log_in_create_a_cafe_and_open_its_console(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    page = people.laptop()
    page.goto("/login")
    check_accessibility(page, "the login page")

    log_in(page, facilitator.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cafés")
    expect(page.get_by_text("You have no cafés yet.")).to_be_visible()
    check_accessibility(page, "the empty dashboard")

    page.get_by_role("link", name="Create a café").click()
    page.wait_for_url("**/cafes/new")
    check_accessibility(page, "the create-café page")

    page.get_by_label("Title").fill("Choice at home")
    page.get_by_label("Purpose").fill("What helps people decide things for themselves?")
    page.get_by_label("Number of tables").fill("3")
    page.get_by_label("People per table").fill("5")
    page.get_by_label("Questions, one round per line").fill(
        "What does a good day look like?\nWhat gets in the way? | 15\nWhat would you change?"
    )
    page.get_by_label("Minutes per round").fill("12")
    page.get_by_role("button", name="Create café").click()

    page.wait_for_url(re.compile(r"/cafes/\d+/console$"))
    session.rollback()  # end the read snapshot taken when the facilitator was made
    cafe = session.exec(select(Cafe).where(Cafe.title == "Choice at home")).one()
    assert page.url.endswith(f"/cafes/{cafe.id}/console")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choice at home")
    expect(page.locator("#console .code")).to_have_text(cafe.code)
    expect(page.locator("#console")).to_contain_text("Not started. 0 joined.")
    expect(page.get_by_role("button", name="Start round 1")).to_be_visible()
    tables = session.exec(select(CafeTable).where(CafeTable.cafe_id == cafe.id)).all()
    assert [(t.name, t.capacity) for t in tables] == [(f"Table {n}", 5) for n in (1, 2, 3)]
    rounds = session.exec(select(Round).where(Round.cafe_id == cafe.id)).all()
    assert sorted((r.number, r.minutes) for r in rounds) == [(1, 12), (2, 15), (3, 12)]
    check_accessibility(page, "the console")

    # The page a big café's console links to for moving one person.
    person = make_participant(session, cafe, "Dee")
    round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    here = seating_service.seating_history(session=session, cafe=cafe, before=2)[0][person.id]
    there = next(t for t in tables if t.id != here)
    page.goto(f"/cafes/{cafe.id}/console/move/{person.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Move Dee")
    check_accessibility(page, "the move page")
    page.get_by_role("button", name=there.name).click()
    page.wait_for_url(re.compile(r"/cafes/\d+/console$"))
    session.rollback()
    assert (
        seating_service.seating_history(session=session, cafe=cafe, before=2)[0][person.id]
        == there.id
    )

    # The café's settings, from the console: more votes each, with the keyboard.
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Settings of")
    check_accessibility(page, "a café's settings")
    page.get_by_label("Votes per person, each round").fill("6")
    page.get_by_role("button", name="Save settings").press("Enter")
    page.wait_for_url(re.compile(r"/cafes/\d+/console$"))
    session.refresh(cafe)
    assert cafe.reaction_budget == 6

    page.goto("/dashboard")
    row = page.get_by_role("row").filter(has_text="Choice at home")
    expect(row).to_contain_text(cafe.code)
    check_accessibility(page, "the dashboard with a café")


def test_create_cafe_form_explains_mistakes(people: People, facilitator: Facilitator) -> None:
    page = people.laptop()
    log_in(page, facilitator.email)
    page.goto("/cafes/new")
    page.get_by_label("Title").fill("Mistakes")
    page.get_by_label("Number of tables").fill("three")
    page.get_by_label("Questions, one round per line").fill("Why?")
    page.get_by_role("button", name="Create café").click()

    expect(page.locator("#form-error")).to_contain_text("Number of tables must be a whole number")
    expect(page.get_by_label("Title")).to_have_value("Mistakes")
    assert page.url.endswith("/cafes/new")
    check_accessibility(page, "the create-café page with an error")


def test_public_and_account_pages_are_accessible(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator)
    visitor = people.phone("visitor")

    visitor.goto("/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Join a café")
    check_accessibility(visitor, "the home page")

    visitor.get_by_label("Café code").fill(cafe.code.lower())
    visitor.get_by_role("button", name="Join").click()
    visitor.wait_for_url(f"**/j/{cafe.code}")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(f"Join “{cafe.title}”")
    check_accessibility(visitor, "the join page")

    response = visitor.goto("/j/NOSUCH")
    assert response is not None and response.status == 404
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(visitor.get_by_role("alert")).to_contain_text("could not find a café with that code")
    check_accessibility(visitor, "the 404 page")

    laptop = people.laptop()
    log_in(laptop, facilitator.email)
    laptop.goto("/account/tokens")
    laptop.get_by_label("Name").fill("Reporting script")
    laptop.get_by_label("Read and write").check()
    laptop.get_by_role("button", name="Create token").click()
    expect(laptop.locator("#new-token")).not_to_be_empty()
    expect(laptop.get_by_role("table")).to_contain_text("Reporting script")
    check_accessibility(laptop, "the API tokens page")


def test_sessions_password_and_reset_pages(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    laptop, tablet = people.laptop(), people.laptop("tablet")
    log_in(laptop, facilitator.email)
    log_in(tablet, facilitator.email)
    laptop.get_by_role("link", name="Sessions and password").click()
    laptop.wait_for_url("**/account/security")
    expect(laptop.get_by_role("table")).to_contain_text("this browser")
    check_accessibility(laptop, "the sessions and password page")

    laptop.get_by_label("Current password").fill("not my password at all")
    laptop.get_by_label("New password", exact=True).fill("a new password, long")
    laptop.get_by_label("New password again").fill("a new password, long")
    laptop.get_by_role("button", name="Change password").click()
    current = laptop.get_by_label("Current password")
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(current).to_have_accessible_description("That is not your current password.")
    check_accessibility(laptop, "the password form with a mistake")

    laptop.get_by_role("button", name="Sign out everywhere else").click()
    expect(laptop.get_by_role("status")).to_have_text("Signed out everywhere else (1 session).")
    tablet.goto("/dashboard")
    tablet.wait_for_url("**/login?next=/dashboard")

    _, token = sessions.issue_reset(session=session, email=facilitator.email, now=utcnow())
    visitor = people.small_screen("reset")
    visitor.goto(f"/reset/{token}")
    check_accessibility(visitor, "the password reset page")
    visitor.get_by_label("New password", exact=True).fill("a new password, long")
    visitor.get_by_label("New password again").fill("a new password, long")
    visitor.get_by_role("button", name="Set password").click()
    expect(visitor.get_by_role("status")).to_contain_text("Your password is changed")
    check_accessibility(visitor, "the password reset page, done")
    laptop.goto("/dashboard")
    laptop.wait_for_url("**/login?next=/dashboard")
    log_in(laptop, facilitator.email, "a new password, long")
