"""Contribution benchmark: ``.venv/bin/python bench/contributions.py [--rate 300]``.

N phones join a café over real HTTP (join form, CSRF token, signed cookie), round 1 starts
and every phone opens its participant websocket to ONE uvicorn process. Then, for
``--seconds``, phones post contributions at ``--rate`` posts a second on an open-loop
schedule (a post starts at its time whether or not earlier ones have been answered, so a
slow server shows as latency rather than as a lower offered rate).

A post is what the phone's contribution form sends through htmx: a urlencoded form
(``csrf_token``, ``client_id``, ``text``, ``kind``, ``evidence_type``, ``page``) with the headers
``HX-Request: true`` and ``X-CSRF-Token``, the session cookie and the app's Origin; the
answer is the board fragment. Each text carries a unique marker; for each post we time
the moment a fragment containing it reaches ANOTHER phone at the same table over its
websocket, counted from the start of the POST.

The server, the phones and whatever else runs on the machine share its CPUs.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import math
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx2 as httpx  # noqa: E402
from _phones import (  # noqa: E402
    EMAIL,
    PASSWORD,
    Steal,
    bench_cafe,
    cpu_seconds,
    gather_limited,
    join_all,
    languages_of,
    load,
    percentile,
    phones_without_gc_pauses,
    prepare_database,
    raise_fd_limit,
    start_profiler,
    start_server,
    stop_profiler,
)
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.typing import Origin  # noqa: E402

from app import i18n  # noqa: E402
from app.models.evidence import EVIDENCE_FOR_ROLE  # noqa: E402
from app.security import SESSION_COOKIE  # noqa: E402
from tests.live_phones import ws_url  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

TARGET_RATE = 300  # contributions a second, sustained (the target on SQLite)
CARD_TARGET = 0.25  # seconds from POST to the card on a tablemate's phone, p99


@dataclass
class Post:
    """One contribution: who sends it, who should see it, and when things happened."""

    n: int
    author: int
    observer: int
    marker: str
    scheduled: float
    began: float = 0.0
    answered: float = 0.0
    status: int | None = None
    error: str | None = None
    seen: float | None = None
    copies: int = 0
    in_answer: bool = False


@dataclass
class Phone:
    name: str
    cookie: str
    csrf: str
    table: int | None = None
    # The language switch's cookie this phone sends ("": none).
    lang: str = ""
    ws: ClientConnection | None = None
    expecting: dict[str, Post] = field(default_factory=dict)
    messages: int = 0
    chars: int = 0
    last_message: float = 0.0
    reader: asyncio.Task[None] | None = None
    # What the participant page names itself (`page_id`): its socket and its posts carry it,
    # so the socket is not sent the card the post's answer brings.
    page: str = field(default_factory=lambda: secrets.token_urlsafe(9))

    def cookie_header(self) -> str:
        """The session, and the language switch's cookie if this phone chose a language."""
        chosen = f"; {i18n.COOKIE}={self.lang}" if self.lang else ""
        return f"{SESSION_COOKIE}={self.cookie}{chosen}"

    async def read(self) -> None:
        assert self.ws is not None
        try:
            async for message in self.ws:
                now = time.perf_counter()
                html = message if isinstance(message, str) else message.decode()
                self.messages += 1
                self.chars += len(html)
                self.last_message = now
                if not self.expecting:
                    continue
                for marker in [m for m in self.expecting if m in html]:
                    post = self.expecting.pop(marker)
                    post.seen = now
                    post.copies = html.count(f">Idea {marker} ")
        except Exception:  # noqa: BLE001 - the socket closed under us; counted as missing
            return


def figures(values: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else math.inf,
        "count": float(len(values)),
    }


def ms(f: dict[str, float]) -> str:
    return "  ".join(f"{k} {v * 1000:6.0f}" for k, v in f.items() if k != "count") + " ms"


