"""The "scan the code now" moment: a whole room joining at once.

1,000 phones join one café over real HTTP, 200 in flight at a time (the way a room does when
the facilitator puts the QR code on the big screen, not 16 politely queued). Each phone does
what a person's phone does: it opens the join page, sends the form with a name, follows the
redirect to its own page, and (`--sockets`, on by default) opens the page's websocket and
keeps it open while the others join.

A join counts from the first request to the participant page being answered. Anything but
200 / 303 / 200, or a connection error, is an error; the script prints them by kind.
The target (issue 23): 0 errors and a p99 join under 2 s, on SQLite and on PostgreSQL.

    .venv/bin/python bench/joins.py                      # SQLite file, one worker
    .venv/bin/python bench/joins.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
from _counted import PATH as COUNTS_PATH  # noqa: E402
from _phones import (  # noqa: E402
    Steal,
    bench_cafe,
    cpu_seconds,
    load,
    percentile,
    prepare_database,
    raise_fd_limit,
    start_profiler,
    start_server,
    stop_profiler,
)
from sqlalchemy.pool import NullPool  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from app.security import SESSION_COOKIE  # noqa: E402
from tests.live_phones import CSRF_RE, LeanPhone  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

TARGET_P99 = 2.0


@dataclass
class Join:
    name: str
    seconds: float = math.inf
    error: str = ""
    steps: list[float] = field(default_factory=list)
    socket: ClientConnection | None = None


async def join_one(base_url: str, code: str, cafe_id: int, join: Join, sockets: bool) -> None:
    began = time.perf_counter()
    phone = LeanPhone(base_url)
    try:
        status, page = await phone.send("GET", f"/j/{code}")
        join.steps.append(time.perf_counter() - began)
        if status != 200:
            join.error = f"join page {status}"
            return
        match = CSRF_RE.search(page)
        if not match:
            join.error = "join page without a CSRF token"
            return
        form = {"display_name": join.name, "csrf_token": match.group(1)}
        status, _ = await phone.send("POST", f"/j/{code}", form)
        join.steps.append(time.perf_counter() - began)
        if status != 303:
            join.error = f"join form {status}"
            return
        status, _ = await phone.send("GET", f"/p/{code}")
        join.steps.append(time.perf_counter() - began)
        if status != 200:
            join.error = f"participant page {status}"
            return
        join.seconds = time.perf_counter() - began
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
        join.error = type(exc).__name__
        return
    finally:
        phone.close()
    if sockets and phone.cookie:
        url = base_url.replace("http", "ws", 1) + f"/ws/p/{cafe_id}"
        try:
            join.socket = await connect(
                url,
                origin=base_url,  # type: ignore[arg-type]
                additional_headers={"Cookie": f"{SESSION_COOKIE}={phone.cookie}"},
                open_timeout=60,
            )
        except (OSError, TimeoutError, Exception) as exc:  # noqa: BLE001 - counted, not raised
            join.error = f"websocket {type(exc).__name__}"


def postgres_backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database now (one per pooled
    connection): their CPU is the database's share of a join. None off PostgreSQL."""
    if not url.startswith("postgresql"):
        return []
    from sqlalchemy import create_engine, text

    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalars()
        found = [int(pid) for pid in pids]
    engine.dispose()
    return found


def postgres_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid, children=False) for pid in pids)


async def database_work(api: httpx.AsyncClient) -> Counter[str]:
    """What the server has sent its database so far (`bench/_counted.py`): statements,
    transactions begun (on PostgreSQL a BEGIN and its end, two round trips more),
    connections taken from the pool and how many of those were checked first ("pings")."""
    r = await api.get(COUNTS_PATH)
    assert r.status_code == 200, r.text
    return Counter(r.json())


