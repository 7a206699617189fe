"""The café API: create, read, run rounds, seating, bad input."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.live import plans
from app.models.accounts import Facilitator
from app.models.base import utcnow
from app.models.cafe import SeatPlan
from app.services.cafe import cafes as cafe_service
from app.services.cafe import rounds as round_service
from app.services.cafe import seating as seating_service
from app.services.cafe import state as state_service
from app.services.rotation import planner
from tests.factories import cafe_payload, make_cafe, make_facilitator, make_participant


def _join(client: TestClient, code: str, name: str, **extra: str) -> TestClient:
    """A phone: its own cookie jar, joined to the café."""
    phone = TestClient(client.app, base_url=str(client.base_url))
    page = phone.get(f"/j/{code}")
    assert page.status_code == 200, page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = phone.post(
        f"/j/{code}",
        data={"display_name": name, "csrf_token": token, **extra},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return phone


def test_create_and_read_back(client: TestClient, api_headers: dict[str, str]) -> None:
    r = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["code"]) == 6
    assert not set(body["code"]) & set("0O1I")
    assert body["join_url"] == f"http://testserver/j/{body['code']}"
    assert [t["name"] for t in body["tables"]] == ["Table 1", "Table 2", "Table 3"]
    assert [r["question"] for r in body["rounds"]][0] == "What does a good day look like?"
    again = client.get(f"/api/v1/cafes/{body['id']}", headers=api_headers).json()
    assert again["code"] == body["code"]
    assert again["status"] == "draft"
    assert again["names_visible"] is False


def test_each_table_has_a_host_link_that_makes_a_host(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """An API client can hand out host links: the café's answer names each table's."""
    body = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers).json()
    links = [t["host_url"] for t in body["tables"]]
    assert all(link.startswith(f"{body['join_url']}?host=") for link in links)
    assert len(set(links)) == len(links)
    host = TestClient(client.app, base_url=str(client.base_url))
    path = links[1].removeprefix("http://testserver")
    page = host.get(path)
    assert "You are joining as a <strong>table host</strong>" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    joined = host.post(
        f"/j/{body['code']}",
        data={
            "display_name": "Hana",
            "csrf_token": token.group(1),
            "host": links[1].split("?host=")[1],
        },
        follow_redirects=False,
    )
    assert joined.status_code == 303
    people = client.get(f"/api/v1/cafes/{body['id']}/participants", headers=api_headers).json()
    assert [(p["display_name"], p["is_host"], p["home_table_id"]) for p in people] == [
        ("Hana", True, body["tables"][1]["id"])
    ]


def test_named_tables_and_per_table_questions(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    payload = cafe_payload(
        table_count=None, tables=[{"name": "Kitchen", "capacity": 5}, {"capacity": 3}]
    )
    payload["rounds"][1]["table_questions"] = [{"table": 2, "question": "What helps carers?"}]
    body = client.post("/api/v1/cafes", json=payload, headers=api_headers).json()
    assert [(t["name"], t["capacity"]) for t in body["tables"]] == [("Kitchen", 5), ("Table 2", 3)]
    assert body["rounds"][1]["table_questions"] == {"2": "What helps carers?"}


def test_bad_create_input_is_422_with_detail(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cases = [
        cafe_payload(title=""),
        cafe_payload(title="   "),
        {**cafe_payload(), "rounds": [{"question": "  \n "}]},
        {
            **cafe_payload(),
            "rounds": [{"question": "q", "table_questions": [{"table": 1, "question": " "}]}],
        },
        cafe_payload(rounds=[]),
        cafe_payload(table_count=None),
        cafe_payload(table_capacity=1),
        cafe_payload(seating_mode="random"),
        {**cafe_payload(), "rounds": [{"question": "q", "minutes": 0}]},
        {
            **cafe_payload(),
            "rounds": [{"question": "q", "table_questions": [{"table": 9, "question": "x"}]}],
        },
    ]
    for payload in cases:
        r = client.post("/api/v1/cafes", json=payload, headers=api_headers)
        assert r.status_code == 422, payload
        assert r.json()["detail"]
    assert (
        client.post(
            "/api/v1/cafes",
            content=b"{not json",
            headers={**api_headers, "Content-Type": "application/json"},
        ).status_code
        == 422
    )


def test_a_method_the_address_does_not_take_is_405_naming_every_one_it_does(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    # Reading and creating cafés are two routes at one address: a client told only one of
    # them (the router's own answer) would think it cannot list its cafés.
    r = client.put("/api/v1/cafes", json={}, headers=api_headers)
    assert r.status_code == 405
    assert r.json() == {"detail": "That action is not possible at this address."}
    assert r.headers["allow"] == "GET, POST"
    r = client.delete("/api/v1/cafes/1/rounds/next", headers=api_headers)
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"


def test_another_facilitators_cafe_is_404(
    client: TestClient, session: Session, api_headers: dict[str, str]
) -> None:
    other = make_cafe(session, make_facilitator(session))
    r = client.get(f"/api/v1/cafes/{other.id}", headers=api_headers)
    assert r.status_code == 404
    assert r.json() == {"detail": "No such café."}
    assert (
        client.post(f"/api/v1/cafes/{other.id}/rounds/next", headers=api_headers).status_code == 404
    )


def test_rounds_run_with_a_shared_clock(client: TestClient, api_headers: dict[str, str]) -> None:
    cafe = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers).json()
    cid, code = cafe["id"], cafe["code"]
    phones = [_join(client, code, f"Person {n}") for n in range(8)]
    assert client.post(f"/api/v1/cafes/{cid}/pause", headers=api_headers).status_code == 409
    r = client.post(f"/api/v1/cafes/{cid}/rounds/next", headers=api_headers)
    assert r.status_code == 200
    state = r.json()
    assert state["current_round"] == 1
    assert state["status"] == "running"
    left = state["rounds"][0]["seconds_left"]
    assert 590 <= left <= 600
    extended = client.post(
        f"/api/v1/cafes/{cid}/rounds/current/extend", json={"minutes": 3}, headers=api_headers
    ).json()
    assert extended["rounds"][0]["seconds_left"] >= left + 170
    paused = client.post(f"/api/v1/cafes/{cid}/pause", headers=api_headers).json()
    assert paused["rounds"][0]["status"] == "paused"
    assert client.post(f"/api/v1/cafes/{cid}/pause", headers=api_headers).status_code == 409
    resumed = client.post(f"/api/v1/cafes/{cid}/resume", headers=api_headers).json()
    assert resumed["rounds"][0]["status"] == "running"
    seating = client.get(f"/api/v1/cafes/{cid}/seating", headers=api_headers).json()
    assert seating["round"] == 1
    assert len(seating["seats"]) == 8
    assert seating["unseated"] == []
    by_table: dict[int, int] = {}
    for seat in seating["seats"]:
        by_table[seat["table_id"]] = by_table.get(seat["table_id"], 0) + 1
    assert sorted(by_table.values()) == [2, 3, 3]
    # Every phone shows the table the seating API names.
    for phone in phones:
        page = phone.get(f"/p/{code}").text
        assert "Go to Table" in page
    assert (
        client.get(f"/api/v1/cafes/{cid}/seating?round=7", headers=api_headers).status_code == 404
    )


def test_second_next_for_the_same_round_is_refused(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers).json()
    for n in range(6):
        _join(client, cafe["code"], f"P{n}")
    url = f"/api/v1/cafes/{cafe['id']}/rounds/next"
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(
                lambda _: client.post(url, json={"from_round": 0}, headers=api_headers).status_code,
                range(4),
            )
        )
    assert sorted(results) == [200, 409, 409, 409]
    state = client.get(f"/api/v1/cafes/{cafe['id']}", headers=api_headers).json()
    assert state["current_round"] == 1
    stale = client.post(url, json={"from_round": 0}, headers=api_headers)
    assert stale.status_code == 409
    assert "already started" in stale.json()["detail"]


def test_last_round_then_close(client: TestClient, api_headers: dict[str, str]) -> None:
    cafe = client.post(
        "/api/v1/cafes", json=cafe_payload(rounds=[{"question": "Only one"}]), headers=api_headers
    ).json()
    url = f"/api/v1/cafes/{cafe['id']}"
    assert client.post(f"{url}/rounds/next", headers=api_headers).status_code == 200
    last = client.post(f"{url}/rounds/next", headers=api_headers)
    assert last.status_code == 409
    assert "last round" in last.json()["detail"]
    closed = client.post(f"{url}/close", headers=api_headers).json()
    assert closed["status"] == "closed"
    assert client.post(f"{url}/close", headers=api_headers).status_code == 409
    assert client.post(f"{url}/rounds/current/extend", headers=api_headers).status_code == 409


def test_clock_survives_a_restart(
    session: Session,
    facilitator: Facilitator,
    settings: object,
) -> None:
    """The round stores instants, so a new process computes the same time left."""
    cafe = make_cafe(session, facilitator)
    now = utcnow()
    round_service.start_next_round(session=session, cafe=cafe, now=now)
    later = now + timedelta(minutes=4)
    from app.main import create_app

    with TestClient(create_app(settings)) as fresh:  # type: ignore[arg-type]
        del fresh
    from app.db import Database

    db = Database(settings.database_url)  # type: ignore[attr-defined]
    with db.read_session() as s2:
        rnd = cafe_service.current_round(session=s2, cafe=s2.get(type(cafe), cafe.id))  # type: ignore[arg-type]
        assert rnd is not None
        assert cafe_service.seconds_left(rnd=rnd, now=later) == 6 * 60
    db.dispose()


@pytest.fixture
def plans_made(monkeypatch: pytest.MonkeyPatch) -> list[list[dict[int, int]]]:
    """One entry per plan of the café's remaining rounds the planner works out: the
    seatings it returned (none remembered from another test)."""
    calls: list[list[dict[int, int]]] = []
    real = planner.plan_rounds

    def counted(*args: Any, **kwargs: Any) -> list[dict[int, int]]:
        plan = real(*args, **kwargs)
        calls.append(plan)
        return plan

    monkeypatch.setattr(planner, "plan_rounds", counted)
    plans.PLANS.clear()
    return calls


def test_the_cafe_follows_one_plan_of_all_its_rounds_until_the_room_changes(
    session: Session, facilitator: Facilitator, plans_made: list[list[dict[int, int]]]
) -> None:
    """Starting round 1 plans every round of the café together, and the next rounds are
    seated from that plan (planned ahead or at the tap) while the room stays as it was; a
    late joiner has the rest of the café planned afresh, and is seated in it too."""
    cafe = make_cafe(session, facilitator)

    def person(name: str) -> int:
        joined = make_participant(session, cafe, name)
        return joined.id

    people = [person(f"Person {n}") for n in range(9)]
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    calls = plans_made
    assert [len(plan) for plan in calls] == [3]  # all three rounds, together
    whole = calls[0]
    assert plans.prepare_next_round(session=session, cafe=cafe)
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    assert len(calls) == 1  # round 2 came from the plan of the café
    played = seating_service.seating_history(session=session, cafe=cafe, before=3)
    assert played == whole[:2]
    assert sorted(played[1]) == sorted(people)

    assert plans.prepare_next_round(session=session, cafe=cafe)
    assert len(calls) == 1  # and so would round 3
    late = person("Late joiner")
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    assert [len(plan) for plan in calls] == [3, 1]  # the room changed: planned again
    last = seating_service.seating_history(session=session, cafe=cafe, before=4)[2]
    assert late in last and last == calls[1][0]
    # After the last round there is nothing to plan ahead.
    assert not plans.prepare_next_round(session=session, cafe=cafe)


def test_a_move_by_hand_after_the_plan_was_made_is_planned_from(
    session: Session, facilitator: Facilitator, plans_made: list[list[dict[int, int]]]
) -> None:
    """The facilitator moves someone after the next seating was planned ahead: the plan
    made before the move is not used, the round is planned from where people sit now, and
    everyone is seated in it."""
    cafe = make_cafe(session, facilitator, table_count=3, table_capacity=4)
    people = [make_participant(session, cafe, f"Person {n}") for n in range(9)]
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    calls = plans_made
    calls.clear()  # count from round 2 on
    assert plans.prepare_next_round(session=session, cafe=cafe)
    assert calls == []  # round 2 was planned with round 1
    moved = people[0]
    seated = seating_service.seating_history(session=session, cafe=cafe, before=2)[0]
    away = next(
        t for t in cafe_service.tables_of(session=session, cafe=cafe) if t.id != seated[moved.id]
    )
    seating_service.move_person(
        session=session, cafe=cafe, participant_id=moved.id, table_id=away.id
    )
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    assert [len(plan) for plan in calls] == [2]  # the rest planned again after the move
    history = seating_service.seating_history(session=session, cafe=cafe, before=3)
    assert history[0][moved.id] == away.id
    assert sorted(history[1]) == sorted(p.id for p in people)


def test_a_rotation_ends_the_round_before_and_keeps_people_who_cannot_move(
    session: Session, facilitator: Facilitator
) -> None:
    """The planner is told where everyone sits now: someone who can't move tables stays put
    at every rotation, and the round that was running is ended, not left running."""
    cafe = make_cafe(session, facilitator)
    for n in range(8):
        make_participant(session, cafe, f"Person {n}")
    stays = make_participant(session, cafe, "Stays put", cannot_move=True)
    first = round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    second = round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    third = round_service.start_next_round(session=session, cafe=cafe, now=utcnow())
    history = seating_service.seating_history(session=session, cafe=cafe, before=4)
    assert len({seating[stays.id] for seating in history}) == 1
    for rnd in (first, second):
        session.refresh(rnd)
        assert rnd.status == "ended" and rnd.ended_at is not None
    session.refresh(third)
    assert third.status == "running" and third.ended_at is None


@pytest.mark.parametrize("mode", ["planned", "free"])
def test_the_state_a_rotation_hands_the_live_views_is_the_state_read_afresh(
    session: Session, facilitator: Facilitator, mode: str
) -> None:
    """The phones are drawn from the café state the rotation built from what it had in hand:
    it must say exactly what reading the café back says (seats, the round before, who is
    unseated, questions per table, the clock), or phones would show something else."""
    cafe = make_cafe(
        session,
        facilitator,
        seating_mode=mode,
        table_count=3,
        table_capacity=3,
        rounds=[
            {"question": "First?", "minutes": 10},
            {
                "question": "Second?",
                "minutes": 10,
                "table_questions": [{"table": 2, "question": "Only at table 2?"}],
            },
        ],
    )
    people = [make_participant(session, cafe, f"Person {n}") for n in range(10)]  # 9 seats
    people[1].cannot_move = True
    session.add(people[1])
    session.commit()
    for _ in range(2):
        started = plans.rotate(session=session, cafe=cafe, now=utcnow())
        mine = started.state
        read = state_service.cafe_state(session=session, cafe=cafe, now=mine.read_at)
        assert mine.round is not None and read.round is not None
        assert mine.round.id == read.round.id == started.round.id
        assert mine.table_of == read.table_of
        assert mine.previous_table_of == read.previous_table_of
        assert [p.id for p in mine.unseated] == [p.id for p in read.unseated]
        assert mine.late_joiners == read.late_joiners
        assert (mine.total_rounds, mine.participants) == (read.total_rounds, read.participants)
        assert mine.seconds_left == read.seconds_left
        shown = [(v.table.id, v.question, [p.id for p in v.people]) for v in mine.tables]
        assert shown == [(v.table.id, v.question, [p.id for p in v.people]) for v in read.tables]
    assert any(v.question == "Only at table 2?" for v in mine.tables)
    if mode == "planned":
        assert len(mine.unseated) == 1 and mine.previous_table_of


def test_the_live_views_never_draw_another_cafes_state_kept_under_the_same_id(
    session: Session, facilitator: Facilitator, database_url: str
) -> None:
    """An id can name another café after a database is emptied, or after the newest café is
    deleted on SQLite: a state kept for the id before must not reach the new café's views."""
    import asyncio

    from app.db import Database
    from app.live.state import StateCache

    cafe = make_cafe(session, facilitator, title="This one")
    earlier = make_cafe(session, facilitator, title="Another")
    db = Database(database_url)
    try:
        cache = StateCache(db)
        stale = state_service.cafe_state(session=session, cafe=earlier, now=utcnow())
        cache.put(cafe.id, 7, stale)  # as if `earlier` had had this id
        cache.saw(cafe.id, 7)
        got = asyncio.run(cache.get(cafe.id, code=cafe.code))
        assert got is not None and got.cafe.code == cafe.code and got.cafe.title == "This one"
        # A state that is the café's own is taken from the cache, not read again.
        assert asyncio.run(cache.get(cafe.id, code=cafe.code)) is got
    finally:
        db.dispose()


