"""The table board: posting from phones, retries, edits, reactions, moderation, live pushes."""

from __future__ import annotations

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models.base import utcnow
from app.models.cafe import Cafe, Participant
from app.models.evidence import Contribution, Reaction
from app.security import SESSION_COOKIE
from app.services.board.moderation import board_preview
from app.services.board.posting import post_contribution
from tests.conftest import csrf_of
from tests.factories import PASSWORD, cafe_payload, make_cafe, make_facilitator
from tests.live_phones import FacilitatorApi, Phone
from tests.live_phones import join as live_join
from tests.live_server import LiveServer

HTMX = {"HX-Request": "true"}
ORIGIN = {"origin": "http://testserver"}


def phone(client: TestClient) -> TestClient:
    """A phone with its own cookie jar, sharing the app's event loop (and so its hub)."""
    p = TestClient(client.app, base_url=str(client.base_url))
    p.portal = client.portal
    return p


def join(client: TestClient, code: str, name: str, **extra: str) -> TestClient:
    p = phone(client)
    token = csrf_of(p, f"/j/{code}")
    r = p.post(
        f"/j/{code}",
        data={"display_name": name, "csrf_token": token, **extra},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return p


def new_cafe(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    r = client.post("/api/v1/cafes", json=cafe_payload(**overrides), headers=headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def start(client: TestClient, headers: dict[str, str], cafe: dict[str, Any]) -> None:
    r = client.post(f"/api/v1/cafes/{cafe['id']}/rounds/next", headers=headers)
    assert r.status_code == 200, r.text


def seat(
    client: TestClient, headers: dict[str, str], cafe: dict[str, Any], plan: dict[str, int]
) -> None:
    """Move people (by name) to tables (by number) so each test knows who sits where."""
    people = client.get(f"/api/v1/cafes/{cafe['id']}/participants", headers=headers).json()
    ids = {p["display_name"]: p["id"] for p in people}
    tables = {t["number"]: t["id"] for t in cafe["tables"]}
    for name, number in plan.items():
        r = client.post(
            f"/api/v1/cafes/{cafe['id']}/participants/{ids[name]}/move",
            json={"table_id": tables[number]},
            headers=headers,
        )
        assert r.status_code == 200, r.text


def token(p: TestClient, code: str) -> str:
    return csrf_of(p, f"/p/{code}")


def post(
    p: TestClient,
    code: str,
    text: str,
    *,
    client_id: str | None = None,
    htmx: bool = False,
    **fields: str,
) -> httpx.Response:
    data = {
        "csrf_token": token(p, code),
        "client_id": client_id or uuid.uuid4().hex,
        "text": text,
        "kind": "idea",
        **fields,
    }
    return p.post(
        f"/p/{code}/contributions", data=data, headers=HTMX if htmx else {}, follow_redirects=False
    )


def contributions(session: Session) -> list[Contribution]:
    return list(session.exec(select(Contribution).order_by(Contribution.id)))  # type: ignore[arg-type]


def board_of(p: TestClient, code: str) -> str:
    html = p.get(f"/p/{code}").text
    start_at = html.index('id="board"')
    return html[start_at : html.index("</section>", start_at)]


def setup_two_tables(
    client: TestClient, headers: dict[str, str], **overrides: Any
) -> tuple[dict[str, Any], TestClient, TestClient, TestClient]:
    """Ann and Bo at table 1, Cy at table 2, round 1 running."""
    cafe = new_cafe(client, headers, **overrides)
    ann = join(client, cafe["code"], "Ann", role="lived_experience")
    bo = join(client, cafe["code"], "Bo", role="practitioner")
    cy = join(client, cafe["code"], "Cy")
    start(client, headers, cafe)
    seat(client, headers, cafe, {"Ann": 1, "Bo": 1, "Cy": 2})
    return cafe, ann, bo, cy


# --- posting -----------------------------------------------------------------------------


def test_a_post_to_an_unknown_code_is_a_404_that_counts_against_guessing(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """Posted to a code that names no café: a readable 404, nothing stored, and (as on the
    join page) the try counts against the browser's allowance for guessing codes."""
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    data = {"csrf_token": token(ann, cafe["code"]), "text": "Lost?", "kind": "idea"}
    for n in range(10):
        r = ann.post(
            "/p/ZZZZZZ/contributions", data={**data, "client_id": f"lost-{n}"}, headers=HTMX
        )
        assert r.status_code == 404, r.text
        assert "could not find a café" in r.text
    held = ann.post("/p/ZZZZZZ/contributions", data={**data, "client_id": "lost-x"}, headers=HTMX)
    assert held.status_code == 429
    assert contributions(session) == []
    assert post(ann, cafe["code"], "Still here", htmx=True).status_code == 200  # Ann is in
    assert phone(client).get(f"/j/{cafe['code']}").status_code == 200  # a neighbour joins


def test_post_from_a_phone_without_javascript(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    page = ann.get(f"/p/{code}").text
    # The evidence type is pre-selected from the person's role, and can be changed.
    assert '<option value="lived_experience" selected>' in page
    assert "Up to 500 characters" in page
    r = post(ann, code, "A bus pass would help me get out", kind="barrier", evidence_type="")
    assert r.status_code == 303
    row = contributions(session)[0]
    assert r.headers["location"] == f"/p/{code}#c-{row.id}"
    assert (row.kind, row.evidence_type, row.author_role) == (
        "barrier",
        "lived_experience",
        "lived_experience",
    )
    assert row.status == "visible"
    board = board_of(bo, code)
    assert "A bus pass would help me get out" in board
    assert "What gets in the way" in board  # the kind's label
    assert "Lived experience" in board
    assert "Ann" not in board  # names are hidden unless the café shows them


def test_htmx_post_answers_with_the_new_card_for_the_top_of_the_board(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers, names_visible=True)
    first_id = "draft-" + uuid.uuid4().hex
    r = post(ann, cafe["code"], "Ask people what they want", client_id=first_id, htmx=True)
    assert r.status_code == 200
    # Only the new card, put at the top of the board the phone already shows (the phone
    # clears its own form): the answer does not grow with the board.
    assert r.text.startswith('<ul hx-swap-oob="afterbegin:#cards"><li id="c-')
    assert r.text.count('class="contribution') == 1
    assert "Ask people what they want" in r.text
    assert "Ann" in r.text  # this café shows names
    assert "You wrote this" in r.text and "Take back" in r.text  # the author's own controls
    assert 'id="compose"' not in r.text
    assert "Sent: your card is at the top of the board." in r.text  # said to screen readers
    # The next post, after a few on the board, is answered with its own card only.
    for n in range(3):
        post(ann, cafe["code"], f"More {n}", htmx=True)
    last = post(ann, cafe["code"], "The fifth", htmx=True)
    assert last.text.count('class="contribution') == 1 and "The fifth" in last.text
    # The page itself keeps a list for new cards to go into, empty or not.
    page = ann.get(f"/p/{cafe['code']}")
    assert '<ul id="cards" class="cards">' in page.text


def test_a_retry_with_the_same_client_id_makes_no_duplicate(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    client_id = uuid.uuid4().hex
    one = post(ann, cafe["code"], "Transport matters", client_id=client_id, htmx=True)
    two = post(ann, cafe["code"], "Transport matters", client_id=client_id, htmx=True)
    assert one.status_code == two.status_code == 200
    rows = contributions(session)
    assert len(rows) == 1
    assert f'id="c-{rows[0].id}"' in two.text  # the second answer shows the same card
    assert two.text.count('class="contribution') == 1
    # Without JavaScript, the retry lands on the same card as well.
    again = post(ann, cafe["code"], "Transport matters", client_id=client_id)
    assert again.headers["location"].endswith(f"#c-{rows[0].id}")
    # A retry that only gets through after the round ended still finds its post.
    client.post(f"/api/v1/cafes/{cafe['id']}/rounds/current/end", headers=api_headers)
    late = post(ann, cafe["code"], "Transport matters", client_id=client_id)
    assert late.status_code == 303
    assert late.headers["location"].endswith(f"#c-{rows[0].id}")
    assert post(ann, cafe["code"], "A new one").status_code == 409
    assert len(contributions(session)) == 1


def test_a_post_made_while_another_writer_holds_sqlites_lock_waits_and_lands_once(
    database_url: str, settings: Any, tmp_path: Path, session: Session
) -> None:
    """On SQLite a post is written on the event loop when it can. When another connection
    holds the write lock, the post waits for it in a worker thread, the server (one real
    process, one event loop) keeps answering meanwhile, and the post lands once."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    import sqlite3

    public = "http://cafe.tablecloth.test"
    email = make_facilitator(session).email
    server = LiveServer(database_url=database_url, log_dir=tmp_path, base_url=public).start()
    api = FacilitatorApi(server.url, email, PASSWORD)
    holder = sqlite3.connect(
        database_url.split("///", 1)[1], isolation_level=None, check_same_thread=False
    )
    try:
        cafe = api.create_cafe(tables=1, capacity=8)
        cookie = live_join(server.url, cafe["code"], "Writer")
        api.next_round(cafe["id"])
        with (
            httpx.Client(
                base_url=server.url, cookies={SESSION_COOKIE: cookie}, headers={"Origin": public}
            ) as http,
            ThreadPoolExecutor(max_workers=1) as pool,
        ):
            csrf = re.search(
                r'name="csrf_token" value="([^"]+)"', http.get(f"/p/{cafe['code']}").text
            )
            assert csrf
            holder.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction
            began = time.perf_counter()
            answer = pool.submit(
                http.post,
                f"/p/{cafe['code']}/contributions",
                data={"csrf_token": csrf.group(1), "client_id": uuid.uuid4().hex, "text": "Wait"},
                headers={"HX-Request": "true", "X-CSRF-Token": csrf.group(1)},
            )
            time.sleep(0.3)
            # The post is waiting; the same process answers others at once. (Not /healthz:
            # it takes the write lock too, and says "locked" after a second.)
            assert not answer.done()
            with httpx.Client(base_url=server.url) as other:
                assert other.get("/login", timeout=2).status_code == 200
            assert time.perf_counter() - began < 1.5
            time.sleep(1.2)
            holder.execute("COMMIT")
            r = answer.result(timeout=30)
            waited = time.perf_counter() - began
        assert r.status_code == 200, r.text
        assert "Wait" in r.text
        assert waited >= 1.5  # it waited for the lock; it did not fail
        rows = [c.text for c in contributions(session)]
        assert rows == ["Wait"]
    finally:
        holder.close()
        api.close()
        server.stop()


def test_a_post_can_be_put_in_the_cafes_themes(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    # No themes yet: the form has nothing to tick.
    assert 'name="themes"' not in ann.get(f"/p/{code}").text
    ids = {}
    for name in ("Transport", "Being listened to"):
        r = client.post(
            f"/api/v1/cafes/{cafe['id']}/themes", json={"name": name}, headers=api_headers
        )
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    other = new_cafe(client, api_headers)
    foreign = client.post(
        f"/api/v1/cafes/{other['id']}/themes", json={"name": "Elsewhere"}, headers=api_headers
    ).json()["id"]
    page = ann.get(f"/p/{code}").text
    assert "Themes (optional)" in page
    assert f'name="themes" value="{ids["Transport"]}"' in page

    client_id = uuid.uuid4().hex
    data = {
        "csrf_token": token(ann, code),
        "client_id": client_id,
        "text": "Buses every ten minutes",
        "kind": "enabler",
        "themes": [str(ids["Transport"]), str(ids["Being listened to"])],
    }
    r = ann.post(f"/p/{code}/contributions", data=data, headers=HTMX)
    assert r.status_code == 200, r.text
    assert ann.post(f"/p/{code}/contributions", data=data, headers=HTMX).status_code == 200
    (row,) = contributions(session)
    listed = client.get(
        f"/api/v1/cafes/{cafe['id']}/contributions",
        params={"theme": ids["Transport"]},
        headers=api_headers,
    ).json()
    assert [item["id"] for item in listed["items"]] == [row.id]
    assert sorted(t["name"] for t in listed["items"][0]["themes"]) == [
        "Being listened to",
        "Transport",
    ]
    # Tablemates see the themes on the card.
    board = board_of(bo, code)
    assert "Transport" in board and "Being listened to" in board

    # A theme of another café (or one deleted since the form was drawn) is refused whole.
    bad = {**data, "client_id": uuid.uuid4().hex, "text": "Not stored", "themes": [str(foreign)]}
    refused = ann.post(f"/p/{code}/contributions", data=bad, headers=HTMX)
    assert refused.status_code == 422
    assert "no longer there" in refused.text
    assert "Not stored" in refused.text  # the draft comes back to be sent again
    junk = {**bad, "themes": ["not-a-number"]}
    assert ann.post(f"/p/{code}/contributions", data=junk, headers=HTMX).status_code == 422
    assert len(contributions(session)) == 1


def test_concurrent_copies_of_one_post_make_one_row(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    csrf = token(ann, code)
    client_id = uuid.uuid4().hex
    data = {"csrf_token": csrf, "client_id": client_id, "text": "Same post", "kind": "idea"}

    def send(_: int) -> int:
        return ann.post(f"/p/{code}/contributions", data=data, headers=HTMX).status_code

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(send, range(6)))
    assert results == [200] * 6
    assert len(contributions(session)) == 1


def test_bad_input_is_a_readable_422(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"text": "x" * 501}, "keep it to 500 characters"),
        ({"text": "   \n "}, "Write something"),
        ({"text": "fine", "kind": "rant"}, "Choose what kind"),
        ({"text": "fine", "evidence_type": "hearsay"}, "Choose where this comes from"),
        ({"text": "fine", "client_id": "no"}, "no valid id"),
    ]
    for fields, message in cases:
        text = fields.pop("text")
        r = post(ann, code, text, **fields)
        assert r.status_code == 422, (fields, r.text)
        assert message in r.text
        fragment = post(ann, code, text, htmx=True, **fields)
        assert fragment.status_code == 422
        assert message in fragment.text
        assert 'role="alert"' in fragment.text
    # What the person wrote is given back to them, not lost.
    r = post(ann, code, "y" * 501)
    assert "y" * 501 in r.text
    assert contributions(session) == []
    # 500 characters (counted after line endings are made one) are fine.
    assert post(ann, code, "z" * 250 + "\r\n" + "z" * 249).status_code == 303


def test_a_post_as_htmx_sends_it_with_the_token_in_a_header(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """The phone's own request (the form urlencoded, the CSRF token in `X-CSRF-Token`) is
    read on a path of its own: it must store, refuse and explain as the plain form does."""
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    headers = {**HTMX, "X-CSRF-Token": token(ann, code)}

    def send(body: str) -> httpx.Response:
        return ann.post(
            f"/p/{code}/contributions",
            content=body.encode(),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        )

    ok = send(f"client_id={uuid.uuid4().hex}&text=Caf%C3%A9+at+the+library&kind=question")
    assert ok.status_code == 200, ok.text
    assert "Café at the library" in ok.text
    stored = contributions(session)
    assert [(c.text, c.kind) for c in stored] == [("Café at the library", "question")]
    too_long = send(f"client_id={uuid.uuid4().hex}&text={'x' * 2001}")
    assert too_long.status_code == 422
    assert "Please check these fields: text" in too_long.text
    not_a_theme = send(f"client_id={uuid.uuid4().hex}&text=fine&themes=first")
    assert not_a_theme.status_code == 422
    assert "themes" in not_a_theme.text
    flood = send(f"client_id={uuid.uuid4().hex}&text=fine&" + "&".join(["x=1"] * 200))
    assert flood.status_code == 422
    broken = send(f"client_id={uuid.uuid4().hex}&text=%FF%FE+odd+bytes")
    assert broken.status_code == 200  # undecodable bytes become U+FFFD, as browsers show them
    assert len(contributions(session)) == 2
    # Without the header the token is read from the form, as before.
    bare = ann.post(
        f"/p/{code}/contributions",
        data={"csrf_token": "forged", "client_id": uuid.uuid4().hex, "text": "no"},
        headers=HTMX,
    )
    assert bare.status_code == 403
    assert len(contributions(session)) == 2


def test_the_new_card_a_post_hands_on_is_the_row_as_stored(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """The post builds its contribution from what it wrote (no model validated, no read):
    every column must be what the database holds, and it must behave as a loaded row."""
    cafe_json, _, _, _ = setup_two_tables(client, api_headers)
    cafe = session.get(Cafe, cafe_json["id"])
    assert cafe is not None
    ann = session.exec(select(Participant).where(Participant.display_name == "Ann")).one()
    with Session(session.get_bind(), expire_on_commit=False) as write:
        posted = post_contribution(
            session=write,
            cafe=cafe,
            person=ann,
            client_id=uuid.uuid4().hex,
            text="Ask people what a good day looks like",
            kind="question",
            evidence_type=None,
            now=utcnow(),
        )
    assert posted.created
    made = posted.contribution
    stored = session.get(Contribution, made.id)
    assert stored is not None
    for name in Contribution.model_fields:
        assert getattr(made, name) == getattr(stored, name), name
    assert made.model_dump() == stored.model_dump()
    # Changed and added to a session, it updates its row (a loaded row does; a new one would
    # be inserted a second time).
    with Session(session.get_bind()) as edit:
        made.text = "Ask people what a good week looks like"
        edit.add(made)
        edit.commit()
    session.expire_all()
    assert [c.text for c in contributions(session)] == ["Ask people what a good week looks like"]


def test_posting_needs_a_round_and_a_place_in_this_cafe(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe = new_cafe(client, api_headers)
    code = cafe["code"]
    ann = join(client, code, "Ann")
    r = post(ann, code, "Too early")
    assert r.status_code == 409
    assert "first round starts" in r.text
    other = new_cafe(client, api_headers)
    stranger = join(client, other["code"], "Stranger")
    start(client, api_headers, cafe)
    # A phone that joined another café has no place here.
    r = stranger.post(
        f"/p/{code}/contributions",
        data={
            "csrf_token": token(stranger, other["code"]),
            "client_id": uuid.uuid4().hex,
            "text": "Hello",
        },
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "join this café first" in r.text
    # No CSRF token: refused before anything happens.
    r = ann.post(f"/p/{code}/contributions", data={"client_id": uuid.uuid4().hex, "text": "x"})
    assert r.status_code == 403
    client.post(f"/api/v1/cafes/{cafe['id']}/rounds/current/end", headers=api_headers)
    r = post(ann, code, "Too late")
    assert r.status_code == 409
    assert "has finished" in r.text
    assert contributions(session) == []


def test_another_cafes_contributions_are_not_found_through_ones_own_cafe(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """A participant of café B names café A's contribution on every route a phone has, with
    café B's code: each answers 404, and café A's card is unchanged."""
    cafe_a, ann, _, _ = setup_two_tables(client, api_headers)
    post(ann, cafe_a["code"], "Ann's words in café A")
    (theirs,) = contributions(session)
    cafe_b = new_cafe(client, api_headers)
    bea = join(client, cafe_b["code"], "Bea")
    start(client, api_headers, cafe_b)
    code = cafe_b["code"]
    base = f"/p/{code}/contributions/{theirs.id}"
    form = {"csrf_token": token(bea, code), "confirmed": "true"}
    answers = {
        "edit page": bea.get(f"{base}/edit"),
        "edit": bea.post(f"{base}/edit", data={**form, "text": "Taken over", "kind": "idea"}),
        "withdraw": bea.post(f"{base}/withdraw", data=form),
        "react": bea.post(f"{base}/react", data=form),
        "worry": bea.post(f"{base}/concern", data=form),
    }
    assert {what: r.status_code for what, r in answers.items()} == dict.fromkeys(answers, 404)
    session.refresh(theirs)
    assert (theirs.text, theirs.status) == ("Ann's words in café A", "visible")
    assert session.exec(select(Reaction)).all() == []


def test_a_card_written_in_one_round_and_sent_in_the_next_goes_to_its_own_round(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """A post carries the round its page showed. Sent after a rotation (it waited on a phone
    without a connection), it lands on that round's board at the table the person sat at
    then, and the answer says so; a round not yet reached, or none, means the current one."""
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    start(client, api_headers, cafe)  # round 2
    rounds = {
        r["number"]: r["id"]
        for r in client.get(f"/api/v1/cafes/{cafe['id']}", headers=api_headers).json()["rounds"]
    }
    table_1 = cafe["tables"][0]["id"]
    late = post(ann, code, "Written in round one", htmx=True, round="1")
    assert late.status_code == 200
    assert "went to the board of round 1, the round you wrote it in" in late.text
    assert "Written in round one" not in late.text  # round 2's board, drawn again
    plain = post(ann, code, "Written in round two", round="2")
    assert plain.status_code == 303
    ahead = post(ann, code, "From a page ahead of the server", round="7")
    assert ahead.status_code == 303
    placed = {c.text: (c.round_id, c.table_id) for c in contributions(session)}
    assert placed["Written in round one"] == (rounds[1], table_1)
    assert placed["Written in round two"][0] == rounds[2]
    assert placed["From a page ahead of the server"][0] == rounds[2]
    bad = post(ann, code, "Odd round", round="first")
    assert bad.status_code == 422
    assert "Odd round" not in {c.text for c in contributions(session)}


def test_a_syncing_client_sees_votes_and_renamed_themes_after_its_cursor(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    """A record's vote count and theme names are part of what a client syncs: a vote, a
    vote taken back and a theme renamed each bring the card after the client's cursor (they
    left its change time alone, so a client never heard of them)."""
    cafe, ann, bo, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    post(ann, code, "Ramps at the station")
    post(ann, code, "Quiet rooms")
    ramps, quiet = contributions(session)
    url = f"/api/v1/cafes/{cafe['id']}/contributions"

    def since(cursor: str) -> tuple[list[tuple[str, int, list[str]]], str]:
        body = client.get(url, params={"after": cursor}, headers=api_headers).json()
        seen = [
            (i["text"], i["reactions"], [t["name"] for t in i["themes"]]) for i in body["items"]
        ]
        return seen, body["next_cursor"]

    first = client.get(url, headers=api_headers).json()
    assert [i["text"] for i in first["items"]] == ["Ramps at the station", "Quiet rooms"]
    cursor = first["next_cursor"]
    vote = f"/p/{code}/contributions/{ramps.id}/react"
    assert bo.post(vote, data={"csrf_token": token(bo, code)}).status_code in (200, 303)
    seen, cursor = since(cursor)
    assert seen == [("Ramps at the station", 1, [])]
    assert bo.post(vote, data={"csrf_token": token(bo, code)}).status_code in (200, 303)
    seen, cursor = since(cursor)
    assert seen == [("Ramps at the station", 0, [])]
    made = client.post(
        f"/api/v1/cafes/{cafe['id']}/themes",
        json={"name": "Access", "contribution_ids": [ramps.id, quiet.id]},
        headers=api_headers,
    )
    assert made.status_code == 201, made.text
    seen, cursor = since(cursor)
    assert seen == [("Ramps at the station", 0, ["Access"]), ("Quiet rooms", 0, ["Access"])]
    renamed = client.patch(
        f"/api/v1/cafes/{cafe['id']}/themes/{made.json()['id']}",
        json={"name": "Getting about"},
        headers=api_headers,
    )
    assert renamed.status_code == 200, renamed.text
    seen, cursor = since(cursor)
    assert seen == [
        ("Ramps at the station", 0, ["Getting about"]),
        ("Quiet rooms", 0, ["Getting about"]),
    ]
    assert since(cursor) == ([], cursor)
    # A cursor of the kind handed out before change numbers is refused with a way on.
    old = "MjAyNi0xMi0wNFQwNTowMDowMCswMDowMHwx"  # "2026-12-04T05:00:00+00:00|1"
    refused = client.get(url, params={"after": old}, headers=api_headers)
    assert refused.status_code == 422
    assert "start again without it" in refused.json()["detail"]


def test_each_board_shows_only_its_own_table(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe, ann, bo, cy = setup_two_tables(client, api_headers)
    code = cafe["code"]
    assert post(ann, code, "From table one").status_code == 303
    assert post(cy, code, "From table two").status_code == 303
    assert "From table one" in board_of(bo, code)
    assert "From table two" not in board_of(bo, code)
    assert "From table two" in board_of(cy, code)
    assert "From table one" not in board_of(cy, code)
    # The next round opens fresh boards.
    start(client, api_headers, cafe)
    for p in (ann, bo, cy):
        board = board_of(p, code)
        assert "From table one" not in board and "From table two" not in board


def test_host_writes_for_the_table(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, _ = setup_two_tables(client, api_headers, names_visible=True)
    code = cafe["code"]
    refused = post(bo, code, "Summary", for_table="true")
    assert refused.status_code == 403
    people = client.get(f"/api/v1/cafes/{cafe['id']}/participants", headers=api_headers).json()
    bo_id = next(p["id"] for p in people if p["display_name"] == "Bo")
    client.post(
        f"/api/v1/cafes/{cafe['id']}/participants/{bo_id}/host",
        json={"table_id": cafe["tables"][0]["id"]},
        headers=api_headers,
    )
    assert "Write this for the whole table" in bo.get(f"/p/{code}").text
    assert post(bo, code, "Our table agreed on three things", for_table="true").status_code == 303
    assert contributions(session)[0].for_table is True
    board = board_of(ann, code)
    assert "For the whole table" in board
    # Nowhere by name: "Bo" as a word, not inside a random token (a form's client id).
    assert not re.search(r"(?<![A-Za-z0-9_-])Bo(?![A-Za-z0-9_-])", board)


# --- editing and withdrawing -------------------------------------------------------------


def test_edit_and_withdraw_own_contributions_only_during_the_round(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    post(ann, code, "First words")
    post(ann, code, "Second thought")
    first, second = contributions(session)
    assert f'href="/p/{code}/contributions/{first.id}/edit"' in board_of(ann, code)
    assert "/edit" not in board_of(bo, code)  # no change links on other people's cards
    edit_page = ann.get(f"/p/{code}/contributions/{first.id}/edit")
    assert edit_page.status_code == 200
    assert "First words" in edit_page.text
    r = ann.post(
        f"/p/{code}/contributions/{first.id}/edit",
        data={
            "csrf_token": token(ann, code),
            "text": "Better words",
            "kind": "action",
            "evidence_type": "practice",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    session.refresh(first)
    assert (first.text, first.kind, first.evidence_type) == ("Better words", "action", "practice")
    bad = ann.post(
        f"/p/{code}/contributions/{first.id}/edit",
        data={"csrf_token": token(ann, code), "text": "", "kind": "idea", "evidence_type": "other"},
    )
    assert bad.status_code == 422
    assert "Write something" in bad.text
    # Someone else cannot change or take back Ann's words.
    for path, data in (
        ("edit", {"text": "Hijacked", "kind": "idea", "evidence_type": "other"}),
        ("withdraw", {}),
    ):
        r = bo.post(
            f"/p/{code}/contributions/{first.id}/{path}",
            data={"csrf_token": token(bo, code), **data},
        )
        assert r.status_code == 403
    assert bo.get(f"/p/{code}/contributions/{first.id}/edit").status_code == 403
    r = ann.post(
        f"/p/{code}/contributions/{second.id}/withdraw",
        data={"csrf_token": token(ann, code)},
        headers=HTMX,
    )
    assert r.status_code == 200
    assert "Second thought" not in r.text
    assert "Second thought" not in board_of(bo, code)
    session.refresh(second)
    assert second.status == "withdrawn"
    # Once the round is over, what was said stands.
    client.post(f"/api/v1/cafes/{cafe['id']}/rounds/current/end", headers=api_headers)
    r = ann.post(
        f"/p/{code}/contributions/{first.id}/edit",
        data={
            "csrf_token": token(ann, code),
            "text": "Late",
            "kind": "idea",
            "evidence_type": "other",
        },
    )
    assert r.status_code == 409
    assert "round this was written in has finished" in r.text
    assert "/edit" not in board_of(ann, code)


# --- reactions ---------------------------------------------------------------------------


def react(p: TestClient, code: str, cid: int, on: str = "") -> httpx.Response:
    return p.post(
        f"/p/{code}/contributions/{cid}/react",
        data={"csrf_token": token(p, code), "on": on},
        headers=HTMX,
    )


def test_reactions_are_capped_by_the_budget(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, cy = setup_two_tables(client, api_headers, reaction_budget=2)
    code = cafe["code"]
    for n in range(3):
        post(ann, code, f"Card {n}")
    ids = [c.id for c in contributions(session)]
    assert "You have 2 of 2 votes left" in board_of(bo, code)
    assert react(bo, code, ids[0], "true").status_code == 200
    again = react(bo, code, ids[0], "true")  # a repeated tap changes nothing
    assert again.status_code == 200
    assert react(bo, code, ids[1]).status_code == 200
    full = react(bo, code, ids[2])
    assert full.status_code == 409
    assert "used all 2 of your votes" in full.text
    assert 'id="board"' in full.text  # the board comes back with the message in it
    assert len(session.exec(select(Reaction)).all()) == 2
    assert "You have 0 of 2 votes left" in board_of(bo, code)
    # Taking a vote back frees it.
    off = react(bo, code, ids[0], "false")
    assert off.status_code == 200
    assert 'aria-pressed="false"' in off.text
    assert react(bo, code, ids[2]).status_code == 200
    assert react(ann, code, ids[0]).status_code == 409  # not for one's own words
    assert react(cy, code, ids[0]).status_code == 403  # another table's board
    board = board_of(ann, code)
    assert board.count("1 agree") == 2


# --- moderation ----------------------------------------------------------------------------


def test_hide_and_restore_through_the_api(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, _ = setup_two_tables(client, api_headers)
    code = cafe["code"]
    post(ann, code, "Something unkind")
    cid = contributions(session)[0].id
    base = f"/api/v1/cafes/{cafe['id']}/contributions/{cid}"
    r = client.post(f"{base}/hide", json={"note": "Names a member of staff"}, headers=api_headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "hidden"
    assert r.json()["moderation_note"] == "Names a member of staff"
    assert "Something unkind" not in board_of(bo, code)
    assert "Something unkind" not in board_of(ann, code)
    r = client.post(f"{base}/restore", headers=api_headers)
    assert r.json()["status"] == "visible"
    assert "Something unkind" in board_of(bo, code)
    assert client.post(f"{base}/approve", headers=api_headers).status_code == 200  # no-op
    assert client.post(f"{base}/hide").status_code == 401
    missing = client.post(
        f"/api/v1/cafes/{cafe['id']}/contributions/999999/hide", headers=api_headers
    )
    assert missing.status_code == 404
    assert missing.json() == {"detail": "There is no such contribution in this café."}


def test_premoderation_holds_posts_until_approved(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, _ = setup_two_tables(client, api_headers, premoderation=True)
    code = cafe["code"]
    post(ann, code, "Please check me")
    row = contributions(session)[0]
    assert row.status == "pending"
    assert "Waiting for the facilitator" in board_of(ann, code)  # the author sees it waiting
    assert "Please check me" not in board_of(bo, code)
    r = client.post(
        f"/api/v1/cafes/{cafe['id']}/contributions/{row.id}/approve", headers=api_headers
    )
    assert r.json()["status"] == "visible"
    assert "Please check me" in board_of(bo, code)
    # Changing approved words sends them back for approval.
    ann.post(
        f"/p/{code}/contributions/{row.id}/edit",
        data={
            "csrf_token": token(ann, code),
            "text": "New words",
            "kind": "idea",
            "evidence_type": "other",
        },
    )
    session.refresh(row)
    assert row.status == "pending"


def test_console_moderation_and_safeguarding_alert(
    logged_in: TestClient, session: Session, facilitator: Any
) -> None:
    made = make_cafe(session, facilitator, table_count=1, table_capacity=6, premoderation=True)
    code = made.code
    ann = join(logged_in, code, "Ann")
    bo = join(logged_in, code, "Bo")
    csrf = csrf_of(logged_in, f"/cafes/{made.id}/console")
    logged_in.post(f"/cafes/{made.id}/console/next", data={"csrf_token": csrf, "from_round": 0})
    console = logged_in.get(f"/cafes/{made.id}/console").text
    assert "Boards and moderation" in console
    assert "Waiting for approval" in console
    post(ann, code, "Hold on to this one")
    row = contributions(session)[0]
    console = logged_in.get(f"/cafes/{made.id}/console").text
    assert "Hold on to this one" in console
    r = logged_in.post(
        f"/cafes/{made.id}/moderate/{row.id}/approve", data={"csrf_token": csrf}, headers=HTMX
    )
    assert r.status_code == 200
    assert r.text.startswith('<section id="moderation"')
    session.refresh(row)
    assert row.status == "visible"
    assert "Hold on to this one" in board_of(bo, code)
    # Bo is worried about it: it leaves the board at once and the console shows an alert.
    worried = bo.post(
        f"/p/{code}/contributions/{row.id}/concern",
        data={"csrf_token": token(bo, code)},
        headers=HTMX,
    )
    assert worried.status_code == 200
    assert "Hold on to this one" not in worried.text
    said = worried.text[worried.text.index('<div id="phone-notice" hx-swap-oob="innerHTML">') :]
    assert "Thank you for telling us." in said
    session.refresh(row)
    assert (row.status, row.safeguarding) == ("hidden", True)
    assert "Hold on to this one" not in board_of(ann, code)
    console = logged_in.get(f"/cafes/{made.id}/console").text
    alert = console[console.index('class="alert safeguarding" role="alert"') :]
    alert = alert[: alert.index("</div>")]
    assert "Hold on to this one" in alert
    # Names are kept from the room in this café, so the (often projected) console does not
    # show who wrote a card; a safeguarding alert says who behind a tap.
    assert "<summary>Who wrote it</summary><p>Ann</p>" in alert
    moderation = console[console.index('<section id="moderation"') : console.index("<h2>Tables")]
    assert "Ann" not in moderation.replace("<summary>Who wrote it</summary><p>Ann</p>", "")
    r = logged_in.post(
        f"/cafes/{made.id}/moderate/{row.id}/resolve", data={"csrf_token": csrf}, headers=HTMX
    )
    assert r.status_code == 200
    assert 'role="alert"' not in r.text
    session.refresh(row)
    assert row.status == "hidden"
    assert row.safeguarding_resolved_at is not None
    # Without JavaScript the console buttons post and come back to the console.
    r = logged_in.post(
        f"/cafes/{made.id}/moderate/{row.id}/restore",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/cafes/{made.id}/console#moderation"
    assert "Hold on to this one" in board_of(ann, code)
    # Bad actions and other people's cafés are refused readably.
    r = logged_in.post(
        f"/cafes/{made.id}/moderate/{row.id}/explode", data={"csrf_token": csrf}, headers=HTMX
    )
    assert r.status_code == 404
    assert "no such moderation action" in r.text


def test_a_cafe_that_shows_names_shows_authors_on_the_console(
    logged_in: TestClient, session: Session, facilitator: Any
) -> None:
    made = make_cafe(session, facilitator, table_count=1, table_capacity=6, names_visible=True)
    ann = join(logged_in, made.code, "Ann")
    csrf = csrf_of(logged_in, f"/cafes/{made.id}/console")
    logged_in.post(f"/cafes/{made.id}/console/next", data={"csrf_token": csrf, "from_round": 0})
    post(ann, made.code, "Signed, Ann")
    console = logged_in.get(f"/cafes/{made.id}/console").text
    moderation = console[console.index('<section id="moderation"') : console.index("<h2>Tables")]
    assert re.search(r"Idea · [^<]* · Ann", moderation)


def test_a_worry_can_only_be_raised_at_ones_own_table(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, cy = setup_two_tables(client, api_headers)
    code = cafe["code"]
    post(ann, code, "Something at table one")
    cid = contributions(session)[0].id
    far = cy.post(f"/p/{code}/contributions/{cid}/concern", data={"csrf_token": token(cy, code)})
    assert far.status_code == 403
    # Without scripts (no browser dialog), the phone is asked first: nothing is hidden yet.
    asked = bo.post(f"/p/{code}/contributions/{cid}/concern", data={"csrf_token": token(bo, code)})
    assert asked.status_code == 200
    assert "Tell the facilitator you are worried about this?" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text
    assert "Something at table one" in board_of(bo, code)
    near = bo.post(
        f"/p/{code}/contributions/{cid}/concern",
        data={"csrf_token": token(bo, code), "confirmed": "yes"},
        follow_redirects=False,
    )
    # The phone is told what happened, on its page, rather than the card just vanishing.
    assert near.status_code == 200
    said = near.text[near.text.index('<div id="phone-notice" role="status">') :]
    assert "Thank you for telling us." in said
    assert "Something at table one" not in near.text
    twice = bo.post(
        f"/p/{code}/contributions/{cid}/concern",
        data={"csrf_token": token(bo, code), "confirmed": "yes"},
        follow_redirects=False,
    )
    assert twice.status_code == 200  # already raised: nothing more happens
    assert "Something at table one" not in board_of(bo, code)


# --- live ----------------------------------------------------------------------------------


def test_a_post_reaches_the_other_phones_at_the_table_and_no_others(
    client: TestClient, api_headers: dict[str, str], session: Session
) -> None:
    cafe, ann, bo, cy = setup_two_tables(client, api_headers)
    code = cafe["code"]
    with (
        bo.websocket_connect(f"/ws/p/{cafe['id']}", headers=ORIGIN) as bo_ws,
        cy.websocket_connect(f"/ws/p/{cafe['id']}", headers=ORIGIN) as cy_ws,
    ):
        assert 'id="board"' in bo_ws.receive_text()  # the first push brings the board
        assert 'id="board"' in cy_ws.receive_text()
        assert post(ann, code, "Live from table one", htmx=True).status_code == 200
        pushed = bo_ws.receive_text()
        # The new card alone, for the top of Bo's board: not the whole board again.
        assert pushed.startswith('<ul hx-swap-oob="afterbegin:#cards"><li id="c-')
        assert 'id="board"' not in pushed
        assert "Live from table one" in pushed
        assert "You wrote this" not in pushed and "Take back" not in pushed  # Ann's, not Bo's
        assert 'id="board-news" hx-swap-oob="innerHTML"' in pushed
        assert 'id="compose"' not in pushed  # Bo's half-written draft is left alone
        # Its forms (agree, worried) carry Bo's own CSRF token, not a placeholder.
        bo_csrf = re.search(r'name="csrf_token" value="([^"]+)"', bo.get(f"/p/{code}").text)
        assert bo_csrf
        tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', pushed))
        assert tokens == {bo_csrf.group(1)}
        # Cy's next push is the one for Cy's own table: table one's card never reached it.
        assert post(cy, code, "Meanwhile at table two", htmx=True).status_code == 200
        other = cy_ws.receive_text()
        assert "Meanwhile at table two" in other
        assert "Live from table one" not in other
        # Hiding takes the card off the phones at once.
        cid = contributions(session)[0].id
        client.post(f"/api/v1/cafes/{cafe['id']}/contributions/{cid}/hide", headers=api_headers)
        hidden = bo_ws.receive_text()
        assert 'id="board"' in hidden
        assert "Live from table one" not in hidden


def test_a_phone_that_goes_away_leaves_no_subscription_behind(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """Closing the socket ends the phone's feed at once, even with no event to wake it."""
    cafe, ann, _, _ = setup_two_tables(client, api_headers)
    hub = client.app.state.hub  # type: ignore[attr-defined]
    channel = f"cafe:{cafe['id']}"
    before = hub.local_subscribers(channel)
    with ann.websocket_connect(f"/ws/p/{cafe['id']}", headers=ORIGIN) as ws:
        assert 'id="board"' in ws.receive_text()
        assert hub.local_subscribers(channel) == before + 1
    for _ in range(100):
        if hub.local_subscribers(channel) == before:
            break
        time.sleep(0.02)
    assert hub.local_subscribers(channel) == before


def test_a_rotation_pushes_the_new_board_and_a_fresh_form(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe = new_cafe(client, api_headers)
    ann = join(client, cafe["code"], "Ann")
    page = ann.get(f"/p/{cafe['code']}").text
    key = re.search(r'hx-ws:connect="/ws/p/\d+\?k=([^"]+)"', page)
    assert key
    with ann.websocket_connect(f"/ws/p/{cafe['id']}?k={key.group(1)}", headers=ORIGIN) as ws:
        first = ws.receive_text()
        assert 'id="compose"' not in first  # the page already has the right form
        start(client, api_headers, cafe)
        pushed = ws.receive_text()
        assert 'id="now"' in pushed
        assert 'id="board"' in pushed
        # The table first; the form, twice the size, in a message of its own after it.
        assert 'id="compose"' not in pushed
        pushed = ws.receive_text()
        assert 'id="compose"' in pushed and 'name="client_id"' in pushed
        # The pushed form is this phone's own: its CSRF token, a fresh draft id of its own.
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf and f'name="csrf_token" value="{csrf.group(1)}"' in pushed
        draft_id = re.search(r'name="client_id" value="([^"]+)"', pushed)
        assert draft_id and len(draft_id.group(1)) >= 16 and "slot" not in draft_id.group(1)
        assert post(ann, cafe["code"], "On the first board", htmx=True).status_code == 200
        assert "On the first board" in ws.receive_text()  # her own card, on her socket too
        # From one open board to the next the form stays as it is, with any draft in it.
        start(client, api_headers, cafe)
        rotated = ws.receive_text()
        assert "Round 2" in rotated
        assert 'id="compose"' not in rotated
        # The new round's board is another board: its being empty is not news of a card
        # leaving (screen readers would announce it).
        assert "On the first board" not in rotated
        assert "card left" not in rotated and "New on your table" not in rotated
        client.post(f"/api/v1/cafes/{cafe['id']}/close", headers=api_headers)
        closed = ws.receive_text()
        assert "closed" in closed and 'id="compose"' not in closed
        closed = ws.receive_text()
        assert 'id="compose"' in closed and "The café has closed" in closed


def test_the_console_shows_the_newest_cards_of_each_table(
    logged_in: TestClient, session: Session, facilitator: Any
) -> None:
    from app.services.cafe import rounds as round_service
    from tests.factories import make_contribution

    made = make_cafe(session, facilitator, table_count=2)
    round_service.start_next_round(session=session, cafe=made, now=utcnow())
    for n in range(14):
        make_contribution(session, made, f"Card number {n:02d}", table=1)
    make_contribution(session, made, "Taken back", table=2, status="withdrawn")
    make_contribution(session, made, "Only card at table two", table=2)
    console = logged_in.get(f"/cafes/{made.id}/console").text
    moderation = console[console.index('id="moderation"') :]
    assert "The newest 12 of 14 are shown" in moderation
    assert "Card number 13" in moderation and "Card number 02" in moderation
    assert "Card number 01" not in moderation
    assert "Only card at table two" in moderation
    assert "Taken back" not in moderation


@pytest.mark.redis
@pytest.mark.asyncio
async def test_a_post_through_one_process_reaches_a_tablemate_on_another(
    database_url: str, settings: Any, tmp_path: Path, session: Session
) -> None:
    """Two app processes share a Redis hub: the card reaches a phone whose socket is on the
    other process, and only once."""
    public = "http://cafe.tablecloth.test"
    email = make_facilitator(session).email
    servers = [
        LiveServer(
            database_url=database_url,
            log_dir=tmp_path,
            broadcast_url="redis://127.0.0.1:6379/0",
            base_url=public,
        ).start()
        for _ in range(2)
    ]
    a, b = servers
    api = FacilitatorApi(a.url, email, PASSWORD)
    phones: list[Phone] = []
    try:
        cafe = api.create_cafe(tables=1, capacity=8)
        writer = Phone("Writer", live_join(b.url, cafe["code"], "Writer"))
        reader = Phone("Reader", live_join(a.url, cafe["code"], "Reader"))
        phones = [reader]
        await reader.connect(a.url, cafe["id"], public)
        api.next_round(cafe["id"])
        while 'id="compose"' not in await reader.receive(timeout=5):
            pass  # the table and board first, the form last
        with httpx.Client(
            base_url=b.url, cookies={SESSION_COOKIE: writer.cookie}, headers={"Origin": public}
        ) as http:
            csrf = re.search(
                r'name="csrf_token" value="([^"]+)"', http.get(f"/p/{cafe['code']}").text
            )
            assert csrf
            r = http.post(
                f"/p/{cafe['code']}/contributions",
                data={"csrf_token": csrf.group(1), "client_id": uuid.uuid4().hex, "text": "Across"},
            )
            assert r.status_code == 303, r.text
        html = await reader.receive(timeout=5)
        assert "Across" in html
        # The card alone, read by the reader's process from the database (it did not write it).
        assert html.startswith('<ul hx-swap-oob="afterbegin:#cards">')
        with pytest.raises(TimeoutError):
            await reader.receive(timeout=0.5)  # one push for one post
    finally:
        for phone in phones:
            await phone.close()
        api.close()
        for server in servers:
            server.stop()


@pytest.mark.asyncio
async def test_the_page_that_posts_is_not_sent_its_own_card_again(
    database_url: str, settings: Any, tmp_path: Path, session: Session
) -> None:
    """A post names its page: that page's socket is not sent the card its answer already
    showed. Another page of the same person (a second tab) and the tablemates are."""
    email = make_facilitator(session).email
    server = LiveServer(database_url=database_url, log_dir=tmp_path).start()
    api = FacilitatorApi(server.url, email, PASSWORD)
    sockets: list[Phone] = []
    try:
        cafe = api.create_cafe(tables=1, capacity=8)
        ann_cookie = live_join(server.url, cafe["code"], "Ann")
        bo = Phone("Bo", live_join(server.url, cafe["code"], "Bo"))
        with httpx.Client(base_url=server.url, cookies={SESSION_COOKIE: ann_cookie}) as http:
            page = http.get(f"/p/{cafe['code']}").text
            page_id = re.search(r'data-page="([^"]+)"', page)
            assert page_id, "the participant page names itself"
            assert f"page={page_id.group(1)}" in page  # and its socket says the same
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert csrf
            this_tab = Phone("Ann", ann_cookie)
            other_tab = Phone("Ann", ann_cookie)
            sockets = [this_tab, other_tab, bo]
            await this_tab.connect(server.url, cafe["id"], server.url, query=f"page={page_id[1]}")
            await other_tab.connect(server.url, cafe["id"], server.url, query="page=another")
            await bo.connect(server.url, cafe["id"], server.url)
            api.next_round(cafe["id"])
            for phone in sockets:
                while 'id="compose"' not in await phone.receive(timeout=5):
                    pass  # the table and board first, the form last

            def post(text: str, page: str | None) -> None:
                r = http.post(
                    f"/p/{cafe['code']}/contributions",
                    data={
                        "client_id": uuid.uuid4().hex,
                        "text": text,
                        **({"page": page} if page is not None else {}),
                    },
                    headers={"HX-Request": "true", "X-CSRF-Token": csrf[1], "Origin": server.url},
                )
                assert r.status_code == 200, r.text
                assert text in r.text  # the answer is the card, for the page to show

            post("From this tab", page_id[1])
            assert "From this tab" in await other_tab.receive(timeout=5)
            assert "From this tab" in await bo.receive(timeout=5)
            with pytest.raises(TimeoutError):
                await this_tab.receive(timeout=0.5)
            # A post that names no page (an older page, a script-less form) reaches every
            # socket, as before.
            post("From nowhere in particular", None)
            for phone in sockets:
                assert "From nowhere in particular" in await phone.receive(timeout=5)
    finally:
        for phone in sockets:
            await phone.close()
        api.close()
        server.stop()


def test_a_big_cafes_console_shows_fewer_cards_per_table() -> None:
    """Twelve newest cards per table up to 50 tables; then fewer, never under three, so the
    console of 125 tables shows about 500 cards, not 1,500 (the harvest has them all)."""
    assert [board_preview(n) for n in (1, 3, 50, 60, 125, 1000)] == [12, 12, 12, 10, 4, 3]


def test_a_new_rounds_boards_known_without_reading_are_the_boards_read(
    session: Session, facilitator: Any
) -> None:
    """A rotation leaves the new round's (empty) boards for the phones instead of their
    reading them: they must be what reading them gives, themes included (the round before
    had a card; it stays on that round's board, not this one's)."""
    from app.services.board.cards import new_round_cards, round_cards
    from app.services.cafe import rounds as round_service
    from app.services.evidence import themes as theme_service
    from tests.factories import make_contribution, make_participant

    made = make_cafe(session, facilitator, table_count=2)
    for n in range(4):
        make_participant(session, made, f"Person {n}")
    round_service.start_next_round(session=session, cafe=made, now=utcnow())
    make_contribution(session, made, "Said in round one", table=1, round=1)
    theme_service.create_theme(session=session, cafe=made, name="Transport", now=utcnow())
    started = round_service.rotate(session=session, cafe=made, now=utcnow())
    tables = started.state.table_rows
    known = new_round_cards(session=session, cafe=made, rnd=started.round, tables=tables)
    read = round_cards(session=session, cafe=made, rnd=started.round, tables=tables)
    assert known.keys() == read.keys() and len(known) == 2
    for table_id, cards in known.items():
        other = read[table_id]
        assert (cards.round, cards.table, cards.open, cards.budget) == (
            other.round,
            other.table,
            other.open,
            other.budget,
        )
        assert cards.contributions == other.contributions == []
        assert cards.votes == other.votes == {}
        assert [t.name for t in cards.themes] == [t.name for t in other.themes] == ["Transport"]
