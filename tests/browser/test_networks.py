"""A network lead in Chromium: starts a network, adds a local group with its default meeting
schedule and members, marks attendance, runs a meeting as a café, hands out personal invite
links, and fills in the group's action plan. A member joins from their invite on a phone and
nobody else sees who they are. Every page type passes axe-core without serious or critical
problems."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.network import MemberParticipant
from tests.browser.conftest import People, check_accessibility, log_in

pytestmark = pytest.mark.browser


def test_a_lead_runs_a_network_meeting_as_a_cafe(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    page = people.laptop()
    log_in(page, facilitator.email)
    page.get_by_role("link", name="Networks").click()
    page.wait_for_url("**/networks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your networks")
    check_accessibility(page, "the networks list")

    page.get_by_label("Topic", exact=True).fill("Choice and control in supported living")
    page.get_by_role("button", name="Start the network").click()
    page.wait_for_url(re.compile(r"/networks/\d+$"))
    check_accessibility(page, "a network page")

    page.get_by_label("Name", exact=True).fill("Cardiff")
    page.get_by_label("Area or nation").fill("Wales")
    page.get_by_label("First meeting date").fill("2026-04-01")
    page.get_by_label("Where").fill("Community hall")
    page.get_by_role("button", name="Add the group").click()
    page.wait_for_url(re.compile(r"/networks/groups/\d+$"))
    expect(page.get_by_role("link", name=re.compile(r"^Meeting \d$"))).to_have_count(4)
    check_accessibility(page, "a group page")

    for name, role, email in (
        ("Aled Jones", "I draw on care and support", "aled@example.org"),
        ("Bethan Hughes", "Carer or family member", "bethan@example.org"),
    ):
        page.locator("#new-name").fill(name)
        page.locator("#new-role").select_option(label=role)
        page.locator("#new-email").fill(email)
        page.locator("#new-needs").fill("Large print")
        page.get_by_label("Has agreed to take part").check()
        page.get_by_role("button", name="Add the member").click()
        expect(page.get_by_role("cell", name=email)).to_be_visible()

    page.get_by_role("link", name="Edit Aled Jones").click()
    page.wait_for_url(re.compile(r"/networks/members/\d+$"))
    check_accessibility(page, "a member page")
    page.go_back()

    page.get_by_role("link", name="Meeting 1").click()
    page.wait_for_url(re.compile(r"/networks/meetings/\d+$"))
    check_accessibility(page, "a meeting page")
    page.get_by_label("Bethan Hughes came").check()
    page.get_by_label("Hours for Bethan Hughes").fill("2.5")
    page.get_by_role("button", name="Save attendance").click()
    expect(page.locator("#attendance-status")).to_contain_text("Attendance saved.")
    expect(page.get_by_label("Hours for Bethan Hughes")).to_have_value("2.5")

    page.get_by_role("button", name="Run as café").click()
    page.wait_for_url(re.compile(r"/invites$"))
    check_accessibility(page, "the invites page")
    invite = page.get_by_label("Personal link").first.input_value()
    assert "?invite=" in invite

    phone = people.phone("Aled")
    phone.goto(invite)
    check_accessibility(phone, "the join page opened from an invite")
    expect(phone.get_by_label("How are you taking part?")).to_have_value("lived_experience")
    phone.get_by_label("Your name for today").fill("Sunflower")
    phone.get_by_role("button", name="Join the café").click()
    phone.wait_for_url(re.compile(r"/p/[A-Z0-9]+$"))
    for private in ("Aled", "aled@example.org", "Bethan", "Large print"):
        assert private not in phone.content()
    links = session.exec(select(MemberParticipant)).all()
    assert len(links) == 1

    page.get_by_role("link", name="Back to the meeting").click()
    expect(page.get_by_role("row", name=re.compile("Aled Jones"))).to_contain_text("Yes")

    page.get_by_role("link", name="Cardiff").first.click()
    page.get_by_role("button", name="Start the action plan").click()
    page.wait_for_url(re.compile(r"/networks/plans/\d+$"))
    check_accessibility(page, "a group's action plan")
    page.get_by_role("textbox", name="What is the challenge?").fill(
        "People are not asked what they want."
    )
    page.get_by_role("button", name="Save the plan").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_role("textbox", name="What is the challenge?")).to_have_value(
        "People are not asked what they want."
    )

    page.get_by_role("link", name="Choice and control in supported living").click()
    page.get_by_role("button", name="Start the theory of change").click()
    page.wait_for_url(re.compile(r"/networks/plans/\d+$"))
    check_accessibility(page, "a network's theory of change")
