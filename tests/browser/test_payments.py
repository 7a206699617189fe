"""Paying members in Chromium (issue 25 item 7): the lead sets the hourly rate, marks who came,
adds a carer-cover expense with a receipt photo and marks the member paid; a wrong amount is
refused with the typed words kept; the member reads their own payments on their phone. axe
passes on each page and nothing scrolls sideways at 320 px or with the text at 200%."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.network import Attendance, LocalGroup, Meeting, Member, Network
from app.services.network import member_page as member_page_service
from tests.board.test_media import photo_with_gps
from tests.browser.conftest import People, check_accessibility, check_fits_the_window, log_in

pytestmark = pytest.mark.browser


def _met(session: Session, lead: Facilitator) -> tuple[Network, Meeting, Member]:
    network = Network(facilitator_id=lead.id, title="Carers' voices")
    session.add(network)
    session.commit()
    group = LocalGroup(network_id=network.id, name="Valleys group")
    session.add(group)
    session.commit()
    starts = utcnow() - timedelta(days=2)
    meeting = Meeting(
        group_id=group.id,
        number=1,
        title="Meeting 1",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    member = Member(group_id=group.id, display_name="Ana Price", role="carer")
    other = Member(group_id=group.id, display_name="Ben Lloyd", role="carer")
    session.add_all([meeting, member, other])
    session.commit()
    for person in (member, other):
        session.add(Attendance(meeting_id=meeting.id, member_id=person.id, attended=True, hours=2))
    session.commit()
    return network, meeting, member


def test_the_lead_pays_a_member_and_the_member_sees_it(
    people: People, facilitator: Facilitator, session: Session, tmp_path: Path
) -> None:
    network, meeting, member = _met(session, facilitator)
    lead = people.laptop()
    log_in(lead, facilitator.email)

    lead.goto(f"/networks/{network.id}")
    lead.get_by_role("link", name="Set the hourly rate").click()
    check_accessibility(lead, "the hourly rate page")
    lead.get_by_label("Pounds an hour").fill("15")
    lead.get_by_role("button", name="Save the rate").click()
    expect(lead.locator("#payments")).to_contain_text("£15.00 an hour")

    lead.goto(f"/networks/meetings/{meeting.id}")
    lead.get_by_role("link", name=re.compile("Payments for this meeting")).click()
    expect(lead.get_by_role("heading", level=1)).to_contain_text("Payments for Meeting 1")
    owed = lead.locator("#owed")
    expect(owed).to_contain_text("£30.00")  # 2 hours at £15
    check_accessibility(lead, "a meeting's payments")

    form = lead.locator("form[action$='/expenses']")
    form.get_by_label("Who spent it").select_option(label="Ana Price")
    form.get_by_label("What for").select_option(label="Carer cover")
    form.get_by_label("Amount in pounds").fill("-3")
    form.get_by_label("Note").fill("sitter for Mum")
    form.get_by_role("button", name="Add the expense").click()
    expect(lead.get_by_role("alert")).to_contain_text("cannot be less than nothing")
    expect(lead.get_by_label("Note")).to_have_value("sitter for Mum")
    check_accessibility(lead, "a refused expense")

    receipt = tmp_path / "receipt.jpg"
    receipt.write_bytes(photo_with_gps())
    lead.get_by_label("Amount in pounds").fill("18.50")
    lead.get_by_label(re.compile("Receipt photo")).set_input_files(str(receipt))
    lead.get_by_role("button", name="Add the expense").click()
    expect(lead.locator("#expenses")).to_contain_text("Carer cover, £18.50 (sitter for Mum)")
    expect(owed.get_by_role("row", name=re.compile("Ana Price"))).to_contain_text("£48.50")
    lead.get_by_role("button", name="Mark Ana Price as paid").click()
    expect(owed.get_by_role("row", name=re.compile("Ana Price"))).to_contain_text("Paid")
    check_fits_the_window(lead, "a meeting's payments")

    _, token = member_page_service.issue_link(session=session, member=member, now=utcnow())
    phone = people.phone("Ana")
    phone.goto(f"/m/{token}")
    phone.wait_for_url(re.compile(r"/me$"))
    phone.get_by_role("link", name="Payments for your time and expenses").click()
    main = phone.locator("main")
    for text in ("Meeting 1", "£30.00", "Carer cover", "£18.50", "£48.50", "Yes, on"):
        expect(main).to_contain_text(text)
    expect(main).not_to_contain_text("Ben Lloyd")
    check_accessibility(phone, "the member's payments")
    check_fits_the_window(phone, "the member's payments")
