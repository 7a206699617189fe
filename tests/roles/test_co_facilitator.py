"""What a co-facilitator may and may not do with a café, through the API (write and read
tokens) and the pages; a stranger and a removed co-facilitator reach nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.websockets import WebSocketDisconnect

from app.models.accounts import Facilitator
from app.models.cafe import Cafe
from app.models.evidence import Contribution, Media
from tests.board.test_board import join, post
from tests.board.test_media import upload
from tests.conftest import BASE_URL
from tests.factories import make_contribution, make_facilitator, make_participant
from tests.privacy.scene import photo
from tests.roles.scene import (
    Headers,
    a_cafe,
    accept,
    api_token,
    bearer,
    browser_of,
    csrf,
    invite_co_facilitator,
)

NOT_YOURS = 404


def _with_helper(
    client: TestClient, session: Session, owner: Facilitator
) -> tuple[Cafe, Facilitator, Headers]:
    cafe = a_cafe(session, owner)
    helper = make_facilitator(session)
    helper_h = bearer(client, helper)
    accept(
        client,
        helper_h,
        invite_co_facilitator(client, bearer(client, owner), cafe.id, helper.email),
    )
    return cafe, helper, helper_h


def test_a_co_facilitator_runs_the_room_and_moderates_through_the_api(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe, _, helper = _with_helper(client, session, facilitator)
    base = f"/api/v1/cafes/{cafe.id}"
    assert client.get(base, headers=helper).json()["title"] == cafe.title
    r = client.post(f"{base}/rounds/next", headers=helper)
    assert r.status_code == 200 and r.json()["current_round"] == 1
    person = make_participant(session, cafe, "Ann")
    card = make_contribution(session, cafe, participant=person)
    for path in ("seating", "participants", "contributions", "themes", "notes?format=json"):
        assert client.get(f"{base}/{path}", headers=helper).status_code == 200, path
    r = client.post(
        f"{base}/contributions/{card.id}/hide", headers=helper, json={"note": "off topic"}
    )
    assert r.status_code == 200 and r.json()["status"] == "hidden"
    r = client.post(f"{base}/contributions/{card.id}/restore", headers=helper)
    assert r.status_code == 200 and r.json()["status"] == "visible"
    assert (
        client.post(
            f"{base}/rounds/current/extend", headers=helper, json={"minutes": 2}
        ).status_code
        == 200
    )
    assert client.post(f"{base}/pause", headers=helper).status_code == 200
    assert client.post(f"{base}/resume", headers=helper).status_code == 200
    assert client.post(f"{base}/rounds/current/end", headers=helper).status_code == 200
    r = client.post(f"{base}/close", headers=helper)
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_a_co_facilitator_cannot_erase_change_settings_or_read_personal_data(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe, _, helper = _with_helper(client, session, facilitator)
    person = make_participant(session, cafe, "Ann")
    base = f"/api/v1/cafes/{cafe.id}"
    refused = [
        ("PATCH", base, {"title": "Mine now"}),
        ("DELETE", base, None),
        ("POST", f"{base}/participants/{person.id}/erase", None),
        ("POST", f"{base}/participants/{person.id}/consent", {"evidence_consent": False}),
        ("GET", f"{base}/participants/{person.id}/data", None),
        ("GET", f"{base}/keep-for", None),
        ("PUT", f"{base}/keep-for", {"keep_days": 30}),
        ("POST", f"{base}/themes", {"name": "Transport"}),
        ("GET", f"{base}/co-facilitators", None),
        ("POST", f"{base}/co-facilitators", {"email": "x@example.org"}),
    ]
    for method, path, body in refused:
        r = client.request(method, path, headers=helper, json=body)
        assert r.status_code == NOT_YOURS, (method, path, r.text)
        assert r.json()["detail"] == "No such café."
    # Nothing changed, nobody erased.
    owner = bearer(client, facilitator)
    assert client.get(base, headers=owner).json()["title"] == cafe.title
    assert client.get(f"{base}/participants/{person.id}/data", headers=owner).status_code == 200


def test_a_read_token_of_a_co_facilitator_reads_but_does_not_run(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe, _, helper = _with_helper(client, session, facilitator)
    read = api_token(client, helper, "read")
    write = api_token(client, helper, "write")
    base = f"/api/v1/cafes/{cafe.id}"
    assert client.get(f"{base}/participants", headers=read).status_code == 200
    assert client.post(f"{base}/rounds/next", headers=read).status_code == 403
    assert client.post(f"{base}/rounds/next", headers=write).status_code == 200


def test_strangers_and_removed_co_facilitators_reach_nothing(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe, _, helper = _with_helper(client, session, facilitator)
    other_cafe = a_cafe(session, facilitator, title="Another café of the owner")
    stranger = bearer(client, make_facilitator(session))
    # The owner's other cafés stay out of reach of the co-facilitator.
    assert client.get(f"/api/v1/cafes/{other_cafe.id}", headers=helper).status_code == NOT_YOURS
    # The list of "your cafés" holds the ones they own; the ones they help run are in /roles.
    assert client.get("/api/v1/cafes", headers=helper).json() == []
    assert [r["cafe_id"] for r in client.get("/api/v1/roles", headers=helper).json()] == [cafe.id]
    for who in (stranger,):
        assert client.get(f"/api/v1/cafes/{cafe.id}", headers=who).status_code == NOT_YOURS
        assert (
            client.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=who).status_code
            == NOT_YOURS
        )
    owner = bearer(client, facilitator)
    grant_id = client.get(f"/api/v1/cafes/{cafe.id}/co-facilitators", headers=owner).json()[
        "helpers"
    ][0]["id"]
    client.delete(f"/api/v1/cafes/{cafe.id}/co-facilitators/{grant_id}", headers=owner)
    assert (
        client.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=helper).status_code == NOT_YOURS
    )
    assert client.get("/api/v1/roles", headers=helper).json() == []


def test_a_co_facilitator_uses_the_console_but_not_the_owners_pages(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe, helper, _ = _with_helper(client, session, facilitator)
    client.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=bearer(client, facilitator))
    person = make_participant(session, cafe, "Ann")
    card = make_contribution(session, cafe, participant=person)
    with browser_of(client, helper) as theirs:
        dashboard = theirs.get("/dashboard").text
        assert "Cafés you help run" in dashboard and f"/cafes/{cafe.id}/console" in dashboard
        console = theirs.get(f"/cafes/{cafe.id}/console")
        assert console.status_code == 200
        assert f"/cafes/{cafe.id}/settings" not in console.text
        assert f"/cafes/{cafe.id}/harvest" not in console.text
        assert f"/people/{person.id}/erase" not in console.text
        for path in ("projector", "qr.svg", "notes/print", "notes/download"):
            assert theirs.get(f"/cafes/{cafe.id}/{path}").status_code == 200, path
        token = csrf(theirs, f"/cafes/{cafe.id}/console")
        r = theirs.post(
            f"/cafes/{cafe.id}/console/next", data={"csrf_token": token}, follow_redirects=False
        )
        assert r.status_code == 303
        r = theirs.post(
            f"/cafes/{cafe.id}/moderate/{card.id}/hide",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        for path in (
            "settings",
            "erase",
            "privacy",
            "harvest",
            "heard",
            f"people/{person.id}/data",
            f"people/{person.id}/erase",
        ):
            r = theirs.get(f"/cafes/{cafe.id}/{path}")
            assert r.status_code == NOT_YOURS, path
        for path in ("erase", f"people/{person.id}/erase", "settings", "co-facilitators"):
            r = theirs.post(
                f"/cafes/{cafe.id}/{path}", data={"csrf_token": token, "confirm": "true"}
            )
            assert r.status_code == NOT_YOURS, path
    with browser_of(client, facilitator) as owners:
        # The owner's console has what the co-facilitator's lacks.
        owners_console = owners.get(f"/cafes/{cafe.id}/console").text
        assert (
            f"/people/{person.id}/erase" in owners_console
            and f"/cafes/{cafe.id}/settings" in owners_console
        )
    owner = bearer(client, facilitator)
    state = client.get(f"/api/v1/cafes/{cafe.id}", headers=owner).json()
    assert state["current_round"] == 2
    cards = client.get(f"/api/v1/cafes/{cafe.id}/contributions", headers=owner).json()["items"]
    assert [c["status"] for c in cards] == ["hidden"]
    assert (
        client.get(
            f"/api/v1/cafes/{cafe.id}/participants/{person.id}/data", headers=owner
        ).status_code
        == 200
    )


def test_the_console_and_projector_sockets_admit_co_facilitators_only(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe, helper, _ = _with_helper(client, session, facilitator)
    stranger = make_facilitator(session)
    origin = {"origin": BASE_URL}
    with browser_of(client, helper) as theirs:
        for path in (f"/ws/console/{cafe.id}", f"/ws/projector/{cafe.id}"):
            with theirs.websocket_connect(path, headers=origin) as ws:
                first = ws.receive_text()
                assert cafe.code in first
        # The live redraw of the console keeps the owner's links away from them too.
        with theirs.websocket_connect(f"/ws/console/{cafe.id}", headers=origin) as ws:
            assert f"/cafes/{cafe.id}/settings" not in ws.receive_text()
    with browser_of(client, stranger) as theirs:
        for path in (f"/ws/console/{cafe.id}", f"/ws/projector/{cafe.id}"):
            with pytest.raises(WebSocketDisconnect) as refused:  # noqa: SIM117
                with theirs.websocket_connect(path, headers=origin) as ws:
                    ws.receive_text()
            assert refused.value.code == 1008


def test_a_co_facilitator_sees_the_photo_of_a_hidden_card_a_stranger_does_not(
    client: TestClient, session: Session, facilitator: Facilitator
) -> None:
    cafe, helper_account, helper = _with_helper(client, session, facilitator)
    assert client.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=helper).status_code == 200
    ann = join(client, cafe.code, "Ann")
    assert post(ann, cafe.code, "Our paper tablecloth").status_code == 303
    card = session.exec(select(Contribution)).one()
    assert upload(ann, cafe.code, card.id, photo(), "p.png", "image/png").status_code == 303
    media = session.exec(select(Media)).one()
    client.post(f"/api/v1/cafes/{cafe.id}/contributions/{card.id}/hide", headers=helper)
    stranger = make_facilitator(session)
    with browser_of(client, helper_account) as theirs:
        r = theirs.get(f"/media/{media.id}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    with browser_of(client, stranger) as theirs:
        assert theirs.get(f"/media/{media.id}").status_code == NOT_YOURS


@pytest.mark.parametrize("view", ["console", "projector"])
def test_an_open_console_socket_closes_when_the_co_facilitator_is_removed(
    client: TestClient, session: Session, facilitator: Facilitator, view: str
) -> None:
    cafe, helper, _ = _with_helper(client, session, facilitator)
    owner = bearer(client, facilitator)
    with (
        browser_of(client, helper) as theirs,
        theirs.websocket_connect(f"/ws/{view}/{cafe.id}", headers={"origin": BASE_URL}) as ws,
    ):
        assert ws.receive_text()
        assert client.post(f"/api/v1/cafes/{cafe.id}/rounds/next", headers=owner).is_success
        assert "Round 1" in ws.receive_text()
        grant_id = client.get(f"/api/v1/cafes/{cafe.id}/co-facilitators", headers=owner).json()[
            "helpers"
        ][0]["id"]
        client.delete(f"/api/v1/cafes/{cafe.id}/co-facilitators/{grant_id}", headers=owner)
        # The next change is not pushed to them: the socket is closed instead.
        assert client.post(f"/api/v1/cafes/{cafe.id}/pause", headers=owner).is_success
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 1008