def test_a_running_cafes_settings_change_through_the_api(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """Votes per person, pre-moderation, the title: changed while the café runs, and the
    phones' boards say the new budget at once. Names cannot be switched on once people have
    joined on the promise that they stay hidden; bad values are readable 422s."""
    body = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers).json()
    url = f"/api/v1/cafes/{body['id']}"
    early = client.patch(url, json={"names_visible": True}, headers=api_headers)
    assert early.status_code == 200 and early.json()["names_visible"] is True
    assert client.patch(url, json={"names_visible": False}, headers=api_headers).status_code == 200
    phone = TestClient(client.app, base_url=str(client.base_url))
    page = phone.get(f"/j/{body['code']}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    phone.post(f"/j/{body['code']}", data={"display_name": "Ana", "csrf_token": token.group(1)})
    client.post(f"{url}/rounds/next", headers=api_headers)
    assert "You have 3 of 3 votes left" in phone.get(f"/p/{body['code']}").text
    origin = {"origin": "http://testserver"}
    with phone.websocket_connect(f"/ws/p/{body['id']}", headers=origin) as ws:
        ws.receive_text()
        changed = client.patch(
            url,
            json={"reaction_budget": 5, "premoderation": True, "title": "  Better title "},
            headers=api_headers,
        )
        assert changed.status_code == 200, changed.text
        after = changed.json()
        assert (after["reaction_budget"], after["premoderation"], after["title"]) == (
            5,
            True,
            "Better title",
        )
        assert "You have 5 of 5 votes left" in ws.receive_text()
    late = client.patch(url, json={"names_visible": True}, headers=api_headers)
    assert late.status_code == 409
    assert "promise" in late.json()["detail"]
    for bad in ({"reaction_budget": 99}, {"title": "   "}, {"premoderation": "maybe"}):
        r = client.patch(url, json=bad, headers=api_headers)
        assert r.status_code == 422, bad
        assert r.json()["detail"]
    assert client.get(url, headers=api_headers).json()["reaction_budget"] == 5


def test_one_table_given_two_questions_in_a_round_is_a_readable_422(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    payload = cafe_payload()
    payload["rounds"][0]["table_questions"] = [
        {"table": 2, "question": "What helps?"},
        {"table": 2, "question": "What gets in the way?"},
    ]
    r = client.post("/api/v1/cafes", json=payload, headers=api_headers)
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == (
        "Value error, table_questions gives table 2 two questions"
    )


def test_booleans_are_json_booleans(client: TestClient, api_headers: dict[str, str]) -> None:
    """0 and 1 are numbers: a client sending them for a switch has made a mistake."""
    cafe = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers).json()
    for body in ({"names_visible": 0}, {"premoderation": 1}, {"premoderation": "yes"}):
        r = client.patch(f"/api/v1/cafes/{cafe['id']}", json=body, headers=api_headers)
        assert r.status_code == 422, body
        assert r.json()["detail"][0]["type"] == "bool_type"
    created = client.post("/api/v1/cafes", json=cafe_payload(names_visible=1), headers=api_headers)
    assert created.status_code == 422
    r = client.patch(
        f"/api/v1/cafes/{cafe['id']}", json={"names_visible": True}, headers=api_headers
    )
    assert r.status_code == 200 and r.json()["names_visible"] is True


def test_ids_are_bounded_as_the_schema_says(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """An id past what the database holds is refused by the schema's own bound (declared in
    /openapi.json), naming the parameter, on SQLite and PostgreSQL alike."""
    schema = client.get("/openapi.json").json()
    cafe_id = schema["paths"]["/api/v1/cafes/{cafe_id}"]["get"]["parameters"][0]
    assert cafe_id["schema"]["minimum"] == 1
    assert cafe_id["schema"]["maximum"] == 2**31 - 1
    for bad in (2**31, 2**63, 0):
        r = client.get(f"/api/v1/cafes/{bad}", headers=api_headers)
        assert r.status_code == 422, bad
        assert r.json()["detail"][0]["loc"] == ["path", "cafe_id"]
    assert client.get(f"/api/v1/cafes/{2**31 - 1}", headers=api_headers).status_code == 404
    # And an id named in a body.
    cafe = client.post("/api/v1/cafes", json=cafe_payload(), headers=api_headers).json()
    r = client.post(
        f"/api/v1/cafes/{cafe['id']}/participants/1/move",
        json={"table_id": 2**31},
        headers=api_headers,
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "table_id"]
    assert r.json()["detail"][0]["msg"] == f"Input should be less than or equal to {2**31 - 1}"


def test_another_worker_or_a_restart_follows_the_cafes_plan(
    session: Session, facilitator: Facilitator, plans_made: list[list[dict[int, int]]]
) -> None:
    """The plan of the rounds ahead is kept in the database at each rotation: a process that
    did not make it (another worker, or the app after a restart: nothing in memory) seats
    the next rounds as the plan says, without planning again from the middle of it (which
    makes a worse plan: 27 repeated meetings instead of 0 for 28 people at 7 tables over 9
    rounds)."""
    cafe = make_cafe(session, facilitator)
    for n in range(9):
        make_participant(session, cafe, f"Person {n}")
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    (whole,) = plans_made
    for _later_round in (2, 3):
        plans.PLANS.clear()  # as in a process that has never seen this café
        assert plans.prepare_next_round(session=session, cafe=cafe)
        plans.PLANS.clear()
        plans.rotate(session=session, cafe=cafe, now=utcnow())
    assert len(plans_made) == 1  # never planned again
    played = seating_service.seating_history(session=session, cafe=cafe, before=4)
    assert played == whole
    # After the last round nothing of the plan is kept.
    assert session.exec(select(SeatPlan).where(SeatPlan.cafe_id == cafe.id)).all() == []


def test_a_plan_kept_for_another_room_is_not_followed(
    session: Session, facilitator: Facilitator, plans_made: list[list[dict[int, int]]]
) -> None:
    """Someone joins after the plan was kept: the kept plan is for a room that no longer is,
    so the rest of the café is planned afresh (in any process) and seats the newcomer."""
    cafe = make_cafe(session, facilitator)
    for n in range(8):
        make_participant(session, cafe, f"Person {n}")
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    late = make_participant(session, cafe, "Late joiner")
    plans.PLANS.clear()
    plans.rotate(session=session, cafe=cafe, now=utcnow())
    assert [len(plan) for plan in plans_made] == [3, 2]
    assert late.id in seating_service.seating_history(session=session, cafe=cafe, before=3)[1]
    kept = session.exec(select(SeatPlan).where(SeatPlan.cafe_id == cafe.id)).all()
    assert {row.round_number for row in kept} == {3}
    assert late.id in {row.participant_id for row in kept}
