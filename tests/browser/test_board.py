"""Table boards in real browsers: four phones at two tables and the facilitator's console.

Posts show on the phones of the same table and on the console, never at the other table;
hiding a card takes it off the phones at once; a phone that loses its connection keeps its
post ("Waiting to send") and sends it exactly once when the connection comes back.
"""

from __future__ import annotations

import io
import re

import httpx2 as httpx
import pytest
from PIL import Image
from playwright.sync_api import FilePayload, Page, Route, expect
from sqlmodel import Session, col, select

from app.models.accounts import Facilitator
from app.models.cafe import Round
from app.models.evidence import Contribution
from tests.browser.conftest import People, check_accessibility, log_in
from tests.browser.test_cafe_journey import join
from tests.factories import PASSWORD, make_cafe
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (240, 200, 40)).save(out, "PNG")
    return out.getvalue()


PNG = _png()


def add(phone: Page, text: str, kind: str = "Idea") -> None:
    """Write a contribution the way a person does: type, choose a kind, send."""
    phone.locator("#contribution-text").fill(text)
    phone.locator("#compose").get_by_label(kind, exact=True).check()
    phone.get_by_role("button", name="Add to the board").click()


def rows(session: Session, text: str) -> list[Contribution]:
    return list(session.exec(select(Contribution).where(col(Contribution.text) == text)))


