"""Facilitator pages: creating a café by form, the console's one-tap actions, the projector."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import Cafe, Participant
from app.services.cafe import cafes as cafe_service
from app.services.cafe import rounds as round_service
from app.services.cafe import seating as seating_service
from tests.cafe.test_participant import join, phone
from tests.conftest import csrf_of
from tests.factories import make_cafe, make_facilitator, make_participant

FORM = {
    "title": "Living well at home",
    "purpose": "What helps?",
    "table_count": "3",
    "table_capacity": "4",
    "rounds": "What is a good day? | 15\nWhat gets in the way?\nWhat would you change?",
    "minutes": "12",
    "table_questions": "2, 3: What helps carers most?",
    "seating_mode": "planned",
    "reaction_budget": "3",
}


def test_create_cafe_by_form(logged_in: TestClient, session: Session) -> None:
    token = csrf_of(logged_in, "/cafes/new")
    r = logged_in.post("/cafes/new", data={**FORM, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    cafe = session.exec(select(Cafe)).one()
    assert r.headers["location"] == f"/cafes/{cafe.id}/console"
    console = logged_in.get(r.headers["location"]).text
    assert cafe.code in console
    assert "Start round 1" in console
    api = logged_in.get(f"/api/v1/cafes/{cafe.id}")
    assert api.status_code == 401  # the API wants a bearer token, not the cookie
    rounds = [(r.question, r.minutes) for r in cafe_service.rounds_of(session=session, cafe=cafe)]
    assert rounds == [
        ("What is a good day?", 15),
        ("What gets in the way?", 12),
        ("What would you change?", 12),
    ]


def test_create_form_errors_are_readable_and_keep_input(
    logged_in: TestClient, session: Session
) -> None:
    token = csrf_of(logged_in, "/cafes/new")
    bad = {**FORM, "title": "", "table_count": "lots", "table_questions": "nonsense"}
    r = logged_in.post("/cafes/new", data={**bad, "csrf_token": token})
    assert r.status_code == 422
    assert "Number of tables must be a whole number" in r.text
    assert "round, table: question" in r.text
    assert "What is a good day? | 15" in r.text  # what they typed is still there
    no_rounds = logged_in.post("/cafes/new", data={**FORM, "rounds": "", "csrf_token": token})
    assert "Add at least one round question" in no_rounds.text
    tq = logged_in.post(
        "/cafes/new", data={**FORM, "table_questions": "2, 9: x", "csrf_token": token}
    )
    assert tq.status_code == 422
    assert "does not exist" in tq.text
    assert session.exec(select(Cafe)).all() == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"minutes": "999"}, "Minutes per round must be between 1 and 180."),
        ({"table_count": "0"}, "Number of tables must be between 1 and 200."),
        ({"table_capacity": "45"}, "People per table must be between 2 and 30."),
        ({"rounds": "Why? | 5\nHow? | 500"}, "Round 2: Minutes per round: Input should be less"),
        ({"table_count": "²"}, "Number of tables must be a whole number."),
        ({"table_capacity": "٣"}, "People per table must be a whole number."),
        ({"table_questions": "1, 2:    "}, "The question for table 2 in round 1: A round"),
        ({"title": "    "}, "Title: String should have at least 1 character."),
        # Votes per person out of range or not a number was once taken as 3 without a word.
        ({"reaction_budget": "lots"}, "Votes per person must be a whole number."),
        ({"reaction_budget": "99"}, "Votes per person must be between 0 and 20."),
    ],
)
def test_create_form_out_of_range_answers_with_a_sentence(
    logged_in: TestClient, session: Session, change: dict[str, str], message: str
) -> None:
    """Numbers out of range, digits that are not 0-9, a blank title: the form comes back
    saying what is wrong (it answered 500 for minutes over 180 and for "²")."""
    token = csrf_of(logged_in, "/cafes/new")
    r = logged_in.post("/cafes/new", data={**FORM, **change, "csrf_token": token})
    assert r.status_code == 422
    assert message in r.text
    assert session.exec(select(Cafe)).all() == []


def test_console_actions(logged_in: TestClient, session: Session, facilitator: Facilitator) -> None:
    cafe = make_cafe(session, facilitator)
    for n in range(5):
        join(phone(logged_in), cafe.code, f"P{n}")
    url = f"/cafes/{cafe.id}/console"
    token = csrf_of(logged_in, url)
    r = logged_in.post(f"{url}/next", data={"from_round": "0", "csrf_token": token})
    assert "Round 1 of 3" in r.text
    # A second tap on the same button (same from_round) does not rotate again.
    again = logged_in.post(f"{url}/next", data={"from_round": "0", "csrf_token": token})
    assert again.status_code == 409
    assert "Round 1 has already started" in again.text
    htmx = {"HX-Request": "true", "X-CSRF-Token": token}
    paused = logged_in.post(f"{url}/pause", headers=htmx)
    assert paused.status_code == 200
    assert "<strong>paused</strong>" in paused.text
    assert "<html" not in paused.text  # only the console fragment for htmx
    assert "<strong>running</strong>" in logged_in.post(f"{url}/resume", headers=htmx).text
    extended = logged_in.post(f"{url}/extend", data={"minutes": "5"}, headers=htmx).text
    assert "Round 1 of 3" in extended
    person = session.exec(select(Participant)).first()
    assert person is not None
    tables = cafe_service.tables_of(session=session, cafe=cafe)
    moved = logged_in.post(
        f"{url}/move", data={"participant_id": person.id, "table_id": tables[2].id}, headers=htmx
    )
    assert moved.status_code == 200
    for odd in ("²", "99999999999999999999"):  # not 0-9; beyond any id
        nowhere = logged_in.post(
            f"{url}/move", data={"participant_id": person.id, "table_id": odd}, headers=htmx
        )
        assert nowhere.status_code in (400, 404, 422), odd
        assert any(
            words in nowhere.text for words in ("Choose a table", "No such table", "too large")
        ), odd
    host = logged_in.post(
        f"{url}/host", data={"participant_id": person.id, "table_id": tables[2].id}, headers=htmx
    )
    assert "host</span>" in host.text
    unknown = logged_in.post(f"{url}/dance", headers=htmx)
    assert unknown.status_code == 400
    assert logged_in.post(f"{url}/end", headers=htmx).status_code == 200
    closed = logged_in.post(f"{url}/close", headers=htmx)
    assert "The café is closed" in closed.text
    assert logged_in.post(f"{url}/next", data={"from_round": "1"}, headers=htmx).status_code == 409


def test_someone_not_yet_seated_can_be_made_a_host_from_the_console(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    """Before the first round nobody has a table, yet the facilitator can name the hosts."""
    cafe = make_cafe(session, facilitator)
    join(phone(logged_in), cafe.code, "Hana")
    hana = session.exec(select(Participant)).one()
    tables = cafe_service.tables_of(session=session, cafe=cafe)
    url = f"/cafes/{cafe.id}/console"
    page = logged_in.get(url).text
    # A café without names labels her by her number (names are the café's choice).
    label = f'<label class="visually-hidden" for="host-{hana.id}">Make Person {hana.id} host of'
    assert label in page and "Hana" not in page
    token = csrf_of(logged_in, url)
    r = logged_in.post(
        f"{url}/host",
        data={"participant_id": hana.id, "table_id": tables[2].id, "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert "host</span>" in r.text
    session.refresh(hana)
    assert (hana.is_host, hana.home_table_id) == (True, tables[2].id)
    rnd = round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    seating = seating_service.seating(session=session, cafe=cafe, round_number=rnd.number)
    assert [(s.display_name, s.table_id) for s in seating.seats] == [("Hana", tables[2].id)]


def test_the_settings_page_changes_votes_and_moderation_and_keeps_names_hidden(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = make_cafe(session, facilitator)
    url = f"/cafes/{cafe.id}/settings"
    assert f'href="{url}"' in logged_in.get(f"/cafes/{cafe.id}/console").text
    page = logged_in.get(url).text
    assert 'name="names_visible"' in page  # nobody has joined: names may still be shown
    join(phone(logged_in), cafe.code, "Ana")
    page = logged_in.get(url).text
    assert 'name="names_visible"' not in page
    assert "people have joined on that promise" in page
    token = csrf_of(logged_in, url)
    form = {"title": "Living well", "purpose": "", "reaction_budget": "5", "csrf_token": token}
    bad = logged_in.post(url, data={**form, "reaction_budget": "lots"})
    assert bad.status_code == 422
    assert "Votes per person must be a whole number." in bad.text
    assert 'value="lots"' in bad.text  # what was typed is kept
    too_many = logged_in.post(url, data={**form, "reaction_budget": "50"})
    assert too_many.status_code == 422
    crafted = logged_in.post(url, data={**form, "names_visible": "true"})
    assert crafted.status_code == 409
    assert "names stay hidden" in crafted.text
    saved = logged_in.post(url, data={**form, "premoderation": "true"}, follow_redirects=False)
    assert saved.status_code == 303
    session.refresh(cafe)
    assert (cafe.title, cafe.reaction_budget, cafe.premoderation, cafe.names_visible) == (
        "Living well",
        5,
        True,
        False,
    )
    assert (
        logged_in.get(
            f"/cafes/{make_cafe(session, make_facilitator(session)).id}/settings"
        ).status_code
        == 404
    )


def test_console_is_only_for_the_cafes_facilitator(logged_in: TestClient, session: Session) -> None:
    other = make_cafe(session, make_facilitator(session))
    assert logged_in.get(f"/cafes/{other.id}/console").status_code == 404
    assert logged_in.get(f"/cafes/{other.id}/projector").status_code == 404
    token = csrf_of(logged_in, "/dashboard")
    r = logged_in.post(f"/cafes/{other.id}/console/next", data={"csrf_token": token})
    assert r.status_code == 404


def test_projector_shows_code_qr_and_question(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe = make_cafe(session, facilitator)
    page = logged_in.get(f"/cafes/{cafe.id}/projector").text
    assert cafe.code in page
    assert re.search(r"<svg[^>]*>", page)
    assert "QR code to join" in page
    token = csrf_of(logged_in, f"/cafes/{cafe.id}/console")
    logged_in.post(f"/cafes/{cafe.id}/console/next", data={"csrf_token": token})
    page = logged_in.get(f"/cafes/{cafe.id}/projector").text
    assert "What does a good day look like?" in page
    assert "Move now" in page
    svg = logged_in.get(f"/cafes/{cafe.id}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")


def test_the_call_to_move_comes_down_two_minutes_into_a_round(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    """The projector's "Move now" and a phone's "Go to Table N" say how long they have left
    (the page's script takes them down then), and a page drawn after two minutes has none."""
    cafe = make_cafe(session, facilitator)
    person = phone(logged_in)
    join(person, cafe.code, "Ana")
    token = csrf_of(logged_in, f"/cafes/{cafe.id}/console")
    logged_in.post(f"/cafes/{cafe.id}/console/next", data={"csrf_token": token})
    session.refresh(cafe)
    rnd = cafe_service.current_round(session=session, cafe=cafe)
    assert rnd is not None and rnd.starts_at is not None

    def started(seconds_ago: int) -> None:
        assert rnd is not None
        rnd.starts_at = utcnow() - timedelta(seconds=seconds_ago)
        session.add(rnd)
        session.commit()

    def calls() -> tuple[list[str], list[str]]:
        projector = logged_in.get(f"/cafes/{cafe.id}/projector").text
        page = person.get(f"/p/{cafe.code}").text
        pattern = r'class="move-call"[^>]*data-for-seconds="(\d+)"'
        return re.findall(pattern, projector), re.findall(pattern, page)

    started(30)
    on_projector, on_phone = calls()
    assert len(on_projector) == 1 and 88 <= int(on_projector[0]) <= 90
    assert len(on_phone) == 1 and 88 <= int(on_phone[0]) <= 90
    started(130)
    assert calls() == ([], [])
    assert "Move now" not in logged_in.get(f"/cafes/{cafe.id}/projector").text
    assert "Go to " not in person.get(f"/p/{cafe.code}").text


def test_websocket_refuses_strangers_and_wrong_origin(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    from starlette.websockets import WebSocketDisconnect

    cafe = make_cafe(session, facilitator)
    p = phone(client)
    join(p, cafe.code)
    good = {"origin": "http://testserver"}
    with p.websocket_connect(f"/ws/p/{cafe.id}", headers=good) as ws:
        assert 'id="now"' in ws.receive_text()
    strangers = [
        (p, f"/ws/p/{cafe.id}", {"origin": "https://evil.example"}),  # wrong Origin
        (phone(client), f"/ws/p/{cafe.id}", good),  # no cookie for this café
        (p, f"/ws/console/{cafe.id}", good),  # a participant is not the facilitator
    ]
    for who, path, headers in strangers:
        with pytest.raises(WebSocketDisconnect) as refused:  # noqa: SIM117
            with who.websocket_connect(path, headers=headers) as ws:
                ws.receive_text()
        assert refused.value.code == 1008


def test_rotation_is_pushed_to_the_phone_socket(
    client: TestClient, session: Session, facilitator: Facilitator, api_headers: dict[str, str]
) -> None:
    cafe = make_cafe(session, facilitator)
    p = phone(client)
    join(p, cafe.code)
    with p.websocket_connect(f"/ws/p/{cafe.id}", headers={"origin": "http://testserver"}) as ws:
        first = ws.receive_text()
        assert "first round has not started" in first
        client.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=api_headers)
        pushed = ws.receive_text()
        assert 'hx-swap-oob="true"' in pushed
        assert "Go to Table" in pushed
        assert "What does a good day look like?" in pushed


def test_a_move_from_the_console_reaches_the_moved_phone(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    """The console's "Move" (and "Make host") tells the person's phone at once: the event
    names who moved and where (it named no one, so no phone redrew until refreshed)."""
    cafe = make_cafe(session, facilitator)
    p = phone(logged_in)
    join(p, cafe.code, "Ana")
    url = f"/cafes/{cafe.id}/console"
    token = csrf_of(logged_in, url)
    logged_in.post(f"{url}/next", data={"csrf_token": token})
    ana = session.exec(select(Participant)).one()
    tables = cafe_service.tables_of(session=session, cafe=cafe)
    session.refresh(cafe)
    seat = seating_service.seat_of(
        session=session, rnd=cafe_service.current_round(session=session, cafe=cafe), person=ana
    )
    assert seat is not None
    elsewhere = next(t for t in tables if t.id != seat.id)
    htmx = {"HX-Request": "true", "X-CSRF-Token": token}
    with p.websocket_connect(f"/ws/p/{cafe.id}", headers={"origin": "http://testserver"}) as ws:
        assert f'data-table-id="{seat.id}"' in ws.receive_text()
        logged_in.post(
            f"{url}/move", data={"participant_id": ana.id, "table_id": elsewhere.id}, headers=htmx
        )
        assert f'data-table-id="{elsewhere.id}"' in ws.receive_text()
        logged_in.post(
            f"{url}/host", data={"participant_id": ana.id, "table_id": seat.id}, headers=htmx
        )
        back = ws.receive_text()
        assert f'data-table-id="{seat.id}"' in back
        assert "host" in back.lower()


@pytest.mark.parametrize("via", ["console", "api"])
def test_a_round_start_reaches_the_phones_before_the_facilitator_is_answered(
    via: str,
    logged_in: TestClient,
    session: Session,
    facilitator: Facilitator,
    api_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every phone waits for a new round; the facilitator's answer (the whole console
    redrawn, or the café's summary) is drawn after the round has been published to them."""
    from app.routers.cafe import api as api_cafes
    from app.routers.cafe import pages as cafes

    cafe = make_cafe(session, facilitator)
    make_participant(session, cafe, "Ada")
    happened: list[str] = []
    hub = logged_in.app.state.hub  # type: ignore[attr-defined]
    publish = hub.publish

    async def recorded(channel: str, event: dict[str, object]) -> None:
        happened.append(f"published {event['type']}")
        await publish(channel, event)

    def answered(real: Callable[..., object]) -> Callable[..., object]:
        def drawn(*args: object, **kwargs: object) -> object:
            happened.append("answer drawn")
            return real(*args, **kwargs)

        return drawn

    monkeypatch.setattr(hub, "publish", recorded)
    monkeypatch.setattr(cafes, "_console", answered(cafes._console))
    monkeypatch.setattr(api_cafes, "_public", answered(api_cafes._public))
    if via == "console":
        token = csrf_of(logged_in, f"/cafes/{cafe.id}/console")
        happened.clear()
        r = logged_in.post(
            f"/cafes/{cafe.id}/console/next",
            data={"csrf_token": token},
            headers={"HX-Request": "true"},
        )
    else:
        r = logged_in.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=api_headers)
    assert r.status_code == 200
    assert happened[:2] == ["published round_started", "answer drawn"], happened


def test_a_big_cafe_moves_people_from_a_page_of_their_own(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    """At 41 people and 100 tables a list of every table for every person would be 4,100
    options on every update: "Move" opens a page with the tables instead."""
    cafe = make_cafe(session, facilitator, table_count=100, table_capacity=8)
    people = [make_participant(session, cafe, f"Person {n}") for n in range(41)]
    round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    console = logged_in.get(f"/cafes/{cafe.id}/console").text
    # (The room's controls below the console have a list of tables each, not one a person.)
    assert "<select" not in console[console.index('id="console"') : console.index("room-controls")]
    person = people[0]
    link = f'href="/cafes/{cafe.id}/console/move/{person.id}"'
    assert link in console
    page = logged_in.get(f"/cafes/{cafe.id}/console/move/{person.id}")
    assert page.status_code == 200
    assert f"Move {person.display_name}" in page.text
    here = seating_service.seating_history(session=session, cafe=cafe, before=2)[0][person.id]
    tables = cafe_service.tables_of(session=session, cafe=cafe)
    target = next(t for t in tables if t.id != here)
    assert page.text.count('name="table_id"') == 100
    moved = logged_in.post(
        f"/cafes/{cafe.id}/console/move",
        data={
            "participant_id": str(person.id),
            "table_id": str(target.id),
            "csrf_token": csrf_of(logged_in, f"/cafes/{cafe.id}/console/move/{person.id}"),
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert (
        seating_service.seating_history(session=session, cafe=cafe, before=2)[0][person.id]
        == target.id
    )
    # Someone of another café, or nobody: a clear 404.
    assert logged_in.get(f"/cafes/{cafe.id}/console/move/999999").status_code == 404
    # A small café keeps the list beside each person.
    small = make_cafe(session, facilitator)
    make_participant(session, small, "Solo")
    round_service.start_next_round(session=session, cafe=small, now=utcnow())
    assert "<select" in logged_in.get(f"/cafes/{small.id}/console").text


@pytest.mark.parametrize("names_visible", [False, True])
def test_the_console_names_people_only_in_a_cafe_that_shows_names(
    logged_in: TestClient, session: Session, facilitator: Facilitator, names_visible: bool
) -> None:
    """The console is often projected, and the join page promises "Other people will not see
    it" in a café without names: the page and its live part label people instead."""
    cafe = make_cafe(session, facilitator, names_visible=names_visible)
    seated = make_participant(session, cafe, "Zebedee Quill", role="carer")
    round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    waiting = make_participant(session, cafe, "Ottoline Vex")
    page = logged_in.get(f"/cafes/{cafe.id}/console").text
    with logged_in.websocket_connect(
        f"/ws/console/{cafe.id}", headers={"origin": "http://testserver"}
    ) as ws:
        live = ws.receive_text()
    assert 'id="console"' in live
    for drawn in (page, live):
        for person in (seated, waiting):
            assert (person.display_name in drawn) is names_visible
            assert (f"Person {person.id}" in drawn) is not names_visible
        assert "Carer" in drawn  # the role still shows
    # The move page is opened for one person, deliberately: it says who is being moved.
    move = logged_in.get(f"/cafes/{cafe.id}/console/move/{seated.id}").text
    assert "Move Zebedee Quill" in move


def test_the_room_kit_prints_tents_and_the_seating_the_rotation_then_follows(
    logged_in: TestClient, session: Session, facilitator: Facilitator
) -> None:
    """The printable kit has a tent card per table (its name, each round's question there
    and a QR code for its host's link) and who sits where: round 1 as seated, rounds 2 and 3
    as planned. Started as planned, round 2 seats everyone where the kit said."""
    from app.live import plans
    from app.services.cafe import kit as kit_service

    plans.PLANS.clear()
    cafe = make_cafe(session, facilitator)
    people = {make_participant(session, cafe, f"Person {n}").id: f"Person {n}" for n in range(9)}
    empty = logged_in.get(f"/cafes/{cafe.id}/kit")
    assert empty.status_code == 200
    tables = cafe_service.tables_of(session=session, cafe=cafe)
    for table in tables:
        assert f"QR code to host {table.name}" in empty.text
    assert empty.text.count("What gets in the way?") >= len(tables)  # on every tent
    token = csrf_of(logged_in, f"/cafes/{cafe.id}/console")
    logged_in.post(f"/cafes/{cafe.id}/console/next", data={"csrf_token": token})
    page = logged_in.get(f"/cafes/{cafe.id}/kit").text
    assert "Round 1</h3>" in page and "Round 2 (planned)" in page and "Round 3 (planned)" in page
    kit = kit_service.room_kit(session=session, cafe=cafe, plans=plans.PLANS)
    printed = {
        p.id: t.table.id for t in kit.rounds[1].tables for p in t.people
    }  # round 2, as printed
    assert sorted(printed) == sorted(people)
    session.refresh(cafe)
    plans.rotate(session=session, cafe=cafe, now=utcnow())  # as the console's button does
    played = seating_service.seating_history(session=session, cafe=cafe, before=3)[1]
    assert played == printed


def test_the_room_kit_is_the_cafes_own(logged_in: TestClient, session: Session) -> None:
    other = make_cafe(session, make_facilitator(session, email="other@example.org"))
    assert logged_in.get(f"/cafes/{other.id}/kit").status_code == 404
