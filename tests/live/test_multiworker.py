"""Several uvicorn processes serve one café: with Redis every phone hears every rotation,
whichever process the facilitator's request reached; with the in-process hub it does not."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from app.config import Settings
from tests.factories import PASSWORD, make_facilitator
from tests.live_phones import FacilitatorApi, Phone, join
from tests.live_server import LiveServer

pytestmark = [pytest.mark.redis, pytest.mark.asyncio]

REDIS_URL = "redis://127.0.0.1:6379/0"
# Both processes believe they are this public address, as behind a load balancer; phones
# send it as their Origin whichever process they reach.
PUBLIC_URL = "http://cafe.tablecloth.test"
DELIVERY_SECONDS = 5.0

Launch = Callable[..., LiveServer]


@pytest.fixture
def launch(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Launch]:
    """Start live servers on the test database; all are stopped after the test."""
    started: list[LiveServer] = []

    def start(*, broadcast_url: str, workers: int = 1) -> LiveServer:
        server = LiveServer(
            database_url=database_url,
            log_dir=tmp_path,
            broadcast_url=broadcast_url,
            workers=workers,
            base_url=PUBLIC_URL,
        )
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def email(session: Session) -> str:
    return make_facilitator(session).email


def _phones(server: LiveServer, code: str, names: list[str]) -> list[Phone]:
    return [Phone(name, join(server.url, code, name)) for name in names]


async def _rotate(api: FacilitatorApi, cafe_id: int) -> float:
    """Start the next round without blocking the phones' event loop; returns when it began."""
    began = time.perf_counter()
    await asyncio.to_thread(api.next_round, cafe_id)
    return began


async def test_rotation_through_one_process_reaches_phones_on_another(
    launch: Launch, email: str
) -> None:
    a = launch(broadcast_url=REDIS_URL)
    b = launch(broadcast_url=REDIS_URL)
    api = FacilitatorApi(b.url, email, PASSWORD)
    cafe = api.create_cafe(tables=3, capacity=4)
    phones = _phones(a, cafe["code"], [f"Person {n}" for n in range(1, 9)])
    try:
        for phone in phones:
            first = await phone.connect(a.url, cafe["id"], PUBLIC_URL)
            assert "The first round has not started yet" in first

        began = await _rotate(api, cafe["id"])
        tables = await asyncio.gather(*(p.wait_for_table(timeout=DELIVERY_SECONDS) for p in phones))
        slowest = max(p.fragments[-1][0] for p in phones) - began

        seating = api.seating(cafe["id"])
        assert {p.name: t for p, t in zip(phones, tables, strict=True)} == seating
        assert len(set(tables)) == 3  # everyone seated, across all the tables
        assert slowest < DELIVERY_SECONDS

        # And back the other way: a rotation through A reaches phones on B.
        for phone in phones[:4]:
            await phone.close()
            await phone.connect(b.url, cafe["id"], PUBLIC_URL)
        api.use(a.url)
        await _rotate(api, cafe["id"])
        seating = api.seating(cafe["id"])
        for phone in phones:
            html = ""
            while "Round 2" not in html:
                html = await phone.receive(timeout=DELIVERY_SECONDS)
            assert f'data-table-id="{seating[phone.name]}"' in html
    finally:
        for phone in phones:
            await phone.close()
        api.close()


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name is in brackets and may hold spaces; the ppid follows it.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _worker_of_client_port(server: LiveServer) -> dict[int, int]:
    """Which worker process holds the server side of each connection, by the client's port."""
    assert server.process is not None
    owners = {inode: pid for pid in _children(server.process.pid) for inode in _socket_inodes(pid)}
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port == server.port and fields[3] == "01" and fields[9] in owners:
                found[remote_port] = owners[fields[9]]
    return found


async def _worker_of(server: LiveServer, phone: Phone) -> int:
    assert phone.ws is not None
    port = phone.ws.local_address[1]
    for _ in range(50):
        owner = _worker_of_client_port(server).get(port)
        if owner is not None:
            return owner
        await asyncio.sleep(0.1)
    raise AssertionError(f"no worker holds the connection from port {port}")


async def test_one_server_with_two_workers_reaches_every_phone(launch: Launch, email: str) -> None:
    server = launch(broadcast_url=REDIS_URL, workers=2)
    api = FacilitatorApi(server.url, email, PASSWORD)
    cafe = api.create_cafe(tables=3, capacity=4)
    people = _phones(server, cafe["code"], [f"Person {n}" for n in range(1, 9)])
    sockets: list[Phone] = []
    try:
        # Open sockets (a person may have the page open twice) until both workers hold some,
        # so whichever worker takes the rotation request, the other one's phones need Redis.
        # On a busy machine the second worker may still be starting: keep trying a while.
        workers: set[int] = set()
        deadline = time.monotonic() + 60
        while len(sockets) < len(people) or len(workers) < 2:
            assert time.monotonic() < deadline, "the kernel gave every socket to one worker"
            person = people[len(sockets) % len(people)]
            phone = Phone(person.name, person.cookie)
            await phone.connect(server.url, cafe["id"], PUBLIC_URL)
            worker = await _worker_of(server, phone)
            if len(sockets) < len(people) or worker not in workers:
                sockets.append(phone)
                workers.add(worker)
            else:
                await phone.close()
                await asyncio.sleep(0.2)

        await _rotate(api, cafe["id"])
        tables = await asyncio.gather(
            *(p.wait_for_table(timeout=DELIVERY_SECONDS) for p in sockets)
        )
        seating = api.seating(cafe["id"])
        assert [seating[p.name] for p in sockets] == tables
    finally:
        for phone in sockets:
            await phone.close()
        api.close()


async def test_in_process_hub_does_not_cross_processes(launch: Launch, email: str) -> None:
    """Why Redis is needed: with memory:// each process only hears its own events."""
    a = launch(broadcast_url="memory://")
    b = launch(broadcast_url="memory://")
    api = FacilitatorApi(b.url, email, PASSWORD)
    cafe = api.create_cafe(tables=2, capacity=4)
    on_a, on_b = _phones(a, cafe["code"], ["On A", "On B"])
    try:
        await on_a.connect(a.url, cafe["id"], PUBLIC_URL)
        await on_b.connect(b.url, cafe["id"], PUBLIC_URL)
        await _rotate(api, cafe["id"])
        seating = api.seating(cafe["id"])

        assert await on_b.wait_for_table(timeout=DELIVERY_SECONDS) == seating["On B"]
        with pytest.raises(TimeoutError):
            await on_a.receive(timeout=3)

        # The database is still the truth: reconnecting (what hx-ws does) resyncs the phone.
        await on_a.close()
        again = await on_a.connect(a.url, cafe["id"], PUBLIC_URL)
        assert f'data-table-id="{seating["On A"]}"' in again
    finally:
        await on_a.close()
        await on_b.close()
        api.close()
