"""Issue 24's privacy journey in Chromium: a member who consented joins a meeting's café from
their invite on a phone and posts a card; the lead merges it into a material and publishes
version 1; the member says no on their own page; version 2 (and version 1 with it), in every
edition and export, shows the withdrawal phrase in place of the words, with where they came
from kept. Then the café's owner erases a participant who posted a photo, from the console,
and the photo file is gone from the server's disk and its address answers 404. Every page
type visited passes axe-core."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Participant
from app.models.evidence import Media
from app.models.material import WITHDRAWN_TEXT
from app.models.network import Member, MemberParticipant
from app.services import media as media_service
from app.services.network import invites as invite_service
from app.services.network import member_page as member_page_service
from tests.browser.conftest import People, check_accessibility, log_in
from tests.browser.test_board import PNG, add
from tests.factories import PASSWORD, make_contribution, make_participant
from tests.live_server import SECRET, LiveServer
from tests.material_setup import make_group_cafe, make_network
from tests.privacy.scene import docx_text

pytestmark = pytest.mark.browser

WORDS = "The day centre bus never comes on a Tuesday morning"
GROUP = "Hillside group"


def _api(live: LiveServer, facilitator: Facilitator) -> httpx.Client:
    api = httpx.Client(base_url=live.url, timeout=10)
    token = api.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    assert token.status_code == 200, token.text
    api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return api


def _join_from_invite(phone: Page, url: str, name: str) -> None:
    """The member opens their invite on a phone and joins, saying yes to their words being
    used."""
    phone.goto(url)
    expect(phone.get_by_text("What happens to what you say")).to_be_visible()
    check_accessibility(phone, "the join page from an invite")
    phone.locator("#display_name").fill(name)
    phone.get_by_label("Yes, you can use what I say").check()
    phone.get_by_role("button", name="Join the café").click()
    phone.wait_for_url(re.compile(r"/p/[A-Z0-9]+$"))
    expect(phone.locator("#consent")).to_contain_text("Now: yes")


def _exports(page: Page, version_url: str) -> dict[str, str]:
    """Every file and printable page of a version, as the lead's browser fetches them."""
    out: dict[str, str] = {}
    for name in ("material.md", "easy-read.md", "material.json"):
        r = page.request.get(f"{version_url}/download/{name}")
        assert r.status == 200, (name, r.status)
        out[name] = r.text()
    for name in ("material.docx", "easy-read.docx"):
        r = page.request.get(f"{version_url}/download/{name}")
        assert r.status == 200, (name, r.status)
        out[name] = docx_text(r.body())
    for name in ("print", "easy-read"):
        r = page.request.get(f"{version_url}/{name}")
        assert r.status == 200, (name, r.status)
        out[name] = r.text()
    return out


def _shows_withdrawal(page: Page, version_url: str, label: str) -> None:
    """The version's page, its print view and easy-read edition, and every download show the
    withdrawal phrase instead of the words; the item keeps where it came from."""
    page.goto(version_url)
    evidence = page.locator(".evidence")
    expect(evidence).to_have_count(1)
    expect(evidence).to_contain_text(WITHDRAWN_TEXT)
    expect(evidence).to_contain_text(GROUP)
    expect(page.locator("main")).not_to_contain_text(WORDS)
    check_accessibility(page, f"{label} after the withdrawal")
    page.goto(f"{version_url}/easy-read")
    expect(page.locator("main")).to_contain_text(WITHDRAWN_TEXT)
    expect(page.locator("main")).not_to_contain_text(WORDS)
    check_accessibility(page, f"the easy-read edition of {label} after the withdrawal")
    page.goto(f"{version_url}/print")
    expect(page.locator("main")).to_contain_text(WITHDRAWN_TEXT)
    expect(page.locator("main")).not_to_contain_text(WORDS)
    check_accessibility(page, f"the print view of {label} after the withdrawal")
    for name, text in _exports(page, version_url).items():
        assert WORDS not in text, f"{label}: {name} still has the words"
        assert WITHDRAWN_TEXT in text, f"{label}: {name} does not show the withdrawal"
    data = json.loads(page.request.get(f"{version_url}/download/material.json").text())
    items = [item for section in data["sections"] for item in section["evidence"]]
    assert len(items) == 1, f"{label}: the evidence item went"
    assert items[0]["group_name"] == GROUP and items[0]["round_number"] == 1


