"""Helpers shared by the live benchmarks (`fanout.py`, `contributions.py`).

A facilitator database and account, ONE uvicorn process of the app through
`tests/live_server.py`, many phones joining over real HTTP the way a person does, and the
small statistics the scripts print.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402

from app import i18n  # noqa: E402
from app.security import SESSION_COOKIE  # noqa: E402
from tests.live_phones import CSRF_RE  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

EMAIL = "bench@tablecloth.local"
PASSWORD = "bench-facilitator-password"
TABLE_SIZE = 8


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """User + system CPU time so far of a process and its children that are still running
    (the uvicorn workers when there are several), from Linux /proc."""
    total = 0.0
    for one in [pid, *(_children(pid) if children else [])]:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile; infinity for no values (nothing arrived)."""
    if not values:
        return math.inf
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def load() -> str:
    """The load average (1, 5, 15 minutes): the machine is shared, so every figure needs it."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


class Steal:
    """The share of the machine's CPU time the hypervisor gave to other machines (the
    `steal` column of /proc/stat) between `Steal()` and `share()`. On a shared virtual
    machine it reached 45% in some seconds (2026-11-28): figures of such minutes say more
    about the neighbours than about the code."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> tuple[int, int]:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return 0, 0
        return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])

    def share(self) -> float:
        steal, total = self._read()
        spent = total - self._start[1]
        return (steal - self._start[0]) / spent if spent > 0 else 0.0


def raise_fd_limit(phones: int) -> None:
    """Each phone is a socket here and one in the server (which inherits this limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(4096, phones * 2 + 512)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < phones + 256:
        sys.exit(f"the open-file limit ({want}) is too low for {phones} phones")


async def gather_limited(limit: int, jobs: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> Any:
        async with gate:
            return await job

    return await asyncio.gather(*(one(j) for j in jobs))


def prepare_database(url: str) -> None:
    """Create the schema and the facilitator the benchmark logs in as."""
    from sqlmodel import Session

    from app.db import make_engine
    from app.migrate import upgrade
    from app.services import accounts
    from app.services.errors import Conflict

    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        try:
            accounts.create_facilitator(session=session, email=EMAIL, password=PASSWORD)
        except Conflict:
            pass  # a database kept from an earlier run (PostgreSQL): the account is there
    engine.dispose()


async def bench_cafe(
    api: httpx.AsyncClient, *, title: str, phones: int, rounds: list[dict[str, Any]]
) -> dict[str, Any]:
    """Sign `api` in as the benchmark's facilitator (its bearer token kept on the client) and
    make a café with tables for `phones` people (8 a table, at most 200 tables); the café as
    the API answers it."""
    r = await api.post("/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD})
    assert r.status_code == 200, r.text
    api.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    r = await api.post(
        "/api/v1/cafes",
        json={
            "title": title,
            "table_count": min(200, math.ceil(phones / TABLE_SIZE)),
            "table_capacity": max(TABLE_SIZE, math.ceil(phones / 200)),
            "rounds": rounds,
        },
    )
    assert r.status_code == 201, r.text
    cafe: dict[str, Any] = r.json()
    return cafe


async def join_phone(client: httpx.AsyncClient, code: str, name: str) -> tuple[str, str]:
    """Join as a person does; returns the signed session cookie and the session's CSRF token
    (the join form's token stays the session's for the rest of the visit)."""
    page = await client.get(f"/j/{code}")
    assert page.status_code == 200, page.text
    match = CSRF_RE.search(page.text)
    assert match, "no CSRF token on the join page"
    r = await client.post(f"/j/{code}", data={"display_name": name, "csrf_token": match.group(1)})
    assert r.status_code == 303, r.text
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie, "joining set no session cookie"
    return cookie, match.group(1)


async def join_all(
    base_url: str, code: str, phones: int, concurrency: int
) -> list[tuple[str, str, str]]:
    """`phones` people join, `concurrency` at a time: (name, cookie, CSRF token) each."""
    names = [f"Phone {n:04d}" for n in range(1, phones + 1)]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for name in names:
        queue.put_nowait(name)
    joined: dict[str, tuple[str, str]] = {}

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            while not queue.empty():
                name = queue.get_nowait()
                client.cookies.clear()  # a new phone: its own cookie jar
                joined[name] = await join_phone(client, code, name)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return [(name, *joined[name]) for name in names]


def start_server(server: LiveServer) -> LiveServer:
    """Start uvicorn; on a busy shared machine its start can outlast one wait, so try again."""
    for attempt in range(3):
        try:
            return server.start()
        except RuntimeError:
            if attempt == 2:
                raise
            print("the server was slow to start; trying again")
    raise AssertionError("unreachable")


def start_profiler(out: str, pid: int, *, gil: bool = False) -> subprocess.Popen[bytes]:
    """py-spy on the server (not a project dependency: `.venv/bin/pip install py-spy`).
    `gil`: sample only the thread holding the GIL, so the shares are shares of CPU time.
    Samples a second: 250, or `PYSPY_RATE` from the environment."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    fmt = "speedscope" if out.endswith(".json") else "flamegraph"
    if out.endswith(".txt"):
        fmt = "raw"
    rate = os.environ.get("PYSPY_RATE", "250")
    command = [spy, "record", "--pid", str(pid), "--rate", rate, "--format", fmt, "-o", out]
    return subprocess.Popen(
        command + (["--gil", "--nonblocking"] if gil else []), stdout=subprocess.DEVNULL
    )


def stop_profiler(profiler: subprocess.Popen[bytes] | None, out: str | None) -> None:
    if profiler is None:
        return
    profiler.send_signal(2)  # SIGINT: py-spy writes its report and exits
    profiler.wait(timeout=60)
    print(f"profile written to {out}")


@contextlib.contextmanager
def phones_without_gc_pauses() -> Iterator[None]:
    """While measuring, keep this process's garbage collector off (collected and frozen
    first, collected again after).

    The phones are a thousand devices in the room, but here they are one Python process:
    a collection of its garbage (1,000 sockets and their messages; 0.1-0.4 s at a time on a
    slow machine, seen with `gc.callbacks`) stalls every phone at once, and the stall was
    counted as the server's delay. The server keeps its own collector as it ships."""
    gc.collect()
    gc.freeze()
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
        gc.unfreeze()
        gc.collect()


def languages_of(option: str) -> list[str]:
    """`--languages cy,en`: the languages the phones read, in turn (half Welsh, half English
    by default, so each push is drawn in both)."""
    langs = [lang.strip() for lang in option.split(",") if lang.strip()]
    for lang in langs:
        if i18n.supported(lang) != lang:
            raise SystemExit(f"--languages: {lang!r} is not one of {', '.join(i18n.LANGUAGES)}")
    return langs or [i18n.DEFAULT]


def cookie_header(session_cookie: str, langs: list[str], index: int) -> str:
    """A phone's Cookie header: its session, and the language switch's cookie (phones take
    the languages in turn)."""
    lang = langs[index % len(langs)]
    return f"{SESSION_COOKIE}={session_cookie}; {i18n.COOKIE}={lang}"
