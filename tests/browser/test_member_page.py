"""A member's own page in Chromium on a phone (issue 25 item 1): the lead makes the member's
personal link and prints the letter; the member opens the link on their phone, reads their
next meeting, says no to their words being used, reads everything held about them, asks for
it all to be deleted and confirms. axe-core passes on every page, nothing scrolls sideways or
is cut off with the text at 200%, and a phone without JavaScript does the same."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.network import Meeting, Member
from app.services.network import member_page as member_page_service
from tests.browser.conftest import People, check_accessibility, check_fits_the_window, log_in
from tests.factories import make_member

pytestmark = pytest.mark.browser

DIRECTIONS = "Bus 52 to the library, then the blue door on the left"
BRING = "Your reading glasses"
NEEDS = "A hearing loop"


def _member(session: Session, lead: Facilitator) -> Member:
    member = make_member(
        session,
        lead,
        directions=DIRECTIONS,
        bring=BRING,
        email="alex@example.org",
        accessibility_needs=NEEDS,
        consent_given=True,
        consent_at=utcnow(),
    )
    # Another member of the group, whose name Alexandra's page never shows.
    session.add(Member(group_id=member.group_id, display_name="Bo Marchetti", role="carer"))
    session.commit()
    return member


def _letter(people: People, lead: Facilitator, member: Member) -> str:
    """The lead makes the member's link; returns it as printed on the letter."""
    page = people.laptop()
    log_in(page, lead.email)
    page.goto(f"/networks/members/{member.id}")
    expect(page.get_by_text("No link made yet.")).to_be_visible()
    page.get_by_role("button", name="Make a link and print the letter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your page for Hillside group")
    expect(page.locator(".letter .qr svg")).to_be_visible()
    check_accessibility(page, "the member's letter")
    url = page.locator("#member-link").input_value()
    assert re.fullmatch(r"http://[^/]+/m/[A-Za-z0-9_-]{40,}", url)
    expect(page.locator(".letter")).to_contain_text(url)
    return url


def _nothing_hidden_at_200(page: Page, label: str, texts: tuple[str, ...]) -> None:
    """With the text at 200%, every named text is still shown, in the window's width."""
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    width = page.viewport_size["width"] if page.viewport_size else 0
    for text in texts:
        item = page.get_by_text(text, exact=False).first
        item.scroll_into_view_if_needed()
        expect(item).to_be_visible()
        box = item.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (
            label,
            text,
            box,
        )
    page.evaluate("() => { document.documentElement.style.fontSize = ''; }")


def test_a_member_opens_their_link_changes_consent_and_asks_to_be_deleted(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    member = _member(session, facilitator)
    member_id = member.id
    url = _letter(people, facilitator, member)

    phone = people.phone("Alexandra")
    phone.goto(url)
    phone.wait_for_url(re.compile(r"/me$"))  # the token is gone from the address bar
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hello, Alexandra Quill")
    next_meeting = phone.get_by_role("region", name="Your next meeting")
    for text in ("Meeting 1", "Hillside Library, Room 2", DIRECTIONS, BRING, NEEDS):
        expect(next_meeting).to_contain_text(text)
    expect(phone.get_by_text("Bo Marchetti")).to_have_count(0)
    check_accessibility(phone, "the member's page")
    _nothing_hidden_at_200(
        phone, "the member's page", (DIRECTIONS, BRING, "Save my answer", "Ask us to delete")
    )

    phone.get_by_label("No, do not use it").check()
    phone.get_by_role("button", name="Save my answer").click()
    expect(phone.get_by_role("status")).to_contain_text("Saved")
    expect(phone.locator("#consent")).to_contain_text("You said no")
    check_accessibility(phone, "the member's page after saving consent")
    session.expire_all()
    assert session.get(Member, member_id).consent_given is False  # type: ignore[union-attr]

    phone.get_by_role("link", name="See everything we hold about you").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Everything we hold about you")
    expect(phone.locator("main")).to_contain_text("alex@example.org")
    expect(phone.locator("main")).to_contain_text("last opened")
    check_accessibility(phone, "the member's data page")
    _nothing_hidden_at_200(phone, "the member's data page", ("alex@example.org",))
    phone.get_by_role("link", name="Back to your page").click()

    phone.get_by_role("link", name="Ask us to delete everything").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Delete everything about you")
    expect(phone.locator("main")).to_contain_text("What will go")
    check_accessibility(phone, "the member's delete page")
    _nothing_hidden_at_200(phone, "the member's delete page", ("Delete everything",))
    phone.get_by_label("Yes, delete everything about me.").check()
    phone.get_by_role("button", name="Delete everything").click()
    phone.wait_for_url(re.compile(r"/me/bye$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Everything about you is deleted")
    check_accessibility(phone, "the goodbye page")
    session.expire_all()
    assert session.get(Member, member_id) is None

    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("This link does not work")
    check_accessibility(phone, "the page of a link that no longer works")


def test_the_members_page_works_without_javascript(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    member = _member(session, facilitator)
    member_id = member.id
    url = _letter(people, facilitator, member)
    phone = people.phone("Alexandra", javascript=False)
    phone.goto(url)
    phone.wait_for_url(re.compile(r"/me$"))
    expect(phone.get_by_role("region", name="Your next meeting")).to_contain_text(DIRECTIONS)
    phone.get_by_label("No, do not use it").check()
    phone.get_by_role("button", name="Save my answer").click()
    expect(phone.locator("#consent")).to_contain_text("You said no")
    phone.goto("/me/erase")
    phone.get_by_role("button", name="Delete everything").click()
    # The browser's own check asks for the box first; without it ticked nothing is sent.
    expect(phone).to_have_url(re.compile(r"/me/erase$"))
    phone.get_by_label("Yes, delete everything about me.").check()
    phone.get_by_role("button", name="Delete everything").click()
    phone.wait_for_url(re.compile(r"/me/bye$"))
    session.expire_all()
    assert session.get(Member, member_id) is None


def test_the_members_pages_fit_a_small_screen(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    unbroken = "Wellbeing" * 8  # a "word" far wider than the window
    member = _member(session, facilitator)
    member.display_name = f"Alexandra {unbroken}"[:80]
    member.accessibility_needs = f"{NEEDS}: {unbroken}"
    session.add(member)
    meeting = session.exec(select(Meeting)).one()
    meeting.directions = f"See https://example.org/{unbroken}/a/very/long/path"
    session.add(meeting)
    session.commit()
    _, token = member_page_service.issue_link(session=session, member=member, now=utcnow())
    phone = people.small_screen("Alexandra")
    phone.goto(f"/m/{token}")
    phone.wait_for_url(re.compile(r"/me$"))
    for path, label in (
        ("/me", "the member's page"),
        ("/me/data", "the member's data page"),
        ("/me/erase", "the member's delete page"),
    ):
        phone.goto(path)
        expect(phone.locator("main")).to_be_visible()
        check_fits_the_window(phone, f"{label} at 320 px")
    laptop = people.small_screen("lead")
    log_in(laptop, facilitator.email)
    laptop.goto(f"/networks/members/{member.id}")
    laptop.get_by_role("button", name="Make a new link and print the letter").click()
    expect(laptop.locator(".letter .qr svg")).to_be_visible()
    check_fits_the_window(laptop, "the member's letter at 320 px")
