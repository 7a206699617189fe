"""The next round sent ahead: a phone whose page keeps it is sent its next table and board
while the round before runs, and at the round start only the word to show them; anything
that changed in between gets the whole round at its start instead."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app.config import Settings
from tests.board.test_board import ORIGIN, join, new_cafe, start
from tests.live_phones import table_in


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The next round is planned (and sent ahead) a second after a round starts or someone
    # joins: long enough for a test to change the café before it, short enough to wait for.
    return settings.model_copy(update={"plan_ahead_seconds": 1.0})


def _table_now(client: TestClient, headers: dict[str, str], cafe: dict[str, Any], name: str) -> int:
    seating = client.get(f"/api/v1/cafes/{cafe['id']}/seating", headers=headers).json()
    return int(next(s["table_id"] for s in seating["seats"] if s["display_name"] == name))


def _round_one(
    client: TestClient, headers: dict[str, str]
) -> tuple[dict[str, Any], TestClient, TestClient]:
    """A café where Ann and Bo have joined and round 1 runs: the café, Ann's and Bo's phones."""
    cafe = new_cafe(client, headers)
    ann, bo = join(client, cafe["code"], "Ann"), join(client, cafe["code"], "Bo")
    start(client, headers, cafe)
    return cafe, ann, bo


def _ahead(ws: WebSocketTestSession) -> dict[str, str]:
    """The next message, which must be a round sent ahead."""
    message: dict[str, str] = json.loads(ws.receive_text())
    assert set(message) == {"ahead", "html"}, message
    return message


def test_a_round_sent_ahead_is_shown_by_one_word_at_its_start(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe, ann, bo = _round_one(client, api_headers)
    url = f"/ws/p/{cafe['id']}"
    with (
        ann.websocket_connect(f"{url}?ahead=1", headers=ORIGIN) as ann_ws,
        bo.websocket_connect(url, headers=ORIGIN) as bo_ws,  # a page that keeps nothing
    ):
        assert 'id="now"' in ann_ws.receive_text()
        assert 'id="now"' in bo_ws.receive_text()
        kept = _ahead(ann_ws)
        assert 'class="quiet">Round 2<' in kept["html"]
        assert 'id="board"' in kept["html"] and 'id="compose"' not in kept["html"]
        start(client, api_headers, cafe)
        # Ann's page is told to show what it holds; the seating says it is her table.
        assert json.loads(ann_ws.receive_text()) == {"go": kept["ahead"]}
        shown = table_in(kept["html"])
        assert shown == _table_now(client, api_headers, cafe, "Ann")
        # What she was sent ahead is what her page now draws for round 2.
        assert table_in(ann.get(f"/p/{cafe['code']}").text) == shown
        # Bo's page keeps nothing ahead: it is sent the round itself, as before.
        pushed = bo_ws.receive_text()
        assert 'class="quiet">Round 2<' in pushed and 'id="board"' in pushed
        assert table_in(pushed) == _table_now(client, api_headers, cafe, "Bo")
        # The round after is sent ahead in its turn.
        assert 'class="quiet">Round 3<' in _ahead(ann_ws)["html"]


def test_a_change_after_the_round_was_sent_ahead_sends_the_whole_round_at_its_start(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    cafe, ann, _ = _round_one(client, api_headers)
    with ann.websocket_connect(f"/ws/p/{cafe['id']}?ahead=1", headers=ORIGIN) as ws:
        ws.receive_text()
        kept = _ahead(ws)
        shown = table_in(kept["html"])
        assert shown is not None
        # The facilitator moves Ann by hand to another table: the plan sent ahead is stale.
        other = next(t["id"] for t in cafe["tables"] if t["id"] != shown)
        people = client.get(f"/api/v1/cafes/{cafe['id']}/participants", headers=api_headers)
        ann_id = next(p["id"] for p in people.json() if p["display_name"] == "Ann")
        moved = client.post(
            f"/api/v1/cafes/{cafe['id']}/participants/{ann_id}/move",
            json={"table_id": other},
            headers=api_headers,
        )
        assert moved.status_code == 200, moved.text
        assert f'data-table-id="{other}"' in ws.receive_text()  # the move, pushed
        start(client, api_headers, cafe)
        pushed = ws.receive_text()
        assert not pushed.startswith("{"), pushed  # no word to show a stale plan
        assert 'class="quiet">Round 2<' in pushed
        assert table_in(pushed) == _table_now(client, api_headers, cafe, "Ann")


def test_a_page_that_connects_once_the_round_is_drawn_is_sent_it_at_once(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """A phone whose screen locked (its connection closed) and that comes back before the
    round starts: its current table first, then the next round to keep."""
    cafe, ann, bo = _round_one(client, api_headers)
    url = f"/ws/p/{cafe['id']}?ahead=1"
    with ann.websocket_connect(url, headers=ORIGIN) as ann_ws:
        ann_ws.receive_text()
        drawn = _ahead(ann_ws)["ahead"]
        with bo.websocket_connect(url, headers=ORIGIN) as bo_ws:
            current = bo_ws.receive_text()
            assert 'class="quiet">Round 1<' in current and not current.startswith("{")
            kept = _ahead(bo_ws)
            assert kept["ahead"] == drawn
            start(client, api_headers, cafe)
            assert json.loads(bo_ws.receive_text()) == {"go": drawn}
            assert table_in(kept["html"]) == _table_now(client, api_headers, cafe, "Bo")


def test_a_clock_changed_after_the_round_was_sent_ahead_leaves_it_to_start_by_one_word(
    client: TestClient, api_headers: dict[str, str]
) -> None:
    """Extending or pausing the round does not change the next one: the phone keeps what it
    was sent ahead, and the round start is still one word."""
    cafe, ann, _ = _round_one(client, api_headers)
    with ann.websocket_connect(f"/ws/p/{cafe['id']}?ahead=1", headers=ORIGIN) as ws:
        ws.receive_text()
        kept = _ahead(ws)
        base = f"/api/v1/cafes/{cafe['id']}"
        assert client.post(f"{base}/rounds/current/extend", headers=api_headers).status_code == 200
        assert 'class="quiet">Round 1<' in ws.receive_text()  # the longer clock, pushed
        assert client.post(f"{base}/pause", headers=api_headers).status_code == 200
        assert "paused" in ws.receive_text()
        start(client, api_headers, cafe)
        assert json.loads(ws.receive_text()) == {"go": kept["ahead"]}
        assert table_in(kept["html"]) == _table_now(client, api_headers, cafe, "Ann")