async def open_sockets(phones: list[Phone], url: str, origin: str, compression: str | None) -> None:
    async def one(phone: Phone) -> None:
        phone.ws = await connect(
            f"{url}?page={phone.page}",
            origin=Origin(origin.rstrip("/")),
            additional_headers={"Cookie": phone.cookie_header()},
            compression=compression,
            proxy=None,
            open_timeout=60,
            max_size=None,
            max_queue=None,
        )
        phone.reader = asyncio.create_task(phone.read())

    await gather_limited(64, [one(p) for p in phones])


@dataclass
class Console:
    """The facilitator's live console, watching every board while the phones post."""

    ws: ClientConnection
    messages: int = 0
    characters: int = 0
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        async for message in self.ws:
            self.messages += 1
            self.characters += len(message)

    async def close(self) -> None:
        await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


async def open_console(base_url: str, cafe_id: int) -> Console:
    """Log in through the form as the facilitator does and open the console's websocket."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        page = await client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        r = await client.post(
            "/login",
            data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert r.status_code in (200, 303), r.text
        cookie = client.cookies.get(SESSION_COOKIE)
    ws = await connect(
        ws_url(base_url, f"/ws/console/{cafe_id}"),
        origin=Origin(base_url.rstrip("/")),
        additional_headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
        proxy=None,
        max_size=None,
    )
    console = Console(ws)
    await ws.recv()  # the first push: the whole console
    console.reader = asyncio.create_task(console.read())
    return console


async def post_all(
    args: argparse.Namespace, base_url: str, code: str, phones: list[Phone]
) -> tuple[list[Post], float]:
    """Post on the open-loop schedule; returns the posts and the schedule's start."""
    by_table: dict[int, list[int]] = {}
    for i, phone in enumerate(phones):
        if phone.table is not None:
            by_table.setdefault(phone.table, []).append(i)
    # Authors: every seated phone with a tablemate, in a shuffled round-robin; the observer
    # is the next person at the same table.
    observer_of: dict[int, int] = {}
    for mates in by_table.values():
        for k, i in enumerate(mates):
            if len(mates) > 1:
                observer_of[i] = mates[(k + 1) % len(mates)]
    authors = list(observer_of)
    random.Random(7).shuffle(authors)
    if not authors:
        raise SystemExit("no table has two people: nobody can see anybody's card")
    total = int(args.rate * args.seconds)
    evidence = EVIDENCE_FOR_ROLE[None]  # the form pre-selects this for people with no role
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=None)
    posts: list[Post] = []
    tasks: list[asyncio.Task[None]] = []

    raw = RawPoster(base_url) if args.client == "raw" else None
    async with httpx.AsyncClient(base_url=base_url, timeout=args.timeout, limits=limits) as client:

        async def send(post: Post) -> None:
            phone, observer = phones[post.author], phones[post.observer]
            observer.expecting[post.marker] = post  # the card can beat the answer
            body = {
                "csrf_token": phone.csrf,
                "client_id": secrets.token_urlsafe(16),
                "text": f"Idea {post.marker} from {phone.name}: let us try this at our table.",
                "kind": "idea",
                "evidence_type": evidence,
                "page": phone.page,
            }
            headers = {
                "HX-Request": "true",
                "X-CSRF-Token": phone.csrf,
                "Origin": base_url,
                "Cookie": phone.cookie_header(),
            }
            post.began = time.perf_counter()
            path = f"/p/{code}/contributions"
            try:
                if raw is not None:
                    status, text = await asyncio.wait_for(
                        raw.post(post.author, path, body, headers), args.timeout
                    )
                else:
                    r = await client.post(path, data=body, headers=headers)
                    status, text = r.status_code, r.text
                    client.cookies.clear()  # each phone has its own jar; this client is shared
                post.answered = time.perf_counter()
                post.status = status
                post.in_answer = f">Idea {post.marker} " in text
                if status != 200:
                    post.error = text[:200]
                    observer.expecting.pop(post.marker, None)
            except (httpx.HTTPError, OSError, TimeoutError, ValueError, IndexError) as exc:
                post.answered = time.perf_counter()
                post.error = type(exc).__name__
                observer.expecting.pop(post.marker, None)

        start = time.perf_counter() + 0.5
        for n in range(total):
            at = start + n / args.rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            author = authors[n % len(authors)]
            post = Post(n, author, observer_of[author], f"bench{n:07d}x", at)
            posts.append(post)
            tasks.append(asyncio.create_task(send(post)))
        await asyncio.gather(*tasks)
        if raw is not None:
            print(f"the phones opened {raw.fresh} HTTP connections for {total} posts")
            await raw.close()
    # Cards still on their way: wait for them a little.
    deadline = time.perf_counter() + args.grace
    while time.perf_counter() < deadline and any(p.status == 200 and p.seen is None for p in posts):
        await asyncio.sleep(0.05)
    return posts, start


