"""Roles beside the owner in Chromium (issue 24): the owner invites a co-facilitator from the
café's settings; the second facilitator opens the link, signs in, accepts, runs the next round
from the console while a phone follows, hides a card, and finds no way to erase the café. A
network lead invites a coordinator to one group, who sees its members and not the other
group's. Every new page passes axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from app.models.network import LocalGroup, Member, Network
from tests.browser.conftest import People, check_accessibility, check_fits_the_window, log_in
from tests.browser.test_board import add
from tests.browser.test_cafe_journey import join
from tests.factories import PASSWORD, make_cafe, make_facilitator

pytestmark = pytest.mark.browser


def _invite(owner: Page, email: str) -> str:
    """Fill the invite form on the page the owner is on; the link the next page shows once."""
    owner.get_by_label("Invite someone: the email address they sign in with").fill(email)
    owner.get_by_role("button", name="Make an invite link").click()
    expect(owner.get_by_role("status")).to_contain_text(f"Send this link to {email}")
    check_accessibility(owner, "the invite link page")
    link = owner.locator("#invite-link").input_value()
    assert "/r/" in link
    return link


def _accept_after_signing_in(helper: Page, link: str, email: str) -> None:
    helper.goto(link)
    expect(helper.get_by_role("heading", level=1)).to_have_text("An invitation to help")
    check_accessibility(helper, "an invite link before signing in")
    helper.get_by_role("link", name="Sign in to accept").click()
    helper.locator("#email").fill(email)
    helper.locator("#password").fill(PASSWORD)
    helper.get_by_role("button", name="Log in").click()
    helper.wait_for_url(re.compile(r"/r/[^/]+$"))
    expect(helper.get_by_text(f"You are signed in as {email}")).to_be_visible()
    check_accessibility(helper, "an invite link, signed in")
    helper.get_by_role("button", name="Accept").click()


def test_a_co_facilitator_runs_a_round_and_hides_a_card_but_cannot_erase(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, title="Tuesday café", table_count=1)
    helper_account = make_facilitator(session, "helper@example.org")
    cafe_id, code = cafe.id, cafe.code

    owner = people.laptop("owner")
    log_in(owner, facilitator.email)
    owner.goto(f"/cafes/{cafe_id}/settings")
    expect(owner.get_by_role("heading", name="People who help run this café")).to_be_visible()
    check_accessibility(owner, "the café settings with its helpers")
    link = _invite(owner, helper_account.email)
    owner.get_by_role("link", name="Back").click()
    expect(owner.locator("#helpers")).to_contain_text("helper@example.org")

    helper = people.laptop("co-facilitator")
    _accept_after_signing_in(helper, link, helper_account.email)
    helper.wait_for_url(f"**/cafes/{cafe_id}/console")
    helper.goto("/dashboard")
    expect(helper.get_by_role("heading", name="Cafés you help run")).to_be_visible()
    check_accessibility(helper, "a dashboard with cafés one helps run")
    helper.get_by_role("link", name="Console for Tuesday café").click()
    helper.wait_for_url(f"**/cafes/{cafe_id}/console")
    expect(helper.locator("#console .code")).to_have_text(code)
    expect(helper.get_by_role("link", name="Settings")).to_have_count(0)
    check_accessibility(helper, "the console of a co-facilitator")

    ann = people.phone("Ann")
    join(ann, f"/j/{code}", "Ann", "lived_experience")
    expect(helper.locator("#console-status")).to_contain_text("1 joined")
    helper.get_by_role("button", name="Start round 1").click()
    expect(helper.locator("#console-status")).to_contain_text("Round 1 of 3")
    expect(ann.locator("#now")).to_contain_text("Round 1")

    add(ann, "Buses that never come")
    card = helper.locator("#moderation li", has_text="Buses that never come")
    card.get_by_role("button", name=re.compile("^Hide")).click()
    expect(ann.locator("#board")).not_to_contain_text("Buses that never come")

    # The next round, with time left in this one: the console asks first.
    helper.once("dialog", lambda dialog: dialog.accept())
    helper.get_by_role("button", name="Start round 2").click()
    expect(helper.locator("#console-status")).to_contain_text("Round 2 of 3")
    expect(ann.locator("#now")).to_contain_text("Round 2")

    # No way to erase: no link on the console, and the address answers "not found".
    expect(helper.get_by_role("link", name=re.compile("Erase"))).to_have_count(0)
    response = helper.goto(f"/cafes/{cafe_id}/erase")
    assert response is not None and response.status == 404
    expect(helper.get_by_text("No such café.")).to_be_visible()
    response = helper.goto(f"/cafes/{cafe_id}/settings")
    assert response is not None and response.status == 404


def _network(session: Session, lead: Facilitator) -> tuple[int, int]:
    network = Network(facilitator_id=lead.id, title="Choice and control")
    session.add(network)
    session.commit()
    ids = []
    for name in ("North", "South"):
        group = LocalGroup(network_id=network.id, name=name)
        session.add(group)
        session.commit()
        session.add(
            Member(
                group_id=group.id,
                display_name=f"{name} member",
                role="carer",
                email=f"{name.lower()}@example.org",
            )
        )
        session.commit()
        ids.append(group.id)
    return ids[0], ids[1]


def test_a_coordinator_sees_their_group_and_not_the_other(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    north, south = _network(session, facilitator)
    coordinator = make_facilitator(session, "coordinator@example.org")

    lead = people.laptop("lead")
    log_in(lead, facilitator.email)
    lead.goto(f"/networks/groups/{north}")
    expect(lead.get_by_role("heading", name="People who coordinate this group")).to_be_visible()
    check_accessibility(lead, "a group page with its coordinators")
    link = _invite(lead, coordinator.email)

    # Opened first on a small phone: the page fits its screen.
    small = people.small_screen("coordinator's phone")
    small.goto(link)
    expect(small.get_by_role("link", name="Sign in to accept")).to_be_visible()
    check_fits_the_window(small, "an invite link at 320 px", text_sizes=("",))

    helper = people.laptop("coordinator")
    _accept_after_signing_in(helper, link, coordinator.email)
    helper.wait_for_url(f"**/networks/groups/{north}")
    expect(helper.get_by_role("heading", level=1)).to_contain_text("North")
    expect(helper.locator("#members")).to_contain_text("north@example.org")
    expect(helper.get_by_role("heading", name="Edit the group")).to_have_count(0)
    check_accessibility(helper, "a group page of a coordinator")
    helper.goto("/dashboard")
    expect(helper.get_by_role("heading", name="Local groups you coordinate")).to_be_visible()
    expect(helper.get_by_role("link", name=re.compile("^South"))).to_have_count(0)
    check_accessibility(helper, "a dashboard with groups one coordinates")
    response = helper.goto(f"/networks/groups/{south}")
    assert response is not None and response.status == 404
    expect(helper.get_by_text("south@example.org")).to_have_count(0)
