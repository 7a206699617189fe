"""A whole live café in real browsers: the facilitator's laptop, the projector and seven
phones (one of them a table host) through three rotations, a reload, a pause and the close.

Every change reaches the phones over their websockets: the pages are never reloaded (a mark
left in each page's JavaScript world must survive), except the one phone that reloads on
purpose to show it comes back to the same table and clock.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import httpx2 as httpx
import pytest
from playwright.sync_api import Dialog, Page, expect
from sqlmodel import Session

from app.models.accounts import Facilitator
from tests.browser.conftest import (
    People,
    assert_not_reloaded,
    check_accessibility,
    log_in,
    mark_page,
)
from tests.factories import PASSWORD, make_cafe
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

QUESTIONS = [
    "What does a good day look like for you?",
    "What gets in the way of choosing for yourself?",
    "What would you change first?",
]
HOST = "Hana"
GUESTS = [
    ("Ash", "lived_experience"),
    ("Bea", "carer"),
    ("Cal", "practitioner"),
    ("Dee", ""),
    ("Eli", "manager"),
    ("Fay", "lived_experience"),
]


def join(phone: Page, url: str, name: str, role: str = "") -> None:
    """Join through the real form, as a person on a phone would: Dee keeps what she says to
    today (no), everyone else lets it be used after today (yes)."""
    phone.goto(url)
    expect(phone.get_by_text("What happens to what you say")).to_be_visible()
    phone.locator("#display_name").fill(name)
    if role:
        phone.locator("#role").select_option(role)
    consent = "No, only for today" if name == "Dee" else "Yes, you can use what I say"
    phone.get_by_label(consent).check()
    phone.get_by_role("button", name="Join the café").click()
    phone.wait_for_url(re.compile(r"/p/[A-Z0-9]+$"))
    expect(phone.locator("#now")).to_contain_text(f"Welcome, {name}")
    expect(phone.locator("#now")).to_contain_text("The first round has not started yet.")
    expect(phone.locator("#consent")).to_contain_text("Now: no" if name == "Dee" else "Now: yes")


def answer_the_next_question(page: Page, *, yes: bool) -> list[str]:
    """Answer the browser's next "are you sure?" dialog on this page; the list it returns
    gets the question once it was asked."""
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if yes:
            dialog.accept()
        else:
            dialog.dismiss()

    page.once("dialog", answer)
    return asked


def seats_by_name(api: httpx.Client, cafe_id: int, round_number: int) -> dict[str, Any]:
    response = api.get(f"/api/v1/cafes/{cafe_id}/seating", params={"round": round_number})
    assert response.status_code == 200, response.text
    seating = response.json()
    assert seating["round"] == round_number
    assert seating["unseated"] == [], "everyone should have a seat"
    return {seat["display_name"]: seat for seat in seating["seats"]}


def expect_phones_follow_seating(
    phones: dict[str, Page],
    seats: dict[str, Any],
    round_number: int,
    previous: dict[str, Any] | None,
) -> None:
    """Each phone shows its table from the seating API, and a move call if it changed."""
    assert set(seats) == set(phones)
    for name, phone in phones.items():
        seat = seats[name]
        now = phone.locator("#now")
        expect(now).to_contain_text(f"Round {round_number}")
        table = phone.locator("#my-table")
        expect(table).to_have_attribute("data-table-id", str(seat["table_id"]))
        expect(table).to_have_text(seat["table_name"])
        moved = previous is None or previous[name]["table_id"] != seat["table_id"]
        call = phone.locator(".move-call")
        if moved:
            expect(call).to_have_text(f"Go to {seat['table_name']}")
            expect(phone.locator("#announce")).to_have_text(f"Please go to {seat['table_name']}.")
            expect(phone.locator(".stay-call")).to_have_count(0)
        else:
            # Who stays where they are is told so, not left wondering.
            expect(call).to_have_count(0)
            expect(phone.locator(".stay-call")).to_have_text(f"Stay at {seat['table_name']}")
            expect(phone.locator("#announce")).to_have_text(f"Please stay at {seat['table_name']}.")
        expect(phone.locator(".joined-as")).to_have_text(f"You joined as {name}")
        expect(phone.locator("#question")).to_have_text(QUESTIONS[round_number - 1])
        assert_not_reloaded(phone, name)


def clock_seconds(phone: Page) -> int:
    """The time left as the phone shows it (m:ss)."""
    text = phone.locator("#clock .clock-value").inner_text()
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def test_a_live_cafe_from_joining_to_closing(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(
        session,
        facilitator,
        title="Choice and control",
        table_count=3,
        table_capacity=3,
        rounds=[{"question": q, "minutes": 10} for q in QUESTIONS],
    )
    api = httpx.Client(base_url=live.url, timeout=10)
    token = api.post(
        "/api/v1/auth/token", data={"username": facilitator.email, "password": PASSWORD}
    )
    assert token.status_code == 200, token.text
    api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    # The facilitator's console on a laptop, and the projector in its own window.
    console = people.laptop()
    log_in(console, facilitator.email)
    console.goto(f"/cafes/{cafe.id}/console")
    expect(console.locator("#console .code")).to_have_text(cafe.code)
    mark_page(console)
    projector = people.laptop("projector", storage_state=console.context.storage_state())
    projector.goto(f"/cafes/{cafe.id}/projector")
    expect(projector.locator(".join-code")).to_have_text(cafe.code)
    expect(projector.locator(".qr svg")).to_be_visible()
    expect(projector.locator(".qr svg title")).to_have_text("QR code to join")
    expect(projector.locator("#board")).to_contain_text("We will start soon. Join on your phone.")
    expect(projector.locator("#board .question")).to_have_text(QUESTIONS[0])
    mark_page(projector)

    # The host link for Table 1, from the console's "Host link" disclosure.
    table_one = console.locator(".tables-grid > section").filter(
        has=console.get_by_role("heading", name=re.compile("^Table 1"))
    )
    host_link = table_one.get_by_role("link", name="Join as host of Table 1")
    expect(host_link).to_be_hidden()
    table_one.locator("summary", has_text="Host link").click()
    expect(host_link).to_be_visible()
    host_url = host_link.get_attribute("href")
    assert host_url and host_url.startswith(f"{live.url}/j/{cafe.code}?host=")

    # Seven phones join through the real form; the host through the host link.
    phones: dict[str, Page] = {HOST: people.phone(HOST)}
    join(phones[HOST], host_url, HOST, "practitioner")
    expect(phones[HOST].locator("#now")).to_contain_text("You are a table host.")
    for name, role in GUESTS:
        phones[name] = people.phone(name)
        join(phones[name], f"/j/{cafe.code}", name, role)
    for phone in phones.values():
        mark_page(phone)
    expect(console.locator("#console-status")).to_contain_text("Not started. 7 joined.")
    expect(projector.locator("#board")).to_contain_text("We will start soon")
    expect(projector.locator("#board .question")).to_have_text(QUESTIONS[0])

    everyone = api.get(f"/api/v1/cafes/{cafe.id}/participants").json()
    by_name = {p["display_name"]: p for p in everyone}
    assert set(by_name) == {HOST, *(n for n, _ in GUESTS)}
    assert [n for n, p in by_name.items() if p["is_host"]] == [HOST]
    assert by_name["Bea"]["role"] == "carer" and by_name["Dee"]["role"] is None
    host_table_id = by_name[HOST]["home_table_id"]

    # Round 1, started from the console button.
    console.get_by_role("button", name="Start round 1").click()
    expect(console.locator("#console-status")).to_contain_text("Round 1 of 3")
    round1 = seats_by_name(api, cafe.id, 1)
    assert round1[HOST]["table_id"] == host_table_id
    expect_phones_follow_seating(phones, round1, 1, None)
    expect(projector.locator("#board .question")).to_have_text(QUESTIONS[0])
    expect(projector.locator("#board .move-call")).to_be_visible()
    assert 118 <= int(projector.locator("#board .move-call").get_attribute("data-for-seconds") or 0)
    # The page takes the call down when its time is up: two minutes, here made one second.
    projector.evaluate(
        """() => { const call = document.querySelector('#board .move-call');
        const short = call.cloneNode(true); short.setAttribute('data-for-seconds', '1');
        call.replaceWith(short); }"""
    )
    expect(projector.locator("#board .move-call")).to_have_count(0, timeout=5000)
    assert_not_reloaded(projector, "the projector")
    check_accessibility(phones["Ash"], "a phone in round 1")
    check_accessibility(phones[HOST], "the host's phone in round 1")
    check_accessibility(console, "the console in round 1")
    check_accessibility(projector, "the projector in round 1")

    # A few seconds into the round each phone is sent round 2 ahead, and keeps it unseen.
    kept = {}
    for name, phone in phones.items():
        root = phone.locator("#live-root")
        expect(root).to_have_attribute("data-kept-ahead", re.compile(r"^\d+\.\d+$"))
        kept[name] = root.get_attribute("data-kept-ahead")
        expect(phone.locator("#now")).to_contain_text("Round 1")

    # Round 2, started through the API: every phone follows without a reload, each showing
    # what it was sent ahead (the start sent it only the word to).
    response = api.post(f"/api/v1/cafes/{cafe.id}/rounds/next", json={"from_round": 1})
    assert response.status_code == 200, response.text
    round2 = seats_by_name(api, cafe.id, 2)
    assert round2[HOST]["table_id"] == host_table_id
    expect_phones_follow_seating(phones, round2, 2, round1)
    # A phone keeps only the latest drawing: a plan job that was still running may send a
    # redrawn round 2 (a later token of the same café) after the first one was seen here.
    for name, phone in phones.items():
        root = phone.locator("#live-root")
        expect(root).to_have_attribute("data-shown-ahead", re.compile(rf"^{cafe.id}\.\d+$"))
        shown = root.get_attribute("data-shown-ahead") or ""
        first = kept[name] or ""
        assert int(shown.split(".")[1]) >= int(first.split(".")[1]), (name, first, shown)
        assert root.get_attribute("data-kept-ahead") is None, name
    expect(projector.locator("#board .question")).to_have_text(QUESTIONS[1])
    assert_not_reloaded(projector, "the projector")
    expect(console.locator("#console-status")).to_contain_text("Round 2 of 3")
    assert_not_reloaded(console, "the console")

    # A phone reloads mid-round: same table, and the clock carries on where it was.
    bea = phones["Bea"]
    before = clock_seconds(bea)
    assert 480 <= before <= 600, before
    started_reload = time.monotonic()
    bea.reload()
    expect(bea.locator("#my-table")).to_have_attribute(
        "data-table-id", str(round2["Bea"]["table_id"])
    )
    after = int(bea.locator("#clock").get_attribute("data-seconds-left") or "-1")
    took = time.monotonic() - started_reload
    # Within a couple of seconds of what it showed, allowing for however long the reload took.
    assert before - took - 2 <= after <= before + 1, (before, after, took)
    mark_page(bea)

    # Round 3, from the console again (its button followed the API's change live). Round 2
    # still has minutes left, so the console asks first.
    asked_next = answer_the_next_question(console, yes=True)
    console.get_by_role("button", name="Start round 3").click()
    expect(console.locator("#console-status")).to_contain_text("Round 3 of 3")
    assert asked_next == [
        "Round 2 still has time left. Start round 3 now? Everyone will be told where to go."
    ]
    round3 = seats_by_name(api, cafe.id, 3)
    assert round3[HOST]["table_id"] == host_table_id
    # Bea's reloaded page may or may not have been sent round 3 ahead; either way, every
    # phone shows the table the seating says.
    expect_phones_follow_seating(phones, round3, 3, round2)
    expect(projector.locator("#board .question")).to_have_text(QUESTIONS[2])
    expect(console.get_by_role("button", name=re.compile("^Start round"))).to_have_count(0)
    # Each rotation moved someone (so the move calls above were really tested) and no
    # table was ever over its three seats.
    for earlier, later in ((round1, round2), (round2, round3)):
        assert any(earlier[n]["table_id"] != later[n]["table_id"] for n, _ in GUESTS)
    for seats in (round1, round2, round3):
        per_table = Counter(seat["table_id"] for seat in seats.values())
        assert max(per_table.values()) <= 3, per_table

    # Pause: every phone and the projector show the paused clock.
    console.get_by_role("button", name="Pause").click()
    expect(console.get_by_role("button", name="Resume")).to_be_visible()
    for name, phone in phones.items():
        expect(phone.locator("#clock")).to_have_attribute("data-paused", "true")
        expect(phone.locator("#now")).to_contain_text("The clock is paused.")
        expect(phone.locator("#now")).to_contain_text("Round 3 · paused")
        assert_not_reloaded(phone, name)
    expect(projector.locator("#board")).to_contain_text("Paused")
    check_accessibility(phones["Cal"], "a phone while paused")

    # Ending the round early cannot be undone, so the console asks first; "no" changes nothing.
    asked = answer_the_next_question(console, yes=False)
    console.get_by_role("button", name="End round now").click()
    assert asked and asked[0].startswith("End round 3 now?"), asked
    expect(console.get_by_role("button", name="Resume")).to_be_visible()
    expect(phones["Cal"].locator("#now")).to_contain_text("Round 3 · paused")

    # Close (the console asks first): every phone thanks people, the projector too.
    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name="Close café").click()
    expect(console.locator("#console-status")).to_contain_text("The café is closed.")
    for name, phone in phones.items():
        expect(phone.locator("#now")).to_contain_text(
            "The café has closed. Thank you for taking part."
        )
        expect(phone.locator("#clock")).to_have_count(0)
        assert_not_reloaded(phone, name)
    expect(projector.locator("#board")).to_contain_text("Thank you. The café has closed.")
    assert_not_reloaded(projector, "the projector")
    assert_not_reloaded(console, "the console")
    check_accessibility(phones["Dee"], "a phone after the close")
    check_accessibility(console, "the console after the close")


def test_a_phone_page_not_yet_tapped_asks_once_to_buzz(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    """A browser lets a page buzz the phone only after a tap on it, and a page opened by the
    join form's redirect has had none: the phone's page asks for that one tap, and stops
    asking once it has it (or any tap)."""
    cafe = make_cafe(session, facilitator)
    phone = people.phone("Ash")
    # As on a real phone: this browser counts the page as touched from the start.
    phone.add_init_script(
        "Object.defineProperty(navigator, 'userActivation', {value: {hasBeenActive: false}})"
    )
    join(phone, f"/j/{cafe.code}", "Ash")
    ask = phone.locator(".buzz-ask")
    expect(ask).to_be_visible()
    check_accessibility(phone, "a phone asking to buzz")
    phone.get_by_role("button", name="Let this phone buzz when it is time to move").click()
    expect(ask).to_be_hidden()
    expect(phone.locator("#board-news")).to_have_text(
        "This phone will buzz when it is time to move."
    )
    phone.reload()
    expect(ask).to_be_visible()  # a new page, not yet tapped
    phone.locator("#now").click()
    expect(ask).to_be_hidden()
