"""Reshaping the room live in real browsers (issue 26): a café with phones and two people
without phones; the facilitator adds a table mid-café and changes a question, the phones see
the new question without reloading, a message reaches every phone, and a phone asks for help
which the console shows and the facilitator acknowledges. The console's new controls are
used by keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.cafe import Participant
from app.services.cafe import cafes as cafe_service
from tests.browser.conftest import (
    People,
    assert_not_reloaded,
    check_accessibility,
    check_fits_the_window,
    log_in,
    mark_page,
)
from tests.browser.test_cafe_journey import join
from tests.factories import PASSWORD, make_cafe
from tests.live_phones import FacilitatorApi
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

NAMES = ["Hana", "Ash", "Bea", "Cal", "Eli"]


def _by_keyboard(page: Page, selector: str, text: str = "") -> None:
    """Focus a control by tabbing from the one before it (a real key press moves focus), then
    type into it."""
    page.locator(selector).focus()
    if text:
        page.keyboard.press("Control+A")
        page.keyboard.type(text)


def test_the_facilitator_reshapes_the_room_while_phones_watch(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, table_count=2, table_capacity=3, names_visible=True)
    url = f"/j/{cafe.code}"
    phones: dict[str, Page] = {}
    first = cafe_service.tables_of(session=session, cafe=cafe)[0]
    for name in NAMES:
        phones[name] = people.phone(name)
        # Hana hosts Table 1.
        join(phones[name], f"{url}?host={first.host_token}" if name == "Hana" else url, name)

    console = people.laptop()
    log_in(console, facilitator.email)
    console.goto(f"/cafes/{cafe.id}/console")

    # Two people without phones, added by keyboard alone.
    controls = console.locator("#room-controls")
    controls.locator("summary", has_text="People without a phone").focus()
    console.keyboard.press("Enter")
    for name in ("Sam", "Guest 2"):
        _by_keyboard(console, "#np-name", name)
        console.keyboard.press("Tab")  # the role: not said
        console.keyboard.press("Tab")  # "They stay at one table"
        console.keyboard.press("Tab")
        console.keyboard.press("Enter")
        expect(controls).to_contain_text("They were added")
        expect(controls.locator("li", has_text=name)).to_have_count(1)
    expect(console.locator("#console .badge", has_text="no phone")).to_have_count(2)

    console.get_by_role("button", name="Start round 1").click()
    # 7 people, 6 seats: the console offers a table at once.
    expect(console.locator("#overflow")).to_contain_text("1 person has no seat this round")
    for page in phones.values():
        expect(page.locator("#question")).to_be_visible()
        mark_page(page)
    check_accessibility(console, "the console with the room's controls")

    # A table added mid-café by keyboard: the offer's button.
    console.locator("#overflow button").focus()
    console.keyboard.press("Enter")
    expect(console.locator("#console")).to_contain_text("Table 3")
    expect(console.locator("#overflow")).to_have_count(1)  # this round's wait stays

    # The question changes; every phone shows it without reloading.
    summary = controls.locator("summary", has_text="Questions")
    summary.focus()
    console.keyboard.press("Enter")
    _by_keyboard(console, "#q-text", "What would make today easier?")
    console.locator("#q-text").press("Tab")
    console.keyboard.press("Enter")
    for name, page in phones.items():
        expect(page.locator("#question")).to_have_text("What would make today easier?")
        assert_not_reloaded(page, name)

    # A message to every phone, read out (role=status), and dismissed on one.
    summary = controls.locator("summary", has_text="Message to every phone")
    summary.focus()
    console.keyboard.press("Enter")
    _by_keyboard(console, "#broadcast-text", "Tea and cake are in the kitchen")
    console.locator("#broadcast-text").press("Tab")
    console.keyboard.press("Enter")
    for name, page in phones.items():
        shown = page.locator("#room-broadcast")
        expect(shown).to_contain_text("Tea and cake are in the kitchen")
        assert shown.get_attribute("role") == "status"
        assert_not_reloaded(page, name)
    # Someone seated (one person waits this round) dismisses it, then asks for help.
    who = next(
        name for name in NAMES[1:] if phones[name].locator("#my-table[data-table-id]").count() == 1
    )
    ash = phones[who]
    check_accessibility(ash, "a phone with a message and the help button")
    ash.get_by_role("button", name="Dismiss the message").click()
    expect(ash.locator("#room-broadcast")).not_to_contain_text("Tea")

    # They ask for help; the console shows which table; the facilitator says it was seen.
    ash.get_by_role("button", name="Ask for help").click()
    expect(ash.locator("#room-help")).to_contain_text("We told the facilitator")
    table = ash.locator("#my-table").inner_text()
    alert = console.locator("#help-alerts")
    expect(alert).to_contain_text(f"{table} asks for help")
    seen = alert.get_by_role("button", name="Seen, on my way")
    seen.focus()
    console.keyboard.press("Enter")
    expect(alert).to_contain_text("Nobody is asking for help")
    expect(ash.locator("#room-help")).to_contain_text("has seen your request")
    assert_not_reloaded(ash, who)
    check_accessibility(console, "the console after the room changed")

    # Sam sits at Hana's table; Hana writes for Sam, and the table's phones see the card
    # say so.
    api = FacilitatorApi(live.url, facilitator.email, PASSWORD)
    sam = session.exec(select(Participant).where(Participant.display_name == "Sam")).one()
    r = api.client.post(
        f"/api/v1/cafes/{cafe.id}/participants/{sam.id}/move", json={"table_id": first.id}
    )
    assert r.status_code == 200, r.text
    hana = phones["Hana"]
    hana.reload()
    hana.locator("summary", has_text="Write for someone without a phone").click()
    hana.locator("#wf-person").select_option(label="Sam")
    hana.locator("#wf-text").fill("I would like more say in my care plan")
    hana.get_by_role("button", name="Post for them").click()
    card = hana.locator("#board-slot li", has_text="I would like more say in my care plan")
    expect(card).to_contain_text("Written for Sam")
    check_accessibility(hana, "a host's phone with a card written for someone")

    # The next round seats everyone, the people without phones too, at three tables.
    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name="Start round 2").click()
    expect(console.locator("#console")).to_contain_text("Round 2 of 3")
    expect(console.locator("#console")).to_contain_text("Everyone has a seat.")

    # On a small screen (or zoomed in) every control of the room fits, each section open.
    small = people.small_screen("facilitator", storage_state=console.context.storage_state())
    small.goto(f"/cafes/{cafe.id}/console")
    for summary in small.locator("#room-controls summary").all():
        summary.click()
    check_fits_the_window(small, "the room's controls at 320 px")
