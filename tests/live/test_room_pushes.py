"""Reshaping the room reaches the phones over their sockets at once (issue 26): a message to
every phone, a question changed mid-round, and "seen" to the phone that asked for help,
against a real server, with real websockets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.models.room import HelpRequest
from app.security import SESSION_COOKIE
from tests.factories import PASSWORD, make_facilitator
from tests.live_phones import CSRF_RE, FacilitatorApi, Phone, join
from tests.live_server import LiveServer

pytestmark = pytest.mark.asyncio


@pytest.fixture
def server(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(database_url=database_url, log_dir=tmp_path) as live:
        yield live


@pytest.fixture
def api(server: LiveServer, session: Session) -> Iterator[FacilitatorApi]:
    client = FacilitatorApi(server.url, make_facilitator(session).email, PASSWORD)
    yield client
    client.close()


async def _until(phone: Phone, words: str, *, timeout: float = 10) -> str:
    """Read the phone's pushes until one holds `words`."""
    deadline = time.monotonic() + timeout
    while True:
        html = await phone.receive(timeout=max(0.01, deadline - time.monotonic()))
        if words in html:
            return html


async def test_the_room_changes_reach_the_phones_at_once(
    server: LiveServer, api: FacilitatorApi, session: Session
) -> None:
    cafe = api.create_cafe(tables=2, capacity=4)
    names = ("Ash", "Bo", "Cy")
    phones = [Phone(n, join(server.url, cafe["code"], n)) for n in names]
    api.next_round(cafe["id"])
    base = f"/api/v1/cafes/{cafe['id']}"
    try:
        for phone in phones:
            await phone.connect(server.url, cafe["id"], server.url)

        r = api.client.post(f"{base}/broadcast", json={"text": "Lunch is <served>"})
        assert r.status_code == 201, r.text
        for phone in phones:
            html = await _until(phone, "Lunch is")
            assert 'id="room-broadcast"' in html and 'hx-swap-oob="innerHTML"' in html
            assert "Lunch is &lt;served&gt;" in html

        r = api.client.patch(f"{base}/rounds/1", json={"question": "What helps you most?"})
        assert r.status_code == 200, r.text
        for phone in phones:
            html = await _until(phone, "What helps you most?")
            assert 'id="question"' in html

        # Ash asks for help over HTTP; the facilitator says it was seen; Ash's phone hears it.
        with httpx.Client(base_url=server.url, timeout=30) as ash:
            ash.cookies.set(SESSION_COOKIE, phones[0].cookie)
            page = ash.get(f"/p/{cafe['code']}")
            token = CSRF_RE.search(page.text)
            assert token
            r = ash.post(
                f"/p/{cafe['code']}/help",
                data={"csrf_token": token.group(1)},
                headers={"HX-Request": "true"},
            )
            assert r.status_code == 200 and "We told the facilitator" in r.text
        asked = session.exec(select(HelpRequest)).one()
        r = api.client.post(f"{base}/help/{asked.id}/seen")
        assert r.status_code == 200, r.text
        html = await _until(phones[0], "has seen your request")
        assert 'id="room-help"' in html
    finally:
        for phone in phones:
            await phone.close()