class RawPoster:
    """A lean HTTP/1.1 client for the posts alone: each phone posts over its own keep-alive
    connection, as a phone's browser does (asyncio streams, the request written as bytes, the
    answer read by its Content-Length or chunks, gunzipped), and opens a new one when the
    server has closed it (after its keep-alive timeout). httpx costs the bench about a
    millisecond of CPU a post, and the bench shares the machine's two cores with the server
    it measures (phones are devices of their own); `--client httpx` measures with httpx.

    (Until 2026-11-28 the phones shared a pool of `--connections` connections: in a burst
    every pooled connection was busy, the pool opened new ones, and the server, which accepts
    one new connection per turn of its event loop (libuv), let them wait behind the posts on
    the connections it had. Phones do not share connections.)"""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.authority = parts.netloc
        self.conns: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        self.fresh = 0  # connections opened

    async def post(
        self, phone: int, path: str, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, str]:
        body = urlencode(form).encode()
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {self.authority}",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
            "Accept-Encoding: gzip",  # as browsers do: the server pays for compressing
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        while True:
            conn = self.conns.pop(phone, None)
            fresh = conn is None
            if conn is None:
                conn = await asyncio.open_connection(self.host, self.port)
                self.fresh += 1
            try:
                status, text, keep = await self._exchange(*conn, request)
            except (ConnectionError, asyncio.IncompleteReadError, IndexError):
                conn[1].close()
                if fresh:
                    raise
                continue  # the server closed the phone's idle connection: open another
            except BaseException:
                conn[1].close()
                raise
            if keep and phone not in self.conns:
                self.conns[phone] = conn
            else:  # closed by the server, or a second connection for a second post at once
                conn[1].close()
            return status, text

    @staticmethod
    async def _exchange(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
    ) -> tuple[int, str, bool]:
        writer.write(request)
        status = int((await reader.readline()).split(b" ", 2)[1])
        fields: dict[bytes, bytes] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip()
        if b"content-length" in fields:
            data = await reader.readexactly(int(fields[b"content-length"]))
        elif fields.get(b"transfer-encoding", b"").lower() == b"chunked":
            chunks = []
            while size := int((await reader.readline()).strip(), 16):
                chunks.append(await reader.readexactly(size))
                await reader.readline()
            await reader.readline()
            data = b"".join(chunks)
        else:
            data = await reader.read()  # to the end: the connection is done
            fields[b"connection"] = b"close"
        if fields.get(b"content-encoding") == b"gzip":
            data = gzip.decompress(data)
        keep = fields.get(b"connection", b"").lower() != b"close"
        return status, data.decode(), keep

    async def close(self) -> None:
        for _, writer in self.conns.values():
            writer.close()
        self.conns.clear()


