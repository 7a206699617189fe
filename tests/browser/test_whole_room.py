"""The whole room in one browser journey (issue 26's "Done when"): a café with 12 phones and
2 people without phones, one facilitator at a console with the projector open beside it.

The facilitator adds the two people without phones, starts round 1 (14 people, 12 seats),
adds a table when the console offers one and changes the question: every phone shows the new
question without reloading, the projector the new table. A phone posts a photo and a voice
note while offline; back online each arrives exactly once (on the boards, in the API, one
file each). Another phone asks for help; the console shows its table and the facilitator
says it was seen. In round 2 everyone has a seat, the host of Table 1 sees round 1's cards,
the facilitator writes for someone without a phone, and the projector's harvest shows a
theme. Each new view passes axe; the console, the help button and a typed card are driven by
the keyboard alone.

All in one Chromium: a context per phone (cheap), pages kept light. About a minute on a
2-core machine.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import FilePayload, Locator, Page, expect
from sqlmodel import Session, col, select

from app.models.accounts import Facilitator
from app.models.cafe import Cafe
from app.models.evidence import Contribution, Media
from app.services.cafe import cafes as cafe_service
from tests.browser.conftest import (
    People,
    assert_not_reloaded,
    check_accessibility,
    log_in,
    mark_page,
)
from tests.browser.test_cafe_journey import join
from tests.factories import PASSWORD, make_cafe
from tests.live_phones import FacilitatorApi
from tests.live_server import LiveServer

pytestmark = pytest.mark.browser

# Hana hosts Table 1; the others are seated by the planner.
PHONES = ["Hana", "Ash", "Bea", "Cal", "Eli", "Fay", "Gus", "Ida", "Jo", "Kit", "Lou", "Max"]
ROLES = ["lived_experience", "carer", "practitioner", "manager"]
WITHOUT_PHONES = ["Sam", "Guest 2"]
NEW_QUESTION = "What would make today easier?"
TABLE_1_QUESTION = "What should the council hear from this table?"
# A voice note as Chromium's recorder makes it: a small, valid WebM file.
FIXTURES = Path(__file__).parents[1] / "board" / "fixtures"
VOICE = (FIXTURES / "chromium-mediarecorder.webm").read_bytes()


def png_photo() -> FilePayload:
    """A small photo as a phone's camera roll holds it (PNG)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, "PNG")
    return {"name": "tablecloth.png", "mimeType": "image/png", "buffer": out.getvalue()}


def tab_to(page: Page, target: Locator, limit: int = 200) -> None:
    """Press Tab until `target` has the focus, as someone without a mouse would; fail, saying
    where the focus went, if it is never reached."""
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        # Found afresh each time: a live push may have drawn the target again.
        if target.evaluate("el => el === document.activeElement"):
            return
        seen.append(page.evaluate(_FOCUSED))
    pytest.fail(
        f"Tab never reached {target} on {page.url}; focus went to:\n" + "\n".join(seen),
        pytrace=False,
    )


