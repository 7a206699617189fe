"""How many websockets one person and one client address may hold open at once.

A phone that opens socket after socket on one cookie (a loop in a broken page, a script)
used to hold every one of them: 3,975 of them ran the process out of file descriptors and
new phones and `/healthz` waited. Now:

- a person (one participant, as their signed cookie names them) keeps at most
  `ws_per_person` sockets; the newest is always let in and the OLDEST is closed, so a phone
  that reconnects while its old socket still looks open is never locked out. It is closed
  with the policy-violation code, which the page's htmx does not reconnect on, so two tabs
  over the cap do not take turns throwing each other out;
- a client address holds at most `ws_per_address` (a venue's phones may all share one, so a
  room's worth); past that a new socket is refused before `accept()` (403 at the handshake),
  unless its person holds a socket from that address already: then their oldest there is
  closed instead. The console and the projector count against their address as well.

One `SocketLimits` per process (`SOCKETS`), so with several workers each counts its own.
Websockets of one app run on one event loop; the lock is for the tests, which run several
apps' loops in threads of one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field

from starlette.websockets import WebSocket, WebSocketDisconnect

from app.live.sockets import POLICY_VIOLATION


@dataclass(eq=False, slots=True)
class Held:
    """One open websocket as counted: its address, and the person it is of (if any)."""

    websocket: WebSocket
    address: str
    person: Hashable | None
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)


class SocketLimits:
    """Open websockets per person and per client address, for one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._addresses: dict[str, int] = {}
        self._people: dict[Hashable, list[Held]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def room_at(self, address: str, per_address: int) -> bool:
        """Whether `address` may open another socket (checked again by `take`)."""
        with self._lock:
            return self._addresses.get(address, 0) < per_address

    def take(
        self,
        websocket: WebSocket,
        *,
        address: str,
        person: Hashable | None,
        per_person: int,
        per_address: int,
    ) -> Held | None:
        """Count a new socket, or None if its address holds `per_address` already. Past
        `per_person` sockets of the same person, the oldest are closed; at a full address a
        person who holds a socket from it trades their oldest there for the new one."""
        with self._lock:
            mine = self._people.get(person, []) if person is not None else []
            evicted: list[Held] = []
            if self._addresses.get(address, 0) >= per_address:
                own = next((h for h in mine if h.address == address), None)
                if own is None:
                    return None
                mine.remove(own)
                evicted.append(own)
            self._addresses[address] = self._addresses.get(address, 0) + 1
            held = Held(websocket, address, person)
            if person is not None:
                mine.append(held)
                self._people[person] = mine
                if len(mine) > per_person:
                    evicted += mine[: len(mine) - per_person]
                    del mine[: len(mine) - per_person]
        for old in evicted:
            self._close(old)
        return held

    def release(self, held: Held) -> None:
        """The socket is gone: it no longer counts (call once per `take`)."""
        with self._lock:
            left = self._addresses.get(held.address, 0) - 1
            if left > 0:
                self._addresses[held.address] = left
            else:
                self._addresses.pop(held.address, None)
            if held.person is not None and (mine := self._people.get(held.person)):
                with contextlib.suppress(ValueError):  # already closed as the oldest
                    mine.remove(held)
                if not mine:
                    del self._people[held.person]

    def at_address(self, address: str) -> int:
        with self._lock:
            return self._addresses.get(address, 0)

    def of_person(self, person: Hashable) -> int:
        with self._lock:
            return len(self._people.get(person, ()))

    def _close(self, old: Held) -> None:
        """Close an older socket of the same person from its own event loop, without waiting:
        its `serve` then ends and releases it."""

        def start() -> None:
            task = old.loop.create_task(_close_quietly(old.websocket))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is old.loop:
            start()
        elif not old.loop.is_closed():
            old.loop.call_soon_threadsafe(start)


async def _close_quietly(websocket: WebSocket) -> None:
    # It may have gone away, or be closing, at the same moment.
    with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
        await websocket.close(POLICY_VIOLATION)


SOCKETS = SocketLimits()
