"""What we heard and "you said, we did" on a member's own page, in Chromium (issue 25 items 3
and 4): the lead writes an update for the member's group on the group's page; the group's
café opens with it on the projector; the member joins the café from their own page on a
phone, posts, the facilitator closes the café from the console, and the member's page then
shows what the café heard and the update. axe-core passes on every page on the way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.network import LocalGroup, Meeting, Member, Network, RunAsCafeRequest
from app.models.you_said import YouSaidCreate
from app.services import roles
from app.services.network import member_page as member_page_service
from app.services.network import you_said as you_said_service
from tests.browser.conftest import People, check_accessibility, log_in

pytestmark = pytest.mark.browser

SAID = "The bus times made it hard to come"
DID = "We now pay for taxis to every meeting"
CARD = "A lift from the station would help me get here"
SOUTH = "Southern secret: the hall was cold"


def test_a_member_reads_what_we_heard_and_an_update_after_the_cafe_closes(
    people: People, facilitator: Facilitator, session: Session
) -> None:
    network = Network(facilitator_id=facilitator.id, title="Choice and control at home")
    session.add(network)
    session.commit()
    north = LocalGroup(network_id=network.id, name="Hillside group")
    south = LocalGroup(network_id=network.id, name="Riverside group")
    session.add_all([north, south])
    session.commit()
    starts = utcnow() - timedelta(minutes=10)
    meeting = Meeting(
        group_id=north.id,
        number=1,
        title="Meeting 1",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    member = Member(
        group_id=north.id,
        display_name="Alexandra Quill",
        role="lived_experience",
        consent_given=True,
        consent_at=utcnow(),
    )
    session.add_all([meeting, member])
    session.commit()
    cafe = roles.run_meeting_as_cafe(
        session=session,
        facilitator=facilitator,
        meeting=meeting,
        data=RunAsCafeRequest(questions=["What helps you get here?"], minutes=20, table_count=1),
    )
    you_said_service.create_update(
        session=session,
        network=network,
        facilitator=facilitator,
        data=YouSaidCreate(you_said=SOUTH, we_did="We fixed the heating", group_id=south.id),
        now=utcnow(),
    )
    _, token = member_page_service.issue_link(session=session, member=member, now=utcnow())
    cafe_id, north_id, meeting_id = cafe.id, north.id, meeting.id

    # The lead writes an update for the member's group on the group's page.
    lead = people.laptop()
    log_in(lead, facilitator.email)
    lead.goto(f"/networks/groups/{north_id}")
    lead.get_by_role("link", name="Write and see updates").click()
    expect(lead.get_by_role("heading", level=1)).to_contain_text("You said, we did")
    check_accessibility(lead, "the group's updates")
    lead.get_by_label("You said").fill(SAID)
    lead.get_by_label("We did").fill("   ")  # only spaces: the browser lets it through
    lead.get_by_role("button", name="Save the update").click()
    expect(lead.get_by_role("alert")).to_contain_text("Write what was done")
    expect(lead.get_by_label("You said")).to_have_value(SAID)  # kept what was typed
    lead.get_by_label("We did").fill(DID)
    lead.get_by_role("button", name="Save the update").click()
    expect(lead.locator("#updates")).to_contain_text(DID)
    expect(lead.get_by_text("Update saved.")).to_be_visible()
    lead.get_by_role("link", name=re.compile("^Change or delete")).click()
    expect(lead.get_by_role("heading", level=1)).to_have_text("Change an update")
    check_accessibility(lead, "changing an update")
    # The meeting's page offers to detach its café (and, without one, to attach one).
    lead.goto(f"/networks/meetings/{meeting_id}")
    expect(lead.get_by_role("button", name="Detach the café")).to_be_visible()
    check_accessibility(lead, "the meeting's page")

    # The café opens with it on the projector, before round 1; not with the other group's.
    projector = people.laptop("projector", storage_state=lead.context.storage_state())
    projector.goto(f"/cafes/{cafe_id}/projector")
    you_said = projector.locator("#projector-you-said")
    expect(you_said).to_be_visible()
    expect(you_said).to_contain_text(SAID)
    expect(you_said).not_to_contain_text(SOUTH)
    check_accessibility(projector, "the projector before round 1")

    # The member joins the café from their own page, on a phone, and posts.
    phone = people.phone("Alexandra")
    phone.goto(f"/m/{token}")
    phone.wait_for_url(re.compile(r"/me$"))
    phone.get_by_role("link", name="Join Meeting 1").click()
    phone.locator("#display_name").fill("Alex")
    phone.get_by_label("Yes, you can use what I say").check()
    phone.get_by_role("button", name="Join the café").click()
    phone.wait_for_url(re.compile(r"/p/[A-Z0-9]+$"))

    console = lead
    console.goto(f"/cafes/{cafe_id}/console")
    console.get_by_role("button", name="Start round 1").click()
    expect(console.locator("#console-status")).to_contain_text("Round 1 of 1")
    expect(projector.locator("#projector-you-said")).to_be_hidden()  # the round took over

    expect(phone.locator("#now")).to_contain_text("Round 1")
    phone.locator("#contribution-text").fill(CARD)
    phone.locator("#compose").get_by_label("Idea", exact=True).check()
    phone.get_by_role("button", name="Add to the board").click()
    expect(phone.locator("#board")).to_contain_text(CARD)

    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name="Close café").click()
    expect(console.locator("#console-status")).to_contain_text("The café is closed.")

    # Back on their page: what we heard, and the update for their group.
    phone.goto("/me")
    heard = phone.get_by_role("region", name="What we heard")
    expect(heard).to_contain_text(CARD)
    expect(heard).to_contain_text("Meeting 1")
    expect(heard).not_to_contain_text("Alex ")
    updates = phone.get_by_role("region", name="You said, we did")
    expect(updates).to_contain_text(SAID)
    expect(updates).to_contain_text(DID)
    expect(phone.locator("main")).not_to_contain_text(SOUTH)
    check_accessibility(phone, "the member's page after the close")