_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el) return "(none)";
  const text = (el.textContent || el.value || "").replace(/\\s+/g, " ").trim().slice(0, 40);
  return `${el.tagName.toLowerCase()}#${el.id} ${text}`;
}"""


def cards_of(session: Session, cafe: Cafe) -> list[Contribution]:
    session.expire_all()
    return list(session.exec(select(Contribution).where(Contribution.cafe_id == cafe.id)))


def media_of(session: Session, card: Contribution) -> list[Media]:
    return list(session.exec(select(Media).where(col(Media.contribution_id) == card.id)))


def files_of(live: LiveServer, cafe: Cafe) -> list[Path]:
    folder = live.log_path.parent / "media" / str(cafe.id)
    return sorted(p for p in folder.glob("*") if p.is_file()) if folder.exists() else []


def table_of(phone: Page) -> str:
    return phone.locator("#my-table").inner_text().strip()


def seated_at(seated: dict[str, list[str]], name: str) -> str:
    return next(table for table, names in seated.items() if name in names)


def test_the_whole_room_in_one_journey(
    people: People, live: LiveServer, facilitator: Facilitator, session: Session
) -> None:
    cafe = make_cafe(session, facilitator, table_count=3, table_capacity=4, names_visible=True)
    first = cafe_service.tables_of(session=session, cafe=cafe)[0]
    api = FacilitatorApi(live.url, facilitator.email, PASSWORD)

    # Twelve phones join through the real form; Hana through Table 1's host link.
    phones: dict[str, Page] = {}
    for n, name in enumerate(PHONES):
        phones[name] = people.phone(name)
        url = f"/j/{cafe.code}" + (f"?host={first.host_token}" if name == "Hana" else "")
        join(phones[name], url, name, ROLES[n % len(ROLES)])
    hana = phones["Hana"]
    expect(hana.locator("#now")).to_contain_text("You are a table host.")

    console = people.laptop()
    log_in(console, facilitator.email)
    projector = people.laptop("projector", storage_state=console.context.storage_state())
    projector.goto(f"/cafes/{cafe.id}/projector")
    expect(projector.locator("#board")).to_contain_text("What does a good day look like?")
    console.goto(f"/cafes/{cafe.id}/console")
    expect(console.locator("#console")).to_contain_text("Hana")

    # The two people without phones, added from the console by keyboard alone.
    controls = console.locator("#room-controls")
    tab_to(console, controls.locator("summary", has_text="People without a phone"))
    console.keyboard.press("Enter")
    for name in WITHOUT_PHONES:
        tab_to(console, console.locator("#np-name"))
        console.keyboard.type(name)
        tab_to(console, console.get_by_role("button", name="Add the person"))
        console.keyboard.press("Enter")
        expect(controls).to_contain_text("They were added")
        expect(controls.locator("li", has_text=name)).to_have_count(1)
    expect(console.locator("#console .badge", has_text="no phone")).to_have_count(2)
    check_accessibility(console, "the console with the room's controls")

    # Round 1: 14 people, 12 seats. The last to come wait first, so every phone is seated,
    # and the console offers a table at once.
    console.get_by_role("button", name="Start round 1").click()
    overflow = console.locator("#overflow")
    expect(overflow).to_contain_text("2 people have no seat this round")
    seated: dict[str, list[str]] = {}
    for name, phone in phones.items():
        expect(phone.locator("#my-table[data-table-id]")).to_be_visible()
        seated.setdefault(table_of(phone), []).append(name)
        mark_page(phone)
    assert sorted(seated) == ["Table 1", "Table 2", "Table 3"], seated
    assert "Hana" in seated["Table 1"]
    expect(projector.locator(".occupancy li")).to_have_text(
        ["Table 1: 4/4", "Table 2: 4/4", "Table 3: 4/4"]
    )

    # The facilitator takes the offer by keyboard: a fourth table, mid-café.
    tab_to(console, overflow.get_by_role("button", name="Add a table"))
    console.keyboard.press("Enter")
    expect(console.locator("#console")).to_contain_text("Table 4")
    expect(projector.locator(".occupancy li")).to_have_count(4)
    expect(projector.locator(".occupancy")).to_contain_text("Table 4: 0/4")

    # The question changes for every table; every phone and the projector show it at once.
    tab_to(console, controls.locator("summary", has_text="Questions"))
    console.keyboard.press("Enter")
    tab_to(console, console.locator("#q-text"))
    console.keyboard.type(NEW_QUESTION)
    tab_to(console, console.get_by_role("button", name="Change the question"))
    console.keyboard.press("Enter")
    for name, phone in phones.items():
        expect(phone.locator("#question")).to_have_text(NEW_QUESTION)
        assert_not_reloaded(phone, name)
    expect(projector.locator("#board .question")).to_have_text(NEW_QUESTION)
    # Then Table 1 gets a question of its own; the other tables keep theirs.
    tab_to(console, console.locator("#q-table"))
    console.locator("#q-table").select_option(label="Table 1 only")
    tab_to(console, console.locator("#q-text"))
    console.keyboard.type(TABLE_1_QUESTION)
    tab_to(console, console.get_by_role("button", name="Change the question"))
    console.keyboard.press("Enter")
    for name, phone in phones.items():
        here = TABLE_1_QUESTION if name in seated["Table 1"] else NEW_QUESTION
        expect(phone.locator("#question")).to_have_text(here)
    check_accessibility(projector, "the projector in round 1 with four tables")

    # A typed card, by keyboard alone, from someone at Table 2.
    writer = phones[seated["Table 2"][0]]
    writer.locator("#contribution-text").focus()
    writer.keyboard.type("Buses that turn up on time")
    tab_to(writer, writer.get_by_role("button", name="Add to the board"))
    writer.keyboard.press("Enter")
    expect(writer.locator("#board li", has_text="Buses that turn up on time")).to_have_count(1)
    check_accessibility(writer, "a phone with the compose form and the help button")

    # Offline at Table 1: a photo, then a voice note (the upload a phone without a recorder
    # shows), wait on the phone; back online, each arrives once.
    poster = phones[next(n for n in seated["Table 1"] if n != "Hana")]
    poster.context.set_offline(True)
    poster.get_by_label("Take or choose a photo").set_input_files(png_photo())
    poster.locator("#contribution-text").fill("Our paper tablecloth")
    poster.get_by_role("button", name="Add to the board").click()
    waiting = poster.locator("#media-outbox li", has_text="Our paper tablecloth")
    expect(waiting).to_contain_text("Waiting to send")
    expect(waiting).to_contain_text("Card with a photo")
    expect(poster.locator("#contribution-text")).to_have_value("")
    poster.locator("#compose-voice").set_input_files(
        {"name": "voice-note.webm", "mimeType": "audio/webm", "buffer": VOICE}
    )
    poster.locator("#contribution-text").fill("Said while offline")
    poster.get_by_role("button", name="Add to the board").click()
    expect(poster.locator("#media-outbox li", has_text="Said while offline")).to_contain_text(
        "Card with a voice note"
    )
    expect(poster.locator("#board-news")).to_have_text(re.compile("waiting to send"))
    assert [c.text for c in cards_of(session, cafe)] == ["Buses that turn up on time"]
    poster.context.set_offline(False)
    expect(poster.locator("#media-outbox")).to_be_hidden(timeout=15_000)
    for phone in (poster, hana):
        board = phone.locator("#board")
        expect(board.locator("li", has_text="Our paper tablecloth")).to_have_count(1)
        expect(board.locator("li", has_text="Our paper tablecloth").locator("img")).to_have_count(1)
        expect(board.locator("li", has_text="Said while offline")).to_have_count(1)
        expect(board.locator("li", has_text="Said while offline").locator("audio")).to_have_count(1)
    # Nobody at another table sees Table 1's cards.
    expect(writer.locator("#board")).not_to_contain_text("Our paper tablecloth")
    # Once each in the API, one card and one file each in the database and on disk.
    items = api.client.get(f"/api/v1/cafes/{cafe.id}/contributions").json()["items"]
    texts = sorted(i["text"] for i in items)
    assert texts == ["Buses that turn up on time", "Our paper tablecloth", "Said while offline"]
    by_text = {c.text: c for c in cards_of(session, cafe)}
    assert [m.kind for m in media_of(session, by_text["Our paper tablecloth"])] == ["photo"]
    assert [m.kind for m in media_of(session, by_text["Said while offline"])] == ["voice"]
    assert media_of(session, by_text["Buses that turn up on time"]) == []
    assert len(files_of(live, cafe)) == 2

    # Someone at Table 3 asks for help, by keyboard, while the facilitator is on the
    # console's "+5 minutes" (by keyboard too); the console shows the table.
    extend = console.get_by_role("button", name="+5 minutes")
    tab_to(console, extend)
    asker = phones[seated["Table 3"][0]]
    tab_to(asker, asker.get_by_role("button", name="Ask for help"))
    asker.keyboard.press("Enter")
    expect(asker.locator("#room-help")).to_contain_text("We told the facilitator")
    alerts = console.locator("#help-alerts")
    expect(alerts).to_contain_text("Table 3 asks for help")
    # The push that drew the console again left the facilitator's focus where it was: a
    # few Tabs on is the call for help.
    expect(extend).to_be_focused()
    check_accessibility(console, "the console with a call for help and an extra table")
    tab_to(console, alerts.get_by_role("button", name=re.compile("Seen, on my way")), limit=6)
    console.keyboard.press("Enter")
    expect(alerts).to_contain_text("Nobody is asking for help")
    expect(asker.locator("#room-help")).to_contain_text("has seen your request")
    assert_not_reloaded(asker, "the person who asked for help")

    # Round 2: 14 people, 16 seats, everyone seated, the people without phones too.
    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name="Start round 2").click()
    expect(console.locator("#console")).to_contain_text("Round 2 of 3")
    expect(console.locator("#console")).to_contain_text("Everyone has a seat.")
    seating = api.client.get(f"/api/v1/cafes/{cafe.id}/seating").json()
    assert seating["round"] == 2 and seating["unseated"] == []
    assert len(seating["seats"]) == 14
    # The projector redraws on its own socket, a moment after the console: wait for round 2
    # there before reading its tables (round 1 also showed four, with its own seating).
    expect(projector.locator("#board")).to_contain_text("Round 2 of 3")
    expect(projector.locator(".occupancy li")).to_have_count(4)
    expect(projector.locator(".move-call")).to_contain_text("Move now")
    occupancy = [
        int(re.sub(r".*: (\d+)/\d+", r"\1", line))
        for line in projector.locator(".occupancy li").all_inner_texts()
    ]
    assert sum(occupancy) == 14 and 0 not in occupancy, occupancy
    # Each phone says where to go, or to stay: the host, and whoever the plan left in place.
    where = {s["display_name"]: s["table_name"] for s in seating["seats"]}
    for name, phone in phones.items():
        expect(phone.locator("#now")).to_contain_text("Round 2")
        expect(phone.locator("#my-table")).to_have_text(where[name])
        call = "Stay at" if where[name] == seated_at(seated, name) else "Go to"
        expect(phone.locator("#now")).to_contain_text(f"{call} {where[name]}")
    expect(hana.locator(".stay-call")).to_have_text("Stay at Table 1")

    # Hana stays at Table 1 and sees what it said in round 1, photo and voice note too.
    expect(hana.locator("#my-table")).to_have_text("Table 1")
    story = hana.locator("#table-story")
    expect(story).to_contain_text("What Table 1 said before")
    expect(story.locator("summary")).to_contain_text("Round 1: 2 cards, 1 photo")
    expect(story).to_contain_text(f"The question was: {TABLE_1_QUESTION}")
    expect(story.locator("img.card-photo")).to_have_count(1)
    expect(story.locator("li", has_text="Said while offline").locator("audio")).to_have_count(1)
    expect(phones[seated["Table 2"][0]].locator("#table-story")).to_have_count(0)
    check_accessibility(hana, "the host's phone with the table's story")

    # The facilitator writes for Sam from the console; the phones at Sam's table see it.
    sam_seat = next(s for s in seating["seats"] if s["display_name"] == "Sam")
    tab_to(console, controls.locator("summary", has_text="People without a phone"))
    console.keyboard.press("Enter")
    tab_to(console, console.locator("#cwf-person"))
    console.locator("#cwf-person").select_option(label="Sam")
    tab_to(console, console.locator("#cwf-text"))
    console.keyboard.type("I want to choose who helps me")
    tab_to(console, console.get_by_role("button", name="Post for them"))
    console.keyboard.press("Enter")
    at_sams = [
        s["display_name"]
        for s in seating["seats"]
        if s["table_id"] == sam_seat["table_id"] and s["display_name"] in phones
    ]
    assert at_sams, seating
    card = phones[at_sams[0]].locator("#board li", has_text="I want to choose who helps me")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Written for Sam")

    # The harvest on the projector: a theme of two cards, and its count.
    theme = api.client.post(
        f"/api/v1/cafes/{cafe.id}/themes",
        json={
            "name": "Getting about",
            "contribution_ids": [
                by_text["Buses that turn up on time"].id,
                by_text["Our paper tablecloth"].id,
            ],
        },
    )
    assert theme.status_code == 201, theme.text
    show = console.get_by_role("button", name="Show the harvest on the projector")
    tab_to(console, show)
    console.keyboard.press("Enter")
    expect(console.locator("#projector-mode")).to_contain_text("The projector shows the harvest.")
    themes = projector.locator(".harvest-themes li")
    expect(themes).to_have_count(1)
    expect(themes).to_contain_text("Getting about")
    expect(themes.locator(".theme-count")).to_have_text("2")
    expect(projector.locator("svg.word-cloud text", has_text="tablecloth")).to_have_count(1)
    check_accessibility(projector, "the projector's harvest")
