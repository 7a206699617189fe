"""Phones and a facilitator talking to a live server over real HTTP and websockets.

Shared by the multi-worker and restart tests and by `bench/fanout.py`. A phone joins like a
person does (join form, CSRF token, signed session cookie) and then opens the participant
websocket with that cookie and the Origin of the app's public address.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

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