async def run(args: argparse.Namespace, workdir: Path) -> bool:
    url = args.database or f"sqlite:///{workdir / 'joins.db'}"
    prepare_database(url)
    hub = "memory://" if args.workers == 1 else args.redis
    # One worker: its database work is counted (bench/_counted.py); with several, each
    # would answer only its own counts.
    counted = args.workers == 1
    server = start_server(
        LiveServer(
            database_url=url,
            log_dir=workdir,
            workers=args.workers,
            broadcast_url=hub,
            factory="bench._counted:create_app" if counted else "app.main:create_app",
        )
    )
    assert server.process is not None
    pid = server.process.pid
    print(f"server pid {pid} on {url.split('://', 1)[0]}, {args.workers} worker(s)")
    joins = [Join(f"Phone {n:04d}") for n in range(1, args.phones + 1)]
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as api:
            cafe = await bench_cafe(
                api,
                title="Join benchmark",
                phones=args.phones,
                rounds=[{"question": "What would help?", "minutes": 30}],
            )
            gate = asyncio.Semaphore(args.concurrency)

            async def one(join: Join) -> None:
                async with gate:
                    await join_one(server.url, cafe["code"], cafe["id"], join, args.sockets)

            print(f"{args.phones} phones join, {args.concurrency} in flight; load {load()}")
            profiler = start_profiler(args.profile, pid, gil=True) if args.profile else None
            work0 = await database_work(api) if counted else Counter()
            backends0 = postgres_backends(url)
            pg0 = postgres_cpu(backends0)
            cpu0, wall0, steal = cpu_seconds(pid), time.perf_counter(), Steal()
            mine0 = time.process_time()
            await asyncio.gather(*(one(j) for j in joins))
            args.client_cpu = time.process_time() - mine0
            stop_profiler(profiler, args.profile)
            wall, cpu = time.perf_counter() - wall0, cpu_seconds(pid) - cpu0
            stolen = steal.share()
            args.work = (await database_work(api) - work0) if counted else Counter()
            # Backends started during the burst count from 0; those there before, from then.
            args.pg_cpu = postgres_cpu(postgres_backends(url)) - pg0
            try:
                r = await api.get(f"/api/v1/cafes/{cafe['id']}/participants")
                stored = len(r.json()) if r.status_code == 200 else -1
            except httpx.HTTPError as exc:
                print(f"the participant list did not answer: {type(exc).__name__}")
                stored = -1
    finally:
        for join in joins:
            if join.socket is not None:
                await join.socket.close()
        server.stop()
    return report(args, joins, wall, cpu, stolen, stored, server)


def report(
    args: argparse.Namespace,
    joins: list[Join],
    wall: float,
    cpu: float,
    stolen: float,
    stored: int,
    server: LiveServer,
) -> bool:
    done = [j.seconds for j in joins if not j.error]
    errors = Counter(j.error for j in joins if j.error)
    p50, p95, p99 = (percentile(done, p) for p in (50, 95, 99))
    page = [j.steps[0] for j in joins if j.steps]
    print(
        f"{len(done)} of {len(joins)} joined in {wall:.1f} s ({len(done) / wall:.0f} joins/s); "
        f"errors: {dict(errors) or 0}"
    )
    print(
        f"join (3 requests) p50 {p50:.2f} s, p95 {p95:.2f} s, p99 {p99:.2f} s, "
        f"max {max(done, default=math.inf):.2f} s; join page alone p99 "
        f"{percentile(page, 99):.2f} s"
    )
    print(
        f"server CPU {cpu:.1f} s ({cpu / max(1, len(done)) * 1000:.1f} ms a join); "
        f"the phones' own CPU {args.client_cpu:.1f} s; "
        f"participants stored {stored}; load average {load()}; "
        f"the hypervisor took {stolen:.0%}"
    )
    if args.pg_cpu:
        print(
            f"PostgreSQL's server processes: {args.pg_cpu:.1f} s of CPU "
            f"({args.pg_cpu / max(1, len(done)) * 1000:.1f} ms a join)"
        )
    if args.work:
        each = {k: v / max(1, len(joins)) for k, v in args.work.items()}
        print(
            f"database work a join (the three requests and the socket): "
            f"{each.get('statements', 0):.1f} statements, "
            f"{each.get('transactions', 0):.1f} transactions begun, "
            f"{each.get('checkouts', 0):.1f} connections taken from the pool, "
            f"{each.get('pings', 0):.1f} of them checked first (a round trip each); "
            f"{each.get('thread_hops', 0):.1f} hops to a worker thread"
        )
    log = server.log_path.read_text(errors="replace").splitlines()
    bad = [line for line in log if any(w in line for w in ("ERROR", "Traceback"))]
    if bad:
        causes = Counter(line for line in log if line[:1].isalpha() and "Error" in line)
        print(f"the server logged {len(bad)} errors; causes: {causes.most_common(3)}")
    if args.keep_log:
        Path(args.keep_log).write_text("\n".join(log))
    met = not errors and p99 < TARGET_P99 and stored == len(joins)
    print(f"target (0 errors, p99 join < {TARGET_P99:g} s): {'yes' if met else 'NO'}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200, help="joins in flight at once")
    parser.add_argument(
        "--database",
        default="",
        help="SQLAlchemy URL (default: a SQLite file in a temporary directory)",
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="hub for --workers")
    parser.add_argument(
        "--no-sockets",
        dest="sockets",
        action="store_false",
        help="do not open each phone's websocket after it joins",
    )
    parser.add_argument("--profile", help="py-spy output (.svg, .json or .txt) while joining")
    parser.add_argument("--keep-log", help="copy the server's log here")
    args = parser.parse_args()
    raise_fd_limit(2 * args.phones + 256)
    print(f"{args.phones} phones; {os.cpu_count()} CPUs, load average {load()}")
    with tempfile.TemporaryDirectory(prefix="tablecloth-joins-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
