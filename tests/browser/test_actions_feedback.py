"""Actions that carry over and feedback after a meeting, in Chromium on a phone (issue 25 items
5 and 6): a member opens their page, sees their group's open action and marks it done, then
gives feedback on the meeting they came to with the faces, using the keyboard only; the lead
sees the feedback chart and downloads the evaluation summary, which Word (python-docx) opens
and which holds the member's words. axe-core finds nothing serious on any of these pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import docx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.follow_up import ActionStatus, FeedbackResponse, NetworkAction
from app.models.network import Attendance, LocalGroup, Meeting, Member, Network
from app.services.network import member_page as member_page_service
from tests.browser.conftest import People, check_accessibility, log_in

pytestmark = pytest.mark.browser

COMMENT = "More breaks, and the tea was lovely"


def _world(session: Session, lead: Facilitator) -> tuple[Network, Member, Meeting]:
    network = Network(facilitator_id=lead.id, title="Choice and control at home")
    session.add(network)
    session.commit()
    group = LocalGroup(network_id=network.id, name="Hillside group")
    session.add(group)
    session.commit()
    starts = utcnow() - timedelta(days=14)
    past = Meeting(
        group_id=group.id,
        number=1,
        title="Meeting 1",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    upcoming = Meeting(
        group_id=group.id,
        number=2,
        title="Meeting 2",
        starts_at=starts + timedelta(days=28),
        ends_at=starts + timedelta(days=28, hours=2),
    )
    member = Member(group_id=group.id, display_name="Alexandra Quill", role="lived_experience")
    session.add_all([past, upcoming, member])
    session.commit()
    session.add(Attendance(meeting_id=past.id, member_id=member.id, attended=True, hours=2))
    session.add(
        NetworkAction(
            network_id=network.id,
            group_id=group.id,
            title="Ask the council about bus passes",
            owner_member_id=member.id,
        )
    )
    session.commit()
    return network, member, past


def _tab_to(page: Page, selector: str, *, limit: int = 60) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {selector}")


def test_a_member_sees_the_action_and_gives_feedback_by_keyboard_and_the_lead_exports_it(
    people: People, facilitator: Facilitator, session: Session, tmp_path: object
) -> None:
    network, member, past = _world(session, facilitator)
    member_id, past_id, network_id = member.id, past.id, network.id
    _, token = member_page_service.issue_link(session=session, member=member, now=utcnow())

    phone = people.phone("Alexandra")
    phone.goto(f"/m/{token}")
    phone.wait_for_url(re.compile(r"/me$"))
    actions = phone.get_by_role("region", name="Your group's actions")
    expect(actions).to_contain_text("Ask the council about bus passes")
    form = phone.get_by_role("region", name="How was Meeting 1?")
    expect(form.get_by_role("group", name="How was the meeting?")).to_be_visible()
    check_accessibility(phone, "the member's page with actions and feedback")

    # The faces, the comment and sending, with the keyboard alone.
    _tab_to(phone, "input[name=how_was_it]")
    phone.keyboard.press("Space")  # the first face: very bad
    for _ in range(3):
        phone.keyboard.press("ArrowRight")  # on to "good"
    expect(form.get_by_role("radio", name="Good").first).to_be_checked()
    _tab_to(phone, "input[name=listened]")
    phone.keyboard.press("Space")
    for _ in range(4):
        phone.keyboard.press("ArrowRight")  # "very good"
    _tab_to(phone, "textarea[name=comment]")
    phone.keyboard.type(COMMENT)
    _tab_to(phone, ".feedback-form button[type=submit]")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("status").first).to_contain_text("Thank you")
    check_accessibility(phone, "the member's page after feedback")
    session.expire_all()
    response = session.exec(
        select(FeedbackResponse).where(FeedbackResponse.member_id == member_id)
    ).one()
    assert response.meeting_id == past_id
    assert json.loads(response.scores) == {"how_was_it": 4, "listened": 5}
    assert response.comment == COMMENT

    # The member marks their action done.
    phone.get_by_role("button", name=re.compile("^Done")).click()
    expect(phone.get_by_role("region", name="Your group's actions")).to_contain_text("Done")
    session.expire_all()
    action = session.exec(select(NetworkAction)).one()
    assert action.status == ActionStatus.DONE

    lead = people.laptop()
    log_in(lead, facilitator.email)
    lead.goto(f"/networks/{network_id}/feedback")
    chart = lead.locator("svg.chart[role=img]").first
    expect(chart).to_be_visible()
    expect(lead.locator("main")).to_contain_text(COMMENT)
    check_accessibility(lead, "the lead's feedback page")
    with lead.expect_download() as download:
        lead.get_by_role("link", name="Evaluation summary (Word)").click()
    path = download.value.path()
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Evaluation summary" in text and COMMENT in text
    assert "Attendance: 1 of 1 member." in text
    assert "Ask the council about bus passes" in text  # among the actions done
