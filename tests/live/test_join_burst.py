"""A room scanning the join code at once, against the real app in uvicorn (`app.live.admission`).

Every phone in flight at the same moment, as when the facilitator puts the QR code on the big
screen. Before the admission gate, 200 joins in flight held every database connection while
waiting for a worker thread (and SQLite's write lock, held by a request waiting for a
thread): 0 of 1,000 joined, each request failing after 30-60 s, on SQLite and PostgreSQL.
The gate is set small here so that a test-sized room queues as a real room would."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.models.accounts import Facilitator
from app.models.cafe import Participant
from tests.factories import PASSWORD, make_cafe, make_facilitator
from tests.live_phones import CSRF_RE, FacilitatorApi, LeanPhone
from tests.live_server import LiveServer

pytestmark = pytest.mark.asyncio

PHONES = 150
IN_FLIGHT = 4


@pytest.fixture
def owner(session: Session) -> Facilitator:
    return make_facilitator(session)


def serve(database_url: str, log_dir: Path, **env: str) -> LiveServer:
    extra = {"TABLECLOTH_REQUESTS_IN_FLIGHT": str(IN_FLIGHT), **env}
    return LiveServer(database_url=database_url, log_dir=log_dir, extra_env=extra)


async def join(base_url: str, code: str, name: str) -> tuple[int, int, int]:
    """The join page, the form, the phone's own page: their statuses."""
    phone = LeanPhone(base_url)
    try:
        first, page = await phone.send("GET", f"/j/{code}")
        match = CSRF_RE.search(page)
        if first != 200 or match is None:
            return first, 0, 0
        form = {"display_name": name, "csrf_token": match.group(1)}
        second, _ = await phone.send("POST", f"/j/{code}", form)
        third, _ = await phone.send("GET", f"/p/{code}")
        return first, second, third
    finally:
        phone.close()


@pytest.fixture
def server(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    with serve(database_url, tmp_path) as live:
        yield live


async def test_a_whole_room_joining_at_once_all_join_once(
    server: LiveServer, owner: Facilitator, session: Session
) -> None:
    api = FacilitatorApi(server.url, owner.email, PASSWORD)
    try:
        cafe = api.create_cafe(tables=20, capacity=8)
    finally:
        api.close()
    began = time.perf_counter()
    names = [f"Phone {n:03d}" for n in range(PHONES)]
    answers = await asyncio.gather(*(join(server.url, cafe["code"], n) for n in names))
    assert answers == [(200, 303, 200)] * PHONES
    assert time.perf_counter() - began < 60
    stored = session.exec(
        select(Participant.display_name).where(Participant.cafe_id == cafe["id"])
    ).all()
    assert sorted(stored) == names  # each once
    log = server.log_path.read_text(errors="replace")
    assert "Traceback" not in log


async def test_a_request_kept_waiting_too_long_is_told_to_try_again(
    database_url: str, settings: Settings, tmp_path: Path, owner: Facilitator, session: Session
) -> None:
    """One request at a time and a very short wait: of a burst, those that wait too long are
    answered 503 with Retry-After and a sentence (with the site's security headers), not a
    500 and not a dropped connection; a retry afterwards is let in."""
    live = serve(database_url, tmp_path, TABLECLOTH_REQUESTS_IN_FLIGHT="1")
    live.env["TABLECLOTH_QUEUE_SECONDS"] = "0.001"
    cafe = {"code": make_cafe(session, owner).code}
    with live as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            # The sign-in page is drawn in a worker thread: each holds its turn a while.
            pages = await asyncio.gather(*(client.get("/login") for _ in range(40)))
            statuses = {r.status_code for r in pages}
            assert statuses == {200, 503}
            busy = next(r for r in pages if r.status_code == 503)
            assert busy.headers["retry-after"] == "2"
            assert "try again" in busy.text
            assert "content-security-policy" in busy.headers
            api_busy = await asyncio.gather(
                *(
                    client.get("/api/v1/cafes", headers={"Accept": "application/json"})
                    for _ in range(40)
                )
            )
            refused = [r for r in api_busy if r.status_code == 503]
            assert refused and refused[0].json()["detail"].startswith("Lots of people")
            again = await client.get(f"/j/{cafe['code']}")
            assert again.status_code == 200
