"""How many websockets a person and a client address may hold open (`app.live.limits`), over
real websockets to the real app in uvicorn: one phone opening socket after socket keeps only
the newest few, and a full address refuses new sockets at the handshake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import pytest_asyncio
from sqlmodel import Session
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.protocol import State
from websockets.typing import Origin

from app.config import Settings
from app.models.accounts import Facilitator
from app.security import SESSION_COOKIE
from tests.factories import PASSWORD, make_facilitator
from tests.live_phones import CSRF_RE, FacilitatorApi, Phone, join, ws_url
from tests.live_server import LiveServer

pytestmark = pytest.mark.asyncio

PER_PERSON = 3
PER_ADDRESS = 8
POLICY_VIOLATION = 1008


@pytest.fixture
def server(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    limits = {
        "TABLECLOTH_WS_PER_PERSON": str(PER_PERSON),
        "TABLECLOTH_WS_PER_ADDRESS": str(PER_ADDRESS),
    }
    with LiveServer(database_url=database_url, log_dir=tmp_path, extra_env=limits) as live:
        yield live


@pytest.fixture
def owner(session: Session) -> Facilitator:
    return make_facilitator(session)


@pytest.fixture
def api(server: LiveServer, owner: Facilitator) -> Iterator[FacilitatorApi]:
    client = FacilitatorApi(server.url, owner.email, PASSWORD)
    yield client
    client.close()


@pytest_asyncio.fixture
async def phones() -> AsyncIterator[list[Phone]]:
    """Every socket a test opens, closed at its end."""
    opened: list[Phone] = []
    yield opened
    for phone in opened:
        await phone.close()


async def _open(phones: list[Phone], server: LiveServer, cafe_id: int, cookie: str) -> Phone:
    phone = Phone("phone", cookie)
    await phone.connect(server.url, cafe_id, server.url)
    phones.append(phone)
    return phone


async def _closed_by_server(phone: Phone) -> int | None:
    """Wait for the server to close the socket; its close code."""
    assert phone.ws is not None
    await asyncio.wait_for(phone.ws.wait_closed(), 10)
    return phone.ws.close_code


async def _still_live(phone: Phone) -> bool:
    """The socket is open and still pushed to (the round start reaches it)."""
    assert phone.ws is not None
    if phone.ws.state is not State.OPEN:
        return False
    html = ""
    while "Round 1" not in html:
        html = await phone.receive(timeout=10)
    return True


async def _refused(server: LiveServer, path: str, cookie: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        await connect(
            ws_url(server.url, path),
            origin=Origin(server.url),
            additional_headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
            proxy=None,
            open_timeout=30,
        )
    return refused.value.response.status_code


def _facilitator_cookie(server: LiveServer, email: str) -> str:
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        match = CSRF_RE.search(browser.get("/login").text)
        assert match
        r = browser.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": match.group(1)}
        )
        assert r.status_code == 303, r.text
        cookie = browser.cookies.get(SESSION_COOKIE)
    assert cookie
    return cookie


async def test_one_phone_keeps_only_its_newest_sockets(
    server: LiveServer, api: FacilitatorApi, phones: list[Phone]
) -> None:
    cafe = api.create_cafe(tables=2, capacity=4)
    ann = join(server.url, cafe["code"], "Ann")
    bo = join(server.url, cafe["code"], "Bo")
    bos = await _open(phones, server, cafe["id"], bo)  # another person at the same address

    anns = [await _open(phones, server, cafe["id"], ann) for _ in range(PER_PERSON + 3)]
    # The oldest were closed, with the code the page does not reconnect on...
    for old in anns[:3]:
        assert await _closed_by_server(old) == POLICY_VIOLATION
    # ...and the newest are still pushed to, as is the other person.
    api.next_round(cafe["id"])
    for new in anns[3:]:
        assert await _still_live(new)
    assert await _still_live(bos)

    # A phone that reconnects is always let in: its oldest socket makes room.
    again = await _open(phones, server, cafe["id"], ann)
    assert await _closed_by_server(anns[3]) == POLICY_VIOLATION
    assert again.ws is not None and again.ws.state is State.OPEN


async def test_a_full_address_refuses_new_sockets(
    server: LiveServer, api: FacilitatorApi, owner: Facilitator, phones: list[Phone]
) -> None:
    cafe = api.create_cafe(tables=3, capacity=4)
    people = [join(server.url, cafe["code"], name) for name in ("Ann", "Bo", "Cy", "Di", "Ed")]
    for cookie in people[:4]:
        await _open(phones, server, cafe["id"], cookie)
        await _open(phones, server, cafe["id"], cookie)
    assert len(phones) == PER_ADDRESS  # every one from 127.0.0.1

    # A new person and the projector are refused at the handshake.
    assert await _refused(server, f"/ws/p/{cafe['id']}", people[4]) == 403
    facilitator = _facilitator_cookie(server, owner.email)
    assert await _refused(server, f"/ws/projector/{cafe['id']}", facilitator) == 403

    # Someone who holds a socket from the address trades their oldest for a new one.
    ann_again = await _open(phones, server, cafe["id"], people[0])
    assert await _closed_by_server(phones[0]) == POLICY_VIOLATION
    assert ann_again.ws is not None and ann_again.ws.state is State.OPEN

    # A socket that goes away gives its place back.
    await phones[2].close()
    for _ in range(50):  # its handler ends a moment after the closing handshake
        try:
            await _open(phones, server, cafe["id"], people[4])
            break
        except InvalidStatus:
            await asyncio.sleep(0.1)
    else:
        pytest.fail("the place of a closed socket was not given back")