def test_a_member_withdraws_and_the_owner_erases_a_photo(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    network = make_network(session, facilitator, "Choice and control at home")
    at = make_group_cafe(session, facilitator, network, GROUP)
    cafe, group = at.cafe, at.group
    member = Member(
        group_id=group.id,
        display_name="Alexandra Quill",
        role="lived_experience",
        consent_given=True,
        consent_at=utcnow(),
    )
    session.add(member)
    session.commit()
    session.refresh(member)
    assert cafe.id is not None and member.id is not None
    cafe_id, member_id = cafe.id, member.id
    api = _api(live, facilitator)
    assert api.post(f"/api/v1/cafes/{cafe_id}/rounds/next").status_code == 200

    # 1. The member joins from their invite on a phone and posts a card.
    invite = invite_service.invite_url(base_url=live.url, secret=SECRET, member=member, cafe=cafe)
    phone = people.phone("Alexandra")
    _join_from_invite(phone, invite, "Alex")
    add(phone, WORDS)
    expect(phone.locator("#board")).to_contain_text(WORDS)
    session.expire_all()
    link = session.exec(
        select(MemberParticipant).where(MemberParticipant.member_id == member_id)
    ).one()
    card = session.exec(select(Participant).where(Participant.id == link.participant_id)).one()
    assert card.evidence_consent is True

    # The lead writes a material, merges the card as evidence and publishes version 1.
    lead = people.laptop()
    log_in(lead, facilitator.email)
    base = f"/networks/{network.id}/materials"
    lead.goto(base)
    lead.get_by_label("Title", exact=True).fill("Getting out and about")
    lead.get_by_label("First section heading").fill("What members told us")
    lead.get_by_label("First section text").fill("What helps and what gets in the way.")
    lead.get_by_role("button", name="Create version 1").click()
    lead.wait_for_url(re.compile(r"/versions/1$"))
    v1 = lead.url
    lead.get_by_role("link", name="Add evidence to “What members told us”").click()
    lead.wait_for_url(re.compile(r"/merge$"))
    candidate = lead.get_by_role("checkbox", name=re.compile(re.escape(WORDS)))
    candidate.check()
    check_accessibility(lead, "the merge picker")
    lead.get_by_role("button", name="Add the chosen evidence").click()
    lead.wait_for_url(re.compile(r"/versions/1(#section-\d+)?$"))
    expect(lead.get_by_role("status")).to_contain_text("1 evidence item added")
    lead.get_by_role("button", name="Publish version 1").click()
    expect(lead.get_by_role("status")).to_contain_text("Version 1 is published.")
    expect(lead.locator(".evidence")).to_contain_text(WORDS)
    check_accessibility(lead, "a published version with evidence")
    assert WORDS in _exports(lead, v1)["material.md"]

    # 2. The member opens their personal link on the phone and says no.
    _, token = member_page_service.issue_link(session=session, member=member, now=utcnow())
    phone.goto(f"/m/{token}")
    phone.wait_for_url(re.compile(r"/me$"))
    check_accessibility(phone, "the member's page")
    phone.get_by_label("No, do not use it").check()
    phone.get_by_role("button", name="Save my answer").click()
    expect(phone.locator("#consent")).to_contain_text("You said no")
    session.expire_all()
    assert session.get(Participant, link.participant_id).evidence_consent is False  # type: ignore[union-attr]

    # 3. The lead publishes version 2: it and version 1 show the withdrawal everywhere.
    lead.goto(v1)
    lead.get_by_role("button", name="Start version 2 from this one").click()
    lead.wait_for_url(re.compile(r"/versions/2$"))
    v2 = lead.url
    # Their card is no longer offered as evidence.
    lead.get_by_role("link", name="Add evidence to “What members told us”").click()
    lead.wait_for_url(re.compile(r"/merge$"))
    expect(lead.locator(".candidates")).to_have_count(0)
    expect(lead.locator("main")).to_contain_text("No visible contributions.")
    expect(lead.locator("main")).not_to_contain_text(WORDS)
    lead.goto(v2)
    lead.get_by_role("button", name="Publish version 2").click()
    expect(lead.get_by_role("status")).to_contain_text("Version 2 is published.")
    _shows_withdrawal(lead, v2, "version 2")
    _shows_withdrawal(lead, v1, "version 1")

    # 4. Someone else at the café posted a card with a photo; the owner erases them.
    dee = make_participant(session, cafe, "Dee")
    photo_card = make_contribution(session, cafe, "Our paper tablecloth", participant=dee)
    media_dir = live.log_path.parent / "media"
    item = media_service.attach(
        session=session,
        media_dir=media_dir,
        cafe=cafe,
        person=dee,
        contribution_id=photo_card.id,
        prepared=media_service.prepare(source=io.BytesIO(PNG), size=len(PNG)),
        now=utcnow(),
    )
    photo_path: Path = media_dir / item.path
    assert photo_path.is_file()
    photo_url = f"/media/{item.id}"
    assert lead.request.get(photo_url).status == 200
    dee_id = dee.id
    lead.goto(f"/cafes/{cafe_id}/console")
    lead.get_by_role("link", name=f"Erase Person {dee_id}").click()
    lead.wait_for_url(f"**/cafes/{cafe_id}/people/{dee_id}/erase")
    expect(lead.locator("#erases")).to_contain_text("1 card, 1 photo")
    check_accessibility(lead, "the erase-a-person page")
    lead.get_by_label("Erase Dee and everything above.").check()
    lead.get_by_role("button", name="Erase Dee").click()
    lead.wait_for_url(re.compile(r"/cafes/\d+/console$"))
    check_accessibility(lead, "the console after an erasure")
    assert not photo_path.exists()
    assert lead.request.get(photo_url).status == 404
    session.expire_all()
    assert session.get(Participant, dee_id) is None
    assert session.exec(select(Media)).all() == []
