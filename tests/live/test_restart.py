"""A restarted server loses nothing: the round's end instant and the seating live in the
database, so reconnecting phones find their table and a clock that kept running. And the
participant socket refuses strangers at the handshake."""

from __future__ import annotations

import json
import time
from base64 import b64encode
from collections.abc import Iterator
from pathlib import Path

import itsdangerous
import pytest
from sqlmodel import Session, select
from websockets.exceptions import InvalidStatus

from app.config import Settings
from app.models.cafe import Participant
from tests.factories import PASSWORD, make_facilitator
from tests.live_phones import FacilitatorApi, Phone, join, seconds_in, table_in
from tests.live_server import SECRET, LiveServer

pytestmark = pytest.mark.asyncio

ROUND_MINUTES = 10


@pytest.fixture
def server(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(database_url=database_url, log_dir=tmp_path) as live:
        yield live


@pytest.fixture
def api(server: LiveServer, session: Session) -> Iterator[FacilitatorApi]:
    client = FacilitatorApi(server.url, make_facilitator(session).email, PASSWORD)
    yield client
    client.close()


async def test_restart_mid_round_keeps_tables_and_clock(
    server: LiveServer, api: FacilitatorApi
) -> None:
    cafe = api.create_cafe(tables=3, capacity=3, minutes=ROUND_MINUTES)
    phones = [Phone(n, join(server.url, cafe["code"], n)) for n in ("Ash", "Bo", "Cy", "Di", "Ed")]
    api.next_round(cafe["id"])
    seating = api.seating(cafe["id"])
    before: dict[str, tuple[int | None, int | None, float]] = {}
    try:
        for phone in phones:
            html = await phone.connect(server.url, cafe["id"], server.url)
            before[phone.name] = (table_in(html), seconds_in(html), time.monotonic())
            assert before[phone.name][0] == seating[phone.name]

        server.restart()
        for phone in phones:
            await phone.close()

        for phone in phones:
            html = await phone.connect(server.url, cafe["id"], server.url)
            table, seconds, seen = before[phone.name]
            elapsed = time.monotonic() - seen
            assert table_in(html) == table
            left = seconds_in(html)
            assert seconds is not None and left is not None
            # Counted down from the stored end instant, not restarted from the full length.
            assert elapsed > 2
            assert abs((seconds - elapsed) - left) <= 2, (seconds, elapsed, left)
            assert left < ROUND_MINUTES * 60 - 2

        api.next_round(cafe["id"])
        seating = api.seating(cafe["id"])
        for phone in phones:
            html = ""
            while "Round 2" not in html:
                html = await phone.receive(timeout=5)
            assert table_in(html) == seating[phone.name]
    finally:
        for phone in phones:
            await phone.close()


def _cookie(secret_key: str, cafe_id: int, participant_id: int, secret: str) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it."""
    data = b64encode(json.dumps({"p": {str(cafe_id): [participant_id, secret]}}).encode())
    return itsdangerous.TimestampSigner(secret_key).sign(data).decode()


async def _status(server: LiveServer, cafe_id: int, cookie: str, origin: str) -> int:
    phone = Phone("stranger", cookie)
    with pytest.raises(InvalidStatus) as refused:
        await phone.connect(server.url, cafe_id, origin)
    return refused.value.response.status_code


async def test_socket_refuses_wrong_origin_and_bad_cookies(
    server: LiveServer, api: FacilitatorApi, session: Session
) -> None:
    cafe = api.create_cafe(tables=2, capacity=4)
    good = join(server.url, cafe["code"], "Fay")
    person = session.exec(select(Participant).where(Participant.display_name == "Fay")).one()
    assert person.id is not None

    phone = Phone("Fay", good)
    await phone.connect(server.url, cafe["id"], server.url)  # the real thing is accepted
    await phone.close()

    refusals = {
        "other origin": (good, "http://evil.example"),
        "look-alike origin": (good, server.url + ".evil.example"),
        "garbage cookie": ("not-a-signed-cookie", server.url),
        "no cookie": ("", server.url),
        "forged signature": (
            _cookie("someone-elses-key-" + "z" * 40, cafe["id"], person.id, person.secret),
            server.url,
        ),
        "wrong person secret": (_cookie(SECRET, cafe["id"], person.id, "guessed"), server.url),
    }
    for label, (cookie, origin) in refusals.items():
        assert await _status(server, cafe["id"], cookie, origin) == 403, label
    # A real cookie for this café does not open another café's socket.
    other = api.create_cafe(tables=2, capacity=4)
    assert await _status(server, other["id"], good, server.url) == 403