def test_boards_live_at_two_tables_with_moderation_and_an_offline_post(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, table_count=2, table_capacity=4)
    api = httpx.Client(base_url=live.url, timeout=10)
    token = api.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    console = people.laptop()
    log_in(console, facilitator.email)

    names = {"Ann": 1, "Bo": 1, "Cy": 2, "Di": 2}
    phones: dict[str, Page] = {}
    for name in names:
        phones[name] = people.phone(name)
        join(phones[name], f"/j/{cafe.code}", name, "lived_experience")
    assert api.post(f"/api/v1/cafes/{cafe.id}/rounds/next").status_code == 200
    tables = {t["number"]: t["id"] for t in api.get(f"/api/v1/cafes/{cafe.id}").json()["tables"]}
    for person in api.get(f"/api/v1/cafes/{cafe.id}/participants").json():
        moved = api.post(
            f"/api/v1/cafes/{cafe.id}/participants/{person['id']}/move",
            json={"table_id": tables[names[person["display_name"]]]},
        )
        assert moved.status_code == 200
    for name, phone in phones.items():
        expect(phone.locator("#board h2")).to_have_text(f"Table {names[name]}: the board")
        expect(phone.locator("#compose textarea")).to_be_visible()
    console.goto(f"/cafes/{cafe.id}/console")
    expect(console.locator("#moderation")).to_contain_text("Round 1 boards")

    ann, bo, cy, di = (phones[n] for n in ("Ann", "Bo", "Cy", "Di"))
    # The counter counts as Ann types.
    ann.locator("#contribution-text").fill("Buses that come on time")
    expect(ann.locator("#contribution-count")).to_have_text("23 of 500 characters")
    # The post names its page, so the page's own socket is not sent the card again.
    with ann.expect_request(re.compile(r"/contributions$")) as sent:
        add(ann, "Buses that come on time", "What helps")
    page_id = ann.locator("#live-root").get_attribute("data-page")
    assert page_id and f"page={page_id}" in (sent.value.post_data or "")
    expect(ann.locator("#board li", has_text="Buses that come on time")).to_have_count(1)
    expect(ann.locator("#contribution-text")).to_have_value("")  # ready for the next one
    expect(bo.locator("#board")).to_contain_text("Buses that come on time")
    expect(bo.locator("#board")).to_contain_text("What helps")
    expect(console.locator("#moderation")).to_contain_text("Buses that come on time")
    # Di is worried about a card at her table: it goes, and she is told what happened, in
    # words that stay while the board changes around them.
    add(cy, "A card Di is worried about")
    expect(di.locator("#board")).to_contain_text("A card Di is worried about")
    di.once("dialog", lambda dialog: dialog.accept())
    di.locator("#board li", has_text="A card Di is worried about").get_by_role(
        "button", name=re.compile("^Worried about this")
    ).click()
    expect(di.locator("#phone-notice")).to_contain_text("Thank you for telling us.")
    expect(di.locator("#board")).not_to_contain_text("A card Di is worried about")
    expect(cy.locator("#board")).not_to_contain_text("A card Di is worried about")
    add(cy, "Staff who listen")
    expect(di.locator("#board")).to_contain_text("Staff who listen")
    expect(di.locator("#phone-notice")).to_contain_text("Thank you for telling us.")
    expect(di.locator("#board")).to_contain_text("Staff who listen")
    for phone in (cy, di):
        expect(phone.locator("#board")).not_to_contain_text("Buses that come on time")
    for phone in (ann, bo):
        expect(phone.locator("#board")).not_to_contain_text("Staff who listen")

    # Bo agrees with Ann's card; the count shows on Ann's phone too.
    bo.locator("#board li", has_text="Buses that come on time").get_by_role(
        "button", name=re.compile("^Agree")
    ).click()
    expect(ann.locator("#board")).to_contain_text("1 agree")
    agree = bo.locator("#board li", has_text="Buses that come on time").get_by_role(
        "button", name=re.compile("^Agree")
    )
    expect(agree).to_have_attribute("aria-pressed", "true")
    expect(agree).to_have_text("Agree 1, 1 so far")
    check_accessibility(bo, "a phone with a board")
    check_accessibility(console, "the console with boards")

    # Ann changes her words and adds a photo of the paper tablecloth on the change page.
    ann.locator("#board li", has_text="Buses that come on time").get_by_role(
        "link", name=re.compile("^Change")
    ).click()
    expect(ann.get_by_role("heading", name="Change what you wrote")).to_be_visible()
    check_accessibility(ann, "the change page")
    ann.locator("#contribution-text").fill("Buses that come on time, every time")
    ann.get_by_role("button", name="Save changes").click()
    expect(bo.locator("#board")).to_contain_text("Buses that come on time, every time")
    card = ann.locator("#board li", has_text="every time")
    card.get_by_role("link", name=re.compile("^Change")).click()
    upload: FilePayload = {"name": "tablecloth.png", "mimeType": "image/png", "buffer": PNG}
    ann.locator("#photo-file").set_input_files(files=[upload])
    ann.get_by_role("button", name="Add the photo").click()
    expect(ann.locator("#board")).to_contain_text("See the photo")
    expect(bo.locator("#board")).to_contain_text("See the photo")
    photo = bo.locator("#board").get_by_role("link", name="See the photo").get_attribute("href")
    assert photo and bo.request.get(photo).headers["content-type"] == "image/png"

    # The facilitator hides Cy's card: it leaves Di's phone at once.
    card = console.locator("#moderation li", has_text="Staff who listen")
    card.get_by_role("button", name=re.compile("^Hide")).click()
    expect(di.locator("#board")).not_to_contain_text("Staff who listen")
    expect(cy.locator("#board")).not_to_contain_text("Staff who listen")

    # Bo's connection drops while posting: the post waits on the phone, then goes once.
    bo.context.set_offline(True)
    add(bo, "Written on the bus with no signal")
    waiting = bo.locator("#outbox li", has_text="Written on the bus with no signal")
    expect(waiting).to_contain_text("Waiting to send")
    # Said aloud too: the page's live region tells a screen reader the card is waiting.
    expect(bo.locator("#board-news")).to_have_text(re.compile("waiting to send"))
    expect(bo.locator("#contribution-text")).to_have_value("")
    assert rows(session, "Written on the bus with no signal") == []
    bo.context.set_offline(False)
    expect(bo.locator("#board")).to_contain_text("Written on the bus with no signal")
    expect(bo.locator("#outbox")).to_be_hidden()
    expect(ann.locator("#board")).to_contain_text("Written on the bus with no signal")
    assert len(rows(session, "Written on the bus with no signal")) == 1
    # A reload later sends nothing again.
    bo.reload()
    expect(bo.locator("#board")).to_contain_text("Written on the bus with no signal")
    bo.wait_for_timeout(500)
    assert len(rows(session, "Written on the bus with no signal")) == 1

    # The answer to a post is lost on a working connection (the server has the card): the
    # phone says it will send it again in a moment, not that the connection is down, does so
    # within seconds, and the board has the card once.
    lost: list[str] = []

    def lose_the_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        route.fetch()  # the server takes the post
        lost.append(route.request.url)
        route.abort()  # and its answer never arrives

    bo.route(re.compile(r"/contributions$"), lose_the_answer)
    add(bo, "The answer to this one was lost")
    expect(bo.locator("#outbox li", has_text="The answer to this one was lost")).to_contain_text(
        "Not saved yet. It will be sent again in a moment."
    )
    expect(bo.locator("#board li", has_text="The answer to this one was lost")).to_have_count(
        1, timeout=6000
    )
    expect(bo.locator("#outbox")).to_be_hidden()
    assert len(lost) == 1 and len(rows(session, "The answer to this one was lost")) == 1
    bo.unroute(re.compile(r"/contributions$"))
    # The page saw a failed request, as it should: those two console lines are this step's.
    seen = [p for p in people.problems if p.startswith("Bo console:")]
    assert seen and all("ERR_FAILED" in p or "Failed to fetch" in p for p in seen), seen
    for problem in seen:
        people.problems.remove(problem)

    # Written offline in round 1 and sent once round 2 has begun: it goes to the board it
    # was written for (round 1's question, Bo's table then), not to round 2's.
    bo.context.set_offline(True)
    add(bo, "Written before the bell")
    expect(bo.locator("#outbox li", has_text="Written before the bell")).to_contain_text(
        "Waiting to send"
    )
    assert api.post(f"/api/v1/cafes/{cafe.id}/rounds/next").status_code == 200
    expect(ann.locator("#now")).to_contain_text("Round 2")
    bo.context.set_offline(False)
    expect(bo.locator("#now")).to_contain_text("Round 2")
    expect(bo.locator("#outbox")).to_be_hidden()
    (late,) = rows(session, "Written before the bell")
    first_round = session.exec(
        select(Round).where(Round.cafe_id == cafe.id, Round.number == 1)
    ).one()
    assert (late.round_id, late.table_id) == (first_round.id, tables[1])
    expect(bo.locator("#board")).not_to_contain_text("Written before the bell")


