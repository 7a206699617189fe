"""Phones and a facilitator talking to a live server over real HTTP and websockets.

Shared by the multi-worker and restart tests and by `bench/fanout.py`. A phone joins like a
person does (join form, CSRF token, signed session cookie) and then opens the participant
websocket with that cookie and the Origin of the app's public address.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx2 as httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from app.security import SESSION_COOKIE

TABLE_RE = re.compile(r'id="my-table" data-table-id="(\d+)"')
SECONDS_RE = re.compile(r'data-seconds-left="(\d+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def table_in(html: str) -> int | None:
    """The table a "now" fragment sends the phone to, if it names one."""
    match = TABLE_RE.search(html)
    return int(match.group(1)) if match else None


def seconds_in(html: str) -> int | None:
    """The seconds left on the round clock in a "now" fragment."""
    match = SECONDS_RE.search(html)
    return int(match.group(1)) if match else None


def ws_url(http_url: str, path: str) -> str:
    return "ws" + http_url.removeprefix("http").rstrip("/") + path


class FacilitatorApi:
    """The facilitator's side over the JSON API with a bearer token."""

    def __init__(self, base_url: str, email: str, password: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=60)
        r = self.client.post("/api/v1/auth/token", data={"username": email, "password": password})
        assert r.status_code == 200, r.text
        self.client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def use(self, base_url: str) -> FacilitatorApi:
        """Send the next requests to another process of the same app (same token)."""
        self.client.base_url = httpx.URL(base_url)
        return self

    def create_cafe(
        self, *, tables: int, capacity: int, rounds: int = 3, minutes: int = 10
    ) -> dict[str, Any]:
        r = self.client.post(
            "/api/v1/cafes",
            json={
                "title": "Live test café",
                "table_count": tables,
                "table_capacity": capacity,
                "rounds": [
                    {"question": f"Question {n}?", "minutes": minutes} for n in range(1, rounds + 1)
                ],
            },
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    def next_round(self, cafe_id: int) -> dict[str, Any]:
        r = self.client.post(f"/api/v1/cafes/{cafe_id}/rounds/next")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def seating(self, cafe_id: int) -> dict[str, int]:
        """Display name -> table id in the current round."""
        r = self.client.get(f"/api/v1/cafes/{cafe_id}/seating")
        assert r.status_code == 200, r.text
        return {s["display_name"]: s["table_id"] for s in r.json()["seats"]}

    def close(self) -> None:
        self.client.close()


class LeanPhone:
    """One phone's HTTP/1.1: its own connection and its session cookie, nothing more (for
    many phones at once: `bench/joins.py`, the join-burst test).

    httpx spent twice the server's CPU on its side of a join (25 s against 12 s for 1,000
    joins, 2026-12-06): on a 2-CPU machine the phones, not the server, then set the pace,
    and the figures were the client's. Phones are devices of their own; this costs little."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.authority = parts.netloc
        self.cookie = ""
        self.conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        body = urlencode(form).encode() if form is not None else b""
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.authority}",
            "Accept: text/html",
            "Accept-Encoding: gzip",
        ]
        if self.cookie:
            head.append(f"Cookie: {SESSION_COOKIE}={self.cookie}")
        if form is not None:
            head += [
                f"Origin: {self.base_url}",
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        for attempt in range(2):
            fresh = self.conn is None
            if self.conn is None:
                self.conn = await asyncio.open_connection(self.host, self.port)
            try:
                return await self._exchange(request)
            except (ConnectionError, asyncio.IncompleteReadError, IndexError):
                self.close()
                if fresh or attempt:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, request: bytes) -> tuple[int, str]:
        assert self.conn is not None
        reader, writer = self.conn
        writer.write(request)
        status = int((await reader.readline()).split(b" ", 2)[1])
        fields: dict[bytes, bytes] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"set-cookie" and value.startswith(SESSION_COOKIE.encode() + b"="):
                self.cookie = value.split(b";", 1)[0].split(b"=", 1)[1].decode()
            fields[name] = value
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
            data = await reader.read()
            fields[b"connection"] = b"close"
        if fields.get(b"content-encoding") == b"gzip":
            data = gzip.decompress(data)
        if fields.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, data.decode()

    def close(self) -> None:
        if self.conn is not None:
            self.conn[1].close()
            self.conn = None


def _join_form(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    match = CSRF_RE.search(page.text)
    assert match, "no CSRF token on the join page"
    return match.group(1)


def join(base_url: str, code: str, name: str) -> str:
    """Join as a person would; returns the signed session cookie the phone keeps."""
    with httpx.Client(base_url=base_url, timeout=30) as phone:
        token = _join_form(phone.get(f"/j/{code}"))
        r = phone.post(f"/j/{code}", data={"display_name": name, "csrf_token": token})
        assert r.status_code == 303, r.text
        cookie = phone.cookies.get(SESSION_COOKIE)
    assert cookie, "joining set no session cookie"
    return cookie


async def ajoin(client: httpx.AsyncClient, code: str, name: str) -> str:
    """`join` for many phones at once: `client` is used for this one person only."""
    token = _join_form(await client.get(f"/j/{code}"))
    r = await client.post(f"/j/{code}", data={"display_name": name, "csrf_token": token})
    assert r.status_code == 303, r.text
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie, "joining set no session cookie"
    return cookie


@dataclass
class Phone:
    """One person's phone: a session cookie and, while connected, the participant socket."""

    name: str
    cookie: str
    ws: ClientConnection | None = None
    fragments: list[tuple[float, str]] = field(default_factory=list)

    async def connect(
        self,
        server_url: str,
        cafe_id: int,
        origin: str,
        *,
        compression: str | None = "deflate",
        query: str = "",
    ) -> str:
        """Open the socket; returns the first fragment (the state the server pushes at once).
        `query`: what the page adds to the socket's address (`k=…&page=…`)."""
        self.ws = await connect(
            ws_url(server_url, f"/ws/p/{cafe_id}" + (f"?{query}" if query else "")),
            origin=Origin(origin.rstrip("/")),
            additional_headers={"Cookie": f"{SESSION_COOKIE}={self.cookie}"},
            compression=compression,
            proxy=None,
            open_timeout=30,
        )
        return await self.receive(timeout=10)

    async def receive(self, *, timeout: float) -> str:
        assert self.ws is not None, "not connected"
        message = await asyncio.wait_for(self.ws.recv(), timeout)
        html = message if isinstance(message, str) else message.decode()
        self.fragments.append((time.perf_counter(), html))
        return html

    async def wait_for_table(self, *, timeout: float, other_than: int | None = None) -> int:
        """Read fragments until one names a table (other than `other_than`)."""
        deadline = time.monotonic() + timeout
        while True:
            html = await self.receive(timeout=max(0.01, deadline - time.monotonic()))
            table = table_in(html)
            if table is not None and table != other_than:
                return table

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