async def rows_per_marker(api: httpx.AsyncClient, cafe_id: int) -> Counter[str]:
    """How many contributions the server holds for each marker (duplicates, lost posts)."""
    found: Counter[str] = Counter()
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if after:
            params["after"] = after
        r = await api.get(f"/api/v1/cafes/{cafe_id}/contributions", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        for item in page["items"]:
            for word in str(item.get("text", "")).split():
                if word.startswith("bench") and word.endswith("x"):
                    found[word] += 1
        after = page["next_cursor"]
        if not page["has_more"]:
            return found


def report(
    args: argparse.Namespace,
    posts: list[Post],
    start: float,
    server_cpu: float,
    idle_cpu: float,
    client_cpu: float,
    rows: Counter[str],
    phones: list[Phone],
    stolen: float = 0.0,
) -> dict[str, Any]:
    ok = [p for p in posts if p.status == 200]
    end = start + args.seconds
    last_start = max(p.began for p in posts)
    offered = (len(posts) - 1) / (last_start - start) if len(posts) > 1 else 0.0
    lag = [p.began - p.scheduled for p in posts]
    post_latency = [p.answered - p.began for p in ok]
    card_latency = [p.seen - p.began for p in ok if p.seen is not None]
    # A post offered in the last moment of the window has the card target's 250 ms to be
    # answered like any other: counting only answers before the window's end would ask the
    # last post to be answered in 1/rate seconds, which no server with any latency can do.
    closes = end + CARD_TARGET
    answered_in_window = sum(1 for p in ok if p.answered <= closes)
    seen_in_window = sum(1 for p in ok if p.seen is not None and p.seen <= closes)
    last_answer = max(p.answered for p in posts)
    seen_times = [p.seen for p in ok if p.seen is not None]
    statuses = Counter(str(p.status) if p.status is not None else p.error for p in posts)
    missing = sum(1 for p in ok if p.seen is None)
    shown_twice = sum(1 for p in ok if p.copies > 1)
    stored_twice = sum(1 for count in rows.values() if count > 1)
    not_stored = sum(1 for p in ok if rows.get(p.marker, 0) == 0)
    out: dict[str, Any] = {
        "phones": args.phones,
        "workers": args.workers,
        "database": args.database.split("://", 1)[0],
        "seconds": args.seconds,
        "rate": args.rate,
        "posts": len(posts),
        "offered_per_s": offered,
        "schedule_lag": figures(lag),
        "answered_per_s_in_window": answered_in_window / args.seconds,
        "cards_per_s_in_window": seen_in_window / args.seconds,
        "answered_per_s_overall": len(ok) / (last_answer - start),
        "cards_per_s_overall": (len(seen_times) / (max(seen_times) - start) if seen_times else 0.0),
        "drain_seconds": last_answer - end,
        "post_latency": figures(post_latency),
        "card_latency": figures(card_latency),
        "statuses": dict(statuses),
        "errors": [p.error for p in posts if p.error][:5],
        "missing_cards": missing,
        "shown_twice": shown_twice,
        "stored_twice": stored_twice,
        "not_stored": not_stored,
        "server_cpu_seconds": server_cpu,
        "server_cpu_ms_per_post": server_cpu / max(1, len(ok)) * 1000,
        "server_idle_cpu_seconds": idle_cpu,
        "server_cpu_ms_per_post_net": (server_cpu - idle_cpu) / max(1, len(ok)) * 1000,
        "client_cpu_seconds": client_cpu,
        "ws_messages": sum(p.messages for p in phones),
        "ws_chars": sum(p.chars for p in phones),
        "load_average": load(),
        "cpu_stolen_share": stolen,
    }
    print(f"\n{args.phones} phones, {args.seconds:g} s at {args.rate:g} posts/s offered")
    print(
        f"offered       {offered:7.1f} posts/s ({len(posts)} posts; the schedule ran late by"
        f" p99 {percentile(lag, 99) * 1000:.0f} ms, max {max(lag) * 1000:.0f} ms)"
    )
    print(
        f"throughput    {out['answered_per_s_in_window']:7.1f} posts answered/s and "
        f"{out['cards_per_s_in_window']:.1f} cards delivered/s within the {args.seconds:g} s"
        f" (+{CARD_TARGET * 1000:.0f} ms);"
        f" overall {out['answered_per_s_overall']:.1f} and {out['cards_per_s_overall']:.1f}/s"
        f" (the last answer {out['drain_seconds']:.1f} s after the schedule ended)"
    )
    print(f"POST          {ms(out['post_latency'])}  ({len(post_latency)} answered 200)")
    print(f"POST -> card  {ms(out['card_latency'])}  (on a tablemate's socket)")
    by_second: dict[int, list[float]] = {}
    for p in ok:
        if p.seen is not None:
            by_second.setdefault(int(p.scheduled - start), []).append(p.seen - p.began)
    out["card_p99_by_second"] = {s: percentile(v, 99) for s, v in sorted(by_second.items())}
    print(
        "card p99 by second of the schedule (ms): "
        + " ".join(f"{v * 1000:.0f}" for v in out["card_p99_by_second"].values())
    )
    print(f"statuses      {dict(statuses)}")
    if out["errors"]:
        print(f"errors        {out['errors']}")
    print(
        f"missing cards {missing}; shown twice {shown_twice}; stored twice {stored_twice};"
        f" answered 200 but not stored {not_stored}"
    )
    print(
        f"server CPU    {server_cpu:.1f} s ({out['server_cpu_ms_per_post']:.1f} ms per post,"
        f" {out['server_cpu_ms_per_post_net']:.1f} ms net of the idle sockets' own);"
        f" this process {client_cpu:.1f} s; {out['ws_messages']} websocket messages,"
        f" {out['ws_chars'] / 1e6:.0f} M characters"
    )
    p99 = out["card_latency"]["p99"]
    met = (
        out["answered_per_s_in_window"] >= TARGET_RATE
        and out["cards_per_s_in_window"] >= TARGET_RATE
        and p99 < CARD_TARGET
        and not (missing or shown_twice or stored_twice or not_stored)
    )
    print(
        f"load average  {load()}; the hypervisor took {stolen:.0%} of the machine's CPU time"
        " while the phones posted"
    )
    print(
        f"target (>= 300 posts/s sustained, card p99 < 250 ms): {'yes' if met else 'NO'}"
        + ("" if args.rate >= TARGET_RATE else f" (offered less than {TARGET_RATE}/s)")
    )
    return out


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    url = args.database or f"sqlite:///{workdir / 'contributions.db'}"
    args.database = url
    prepare_database(url)
    hub = "memory://" if args.workers == 1 else args.redis
    server = start_server(
        LiveServer(database_url=url, log_dir=workdir, workers=args.workers, broadcast_url=hub)
    )
    assert server.process is not None
    pid = server.process.pid
    print(f"server pid {pid} at {server.url} on {url.split('://', 1)[0]} (log {server.log_path})")
    profiler = None
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=120) as api:
            cafe = await bench_cafe(
                api,
                title="Contribution benchmark",
                phones=args.phones,
                rounds=[{"question": "What would help?", "minutes": 30}],
            )

            began = time.perf_counter()
            joined = await join_all(server.url, cafe["code"], args.phones, args.join_concurrency)
            langs = languages_of(args.languages)
            phones = [
                Phone(name, cookie, csrf, lang=langs[n % len(langs)])
                for n, (name, cookie, csrf) in enumerate(joined)
            ]
            print(f"{args.phones} phones joined over HTTP in {time.perf_counter() - began:.1f} s")
            print(f"phones read {args.languages.replace(',', ' and ')}, in turn")
            r = await api.post(f"/api/v1/cafes/{cafe['id']}/rounds/next")
            assert r.status_code == 200, r.text
            r = await api.get(f"/api/v1/cafes/{cafe['id']}/seating")
            table_of = {s["display_name"]: s["table_id"] for s in r.json()["seats"]}
            for phone in phones:
                phone.table = table_of.get(phone.name)

            began = time.perf_counter()
            await open_sockets(
                phones, ws_url(server.url, f"/ws/p/{cafe['id']}"), server.url, args.compression
            )
            print(f"{len(phones)} websockets open in {time.perf_counter() - began:.1f} s")
            console = await open_console(server.url, cafe["id"]) if args.console else None
            await asyncio.sleep(1)
            idle0, idle_at = cpu_seconds(pid), time.perf_counter()
            await asyncio.sleep(2)
            idle = (cpu_seconds(pid) - idle0) / (time.perf_counter() - idle_at)
            print(f"the server idles at {idle * 100:.0f}% of a CPU with {len(phones)} sockets open")

            print(f"posting for {args.seconds:g} s at {args.rate:g}/s; load average {load()}")
            if args.profile:
                profiler = start_profiler(args.profile, pid, gil=True)
            cpu0, mine0, wall0 = cpu_seconds(pid), time.process_time(), time.perf_counter()
            steal = Steal()
            with phones_without_gc_pauses():
                posts, start = await post_all(args, server.url, cafe["code"], phones)
            stolen = steal.share()
            cpu1, mine1 = cpu_seconds(pid), time.process_time()
            idle_cpu = idle * (time.perf_counter() - wall0)
            stop_profiler(profiler, args.profile)
            profiler = None
            rows = await rows_per_marker(api, cafe["id"])
            for post in [p for p in posts if p.status == 200 and p.seen is None][:5]:
                o = phones[post.observer]
                print(
                    f"missing: post {post.n} by {phones[post.author].name} at"
                    f" {phones[post.author].table}, watched by {o.name} at {o.table}, whose"
                    f" last message came {o.last_message - post.began:+.1f} s after the POST"
                    f" (answered after {post.answered - post.began:.1f} s; card in the answer:"
                    f" {post.in_answer})"
                )
            lacking = sum(1 for p in posts if p.status == 200 and not p.in_answer)
            if lacking:
                print(f"{lacking} answers did not show their own card")
            closed = [p for p in phones if p.reader is not None and p.reader.done()]
            if closed:
                codes = Counter(str(p.ws.close_code) if p.ws else "?" for p in closed)
                print(f"{len(closed)} websockets closed during the run: {dict(codes)}")
            for phone in phones:
                if phone.ws is not None:
                    await phone.ws.close()
            if console is not None:
                print(
                    f"the console got {console.messages} pushes "
                    f"({console.characters / 1e6:.1f} M characters) while the phones posted"
                )
                await console.close()
            return report(
                args, posts, start, cpu1 - cpu0, idle_cpu, mine1 - mine0, rows, phones, stolen
            )
    finally:
        stop_profiler(profiler, args.profile)
        server.stop()
        log = server.log_path.read_text(errors="replace").splitlines()
        warnings = [
            line
            for line in log
            if any(w in line for w in ("WARNING", "ERROR", "Error", "Traceback", "hub:"))
        ]
        if warnings:
            print(f"the server logged {len(warnings)} warnings or errors, e.g.:")
            for line in warnings[:3]:
                print(f"  {line[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=300, help="posts a second, offered")
    parser.add_argument("--seconds", type=float, default=20, help="how long posts are offered")
    parser.add_argument(
        "--database",
        default="",
        help="SQLAlchemy URL (default: a SQLite file in a temporary directory); for "
        "PostgreSQL use a database of its own, e.g. createdb -h 127.0.0.1 -U postgres bench",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes (more than one share events through Redis, --redis)",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="hub for --workers")
    parser.add_argument(
        "--console",
        action="store_true",
        help="the facilitator's live console is open too (it redraws every board as posts come)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=256,
        help="HTTP connections at most (--client httpx; the lean client gives each phone its own)",
    )
    parser.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="what posts: a lean HTTP/1.1 client (default since 2026-11-28) or httpx (before)",
    )
    parser.add_argument("--timeout", type=float, default=30, help="seconds a POST may take")
    parser.add_argument("--grace", type=float, default=10, help="seconds to wait for late cards")
    parser.add_argument("--join-concurrency", type=int, default=16)
    parser.add_argument(
        "--languages",
        default="cy,en",
        help="the languages the phones read, in turn (cy,en: half Welsh, half English; en: one)",
    )
    parser.add_argument(
        "--no-compression",
        dest="compression",
        action="store_const",
        const=None,
        default="deflate",
        help="do not offer permessage-deflate (browsers do offer it)",
    )
    parser.add_argument("--profile", help="py-spy output (.svg, .json or .txt) while posting")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep-db", help="copy the SQLite file here at the end (to study it)")
    args = parser.parse_args()
    raise_fd_limit(2 * args.phones + args.connections)
    print(f"{args.phones} phones; {os.cpu_count()} CPUs, load average {load()}")
    with tempfile.TemporaryDirectory(prefix="tablecloth-contributions-") as tmp:
        out = asyncio.run(run(args, Path(tmp)))
        if args.keep_db and args.database.startswith("sqlite"):
            shutil.copy(Path(tmp) / "contributions.db", args.keep_db)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
