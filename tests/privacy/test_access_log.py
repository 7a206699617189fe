"""The access log keeps no join codes, invite or host tokens, calendar tokens or client
addresses (issue 24): paths keep their shape with the secret replaced by "…"."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.main import create_app
from app.models.accounts import Facilitator
from app.security import truncated_address
from tests.board.test_board import join, post
from tests.conftest import BASE_URL
from tests.factories import make_cafe


def lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "tablecloth.request"]


def test_the_log_keeps_no_code_token_or_address(
    client: TestClient,
    api_headers: dict[str, str],
    session: Session,
    facilitator: Facilitator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cafe = make_cafe(session, facilitator)
    host_token = "HostTok3nXYZ"
    with caplog.at_level(logging.INFO, logger="tablecloth.request"):
        client.get(f"/j/{cafe.code}", params={"invite": "Inv1teTok3n", "host": host_token})
        p = join(client, cafe.code, "Alex")
        p.get(f"/p/{cafe.code}")
        post(p, cafe.code, "A card")
        client.get("/networks/calendars/Ca1endarTok3n.ics")
        client.get("/api/v1/cafes", headers=api_headers)
    logged = lines(caplog)
    raw = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (cafe.code, "Inv1teTok3n", host_token, "Ca1endarTok3n", "testclient"):
        assert secret not in raw
    paths = {line["path"] for line in logged}
    assert {"/j/…", "/p/…", "/p/…/contributions", "/networks/calendars/….ics"} <= paths
    assert "/api/v1/cafes" in paths
    assert all(set(line) == {"event", "id", "method", "path", "status", "ms"} for line in logged)


@pytest.fixture
def address_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"log_client_address": True}))
    with TestClient(app, base_url=BASE_URL, client=("203.0.113.77", 5000)) as c:
        yield c


def test_an_operator_may_log_the_address_cut_to_its_network(
    address_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="tablecloth.request"):
        address_client.get("/login")
    (line,) = lines(caplog)
    assert line["client"] == "203.0.113.0/24"
    assert "203.0.113.77" not in json.dumps(line)


def test_addresses_are_cut_to_their_network() -> None:
    assert truncated_address("198.51.100.200") == "198.51.100.0/24"
    assert truncated_address("2001:db8:abcd:12:1:2:3:4") == "2001:db8:abcd::/48"
    assert truncated_address("not an address") == "unknown"