def test_a_phone_without_javascript_reads_posts_agrees_changes_and_takes_back(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    """Everything a participant does on the board works with scripts off: every form posts
    and answers with the page; what others add shows after a tap on Refresh."""
    cafe = make_cafe(session, facilitator, table_count=1, table_capacity=6)
    api = httpx.Client(base_url=live.url, timeout=10)
    token = api.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    eve = people.phone("Eve", javascript=False)
    fay = people.phone("Fay")
    join(eve, f"/j/{cafe.code}", "Eve", "lived_experience")
    join(fay, f"/j/{cafe.code}", "Fay", "carer")
    assert api.post(f"/api/v1/cafes/{cafe.id}/rounds/next").status_code == 200
    expect(fay.locator("#board h2")).to_have_text("Table 1: the board")  # live
    eve.get_by_role("link", name="Refresh").click()
    expect(eve.locator("#now")).to_contain_text("Table 1")
    expect(eve.locator("#now")).to_contain_text("What does a good day look like?")

    add(eve, "Posted from a phone without scripts", "Question")
    expect(eve.locator("#board")).to_contain_text("Posted from a phone without scripts")
    expect(eve.locator("#contribution-text")).to_have_value("")
    expect(fay.locator("#board")).to_contain_text("Posted from a phone without scripts")
    add(fay, "A card from Fay")
    expect(fay.locator("#board")).to_contain_text("A card from Fay")
    expect(eve.locator("#board")).not_to_contain_text("A card from Fay")  # no live updates
    conn = "it changes only when you refresh it"
    expect(eve.locator(".conn")).to_contain_text(conn, use_inner_text=True)
    expect(fay.locator(".conn")).not_to_contain_text(conn, use_inner_text=True)
    eve.get_by_role("link", name="Refresh").click()
    fays = eve.locator("#board li", has_text="A card from Fay")
    fays.get_by_role("button", name=re.compile("^Agree")).click()
    expect(fay.locator("#board")).to_contain_text("1 agree")
    expect(eve.locator("#board")).to_contain_text("You have 2 of 3 votes left")

    eve.locator("#board li", has_text="without scripts").get_by_role(
        "link", name=re.compile("^Change")
    ).click()
    eve.locator("#contribution-text").fill("Changed on a phone without scripts")
    eve.get_by_role("button", name="Save changes").click()
    expect(eve.locator("#board")).to_contain_text("Changed on a phone without scripts")
    expect(fay.locator("#board")).to_contain_text("Changed on a phone without scripts")
    # Taking back asks first (with scripts the browser asks; here, a page of its own).
    eve.locator("#board li", has_text="Changed on").get_by_role("button", name="Take back").click()
    expect(eve.get_by_role("heading", level=1)).to_have_text("Take this back?")
    eve.get_by_role("link", name="No, back to the board").click()
    expect(eve.locator("#board")).to_contain_text("Changed on a phone without scripts")
    eve.locator("#board li", has_text="Changed on").get_by_role("button", name="Take back").click()
    eve.get_by_role("button", name="Take it back").click()
    expect(eve.locator("#board")).not_to_contain_text("Changed on a phone without scripts")
    expect(fay.locator("#board")).not_to_contain_text("Changed on a phone without scripts")
    session.rollback()
    mine = rows(session, "Changed on a phone without scripts")
    assert len(mine) == 1 and mine[0].status == "withdrawn"
    assert len(rows(session, "A card from Fay")) == 1
