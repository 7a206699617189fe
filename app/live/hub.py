"""The broadcast hub: small JSON events fanned out to live views.

One interface, two interchangeable backends chosen by URL (see `create_hub`):

* ``memory://`` -- `MemoryHub`, in-process; right for a single worker and for tests.
* ``redis://host:6379/0`` -- `RedisHub`, Redis pub/sub, so several worker processes serve
  one café. Each process holds ONE pub/sub connection whatever the number of subscribers,
  and a single reader task hands messages to the local subscribers of their channel.

Usage::

    async with hub.subscribe(cafe_channel(7), participant_channel(42)) as sub:
        async for event in sub:          # or: event = await sub.get(timeout=5)
            ...

    await hub.publish(cafe_channel(7), {"type": CafeEvent.ROUND_STARTED, "round": 2})

Every subscription has its own bounded queue. A consumer that falls behind loses its
*oldest* events (counted in `Subscription.dropped`) rather than slowing publishers: a live
view re-renders from the database on the next event anyway. Events are at-most-once and
only reach subscriptions that exist when they are published; the database stays the truth.
"""

from __future__ import annotations

import asyncio
import json
import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.live import collector
from app.live.collector import FAN_OUT

__all__ = [
    "DEFAULT_QUEUE_SIZE",
    "REDIS_PREFIX",
    "CafeEvent",
    "Event",
    "Hub",
    "MemoryHub",
    "RedisHub",
    "Subscription",
    "SubscriptionClosed",
    "board_channel",
    "cafe_channel",
    "create_hub",
    "participant_channel",
    "staff_channel",
    "table_channel",
]

log = logging.getLogger("tablecloth.hub")

DEFAULT_QUEUE_SIZE = 256
REDIS_PREFIX = "tablecloth:"


class CafeEvent(StrEnum):
    """The ``type`` of an event; the payload carries ids, never rendered content."""

    ROUND_STARTED = "round_started"
    ROUND_CHANGED = "round_changed"  # extended, paused or resumed
    CAFE_CLOSED = "cafe_closed"
    SEATING_CHANGED = "seating_changed"
    PARTICIPANT_JOINED = "participant_joined"
    BOARD_CHANGED = "board_changed"
    CARD_ADDED = "card_added"  # a new card on one table's board
    CONTRIBUTION_HIDDEN = "contribution_hidden"
    SAFEGUARDING_ALERT = "safeguarding_alert"
    ROUND_AHEAD = "round_ahead"  # the next round is drawn: its phones may be sent it ahead
    BROADCAST = "broadcast"  # a message from the facilitator to every phone
    HELP_ASKED = "help_asked"  # a phone asks for help (console and projector only)
    HELP_SEEN = "help_seen"  # the facilitator saw it (the phone that asked, and the console)
    HARVEST_CHANGED = "harvest_changed"  # the projector shows the harvest, or the round again


def cafe_channel(cafe_id: int) -> str:
    return f"cafe:{cafe_id}"


def table_channel(table_id: int) -> str:
    return f"table:{table_id}"


def board_channel(cafe_id: int) -> str:
    """Every board change of a café, for the facilitator's views (phones hear of changes to
    their own table's board on their participant channel instead)."""
    return f"boards:{cafe_id}"


def staff_channel(cafe_id: int) -> str:
    """What only the facilitator's console and projector need to hear (someone joined). Not
    the café channel: every phone of the café hears that, and when a room scans the code at
    once a thousand phones woke for each of a thousand joins, to draw nothing."""
    return f"staff:{cafe_id}"


def participant_channel(participant_id: int) -> str:
    return f"participant:{participant_id}"


def ahead_channel(cafe_id: int) -> str:
    """The phones of a café that keep a round sent ahead (their page's script does), told in
    the process that drew it (`Hub.deliver_here`) when the next round is ready to send."""
    return f"ahead:{cafe_id}"


@dataclass(frozen=True, slots=True)
class Event:
    """One delivered event. ``data`` is shared by every local subscriber: do not mutate it."""

    channel: str
    data: dict[str, Any]


class SubscriptionClosed(RuntimeError):
    """`Subscription.get` on a subscription that was exited or whose hub was stopped."""


def _normalise(event: dict[str, Any]) -> dict[str, Any]:
    """What a subscriber receives: a JSON round trip, identical for both backends
    (so an event that cannot cross Redis fails in tests with the memory hub too)."""
    data = json.loads(json.dumps(event))
    if not isinstance(data, dict):
        raise TypeError(f"an event must be a JSON object, not {type(event).__name__}")
    return data


class Subscription:
    """A live feed of the events on some channels; use it with ``async with``.

    Entering subscribes (on Redis: confirmed by the server before ``__aenter__`` returns, so
    an event published right afterwards is not missed); exiting unsubscribes and frees the
    queue. A subscription can be entered only once.
    """

    def __init__(self, hub: Hub, channels: tuple[str, ...], queue_size: int) -> None:
        self.channels = channels
        # Events discarded (oldest first) because this consumer fell behind.
        self.dropped = 0
        self._hub = hub
        self._size = queue_size
        # A deque and the futures of waiting readers, not an asyncio.Queue: at a rotation a
        # thousand subscriptions each take one event, and the queue's bookkeeping (its
        # unfinished-task count and event, its putters) was a fifth of that.
        self._events: deque[Event] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._entered = False
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    async def __aenter__(self) -> Subscription:
        if self._entered:
            raise RuntimeError("a Subscription can be entered only once")
        self._entered = True
        await self._hub._attach(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()
        await self._hub._detach(self)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self._next()
        except SubscriptionClosed:
            raise StopAsyncIteration from None

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event; ``None`` if none came within ``timeout`` seconds (``0`` polls).

        Raises `SubscriptionClosed` once the subscription was exited or the hub stopped.
        """
        if timeout is None:
            return await self._next()
        self._check_open()
        if timeout <= 0:
            return self._events.popleft() if self._events else None
        try:
            async with asyncio.timeout(timeout):
                return await self._next()
        except TimeoutError:
            return None

    async def _next(self) -> Event:
        while True:
            self._check_open()
            if self._events:
                return self._events.popleft()
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken for an event this reader will not take
                raise
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _check_open(self) -> None:
        if not self._entered:
            raise RuntimeError("use 'async with hub.subscribe(...)' before reading events")
        if self._closed:
            raise SubscriptionClosed("subscription is closed")

    def _wake(self) -> None:
        """Wake the reader waiting longest, if any."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _offer(self, event: Event) -> None:
        """Enqueue without ever blocking: when full, the oldest event makes room."""
        if self._closed:
            return
        if len(self._events) >= self._size:
            self._events.popleft()
            self.dropped += 1
        self._events.append(event)
        if self._waiters:
            self._wake()

    def close(self) -> None:
        """End the feed now: a reader waiting in `get` wakes with `SubscriptionClosed`.
        Exiting the ``async with`` still unsubscribes."""
        self._close()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._events.clear()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)


class Hub(ABC):
    """Publish/subscribe of small JSON events. Call `start` before use and `stop` after."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.queue_size = queue_size
        self._subs: dict[str, set[Subscription]] = {}

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None:
        """Release everything; open subscriptions are closed (their readers see the end)."""

    @abstractmethod
    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        """Send ``event`` (a JSON-serialisable dict) to every current subscriber of
        ``channel``, in every process sharing this hub's backend."""

    async def publish_many(self, channels: Sequence[str], event: dict[str, Any]) -> None:
        """`publish` the same event on several channels (on Redis, in one round trip)."""
        for channel in channels:
            await self.publish(channel, event)

    def subscribe(self, *channels: str) -> Subscription:
        """A subscription to one or more channels, to use as ``async with``."""
        if not channels:
            raise ValueError("subscribe() needs at least one channel")
        return Subscription(self, tuple(dict.fromkeys(channels)), self.queue_size)

    def deliver_here(self, channel: str, event: dict[str, Any]) -> None:
        """Hand ``event`` to this process's subscribers of ``channel`` only (on the event
        loop): for what only this process can serve, such as fragments it drew and keeps."""
        self._dispatch(channel, _normalise(event))

    @property
    def local_channels(self) -> frozenset[str]:
        """Channels with at least one subscriber in this process."""
        return frozenset(self._subs)

    def local_subscribers(self, channel: str) -> int:
        return len(self._subs.get(channel, ()))

    @abstractmethod
    async def _attach(self, sub: Subscription) -> None: ...

    @abstractmethod
    async def _detach(self, sub: Subscription) -> None: ...

    def _register(self, sub: Subscription) -> None:
        for channel in sub.channels:
            self._subs.setdefault(channel, set()).add(sub)

    def _unregister(self, sub: Subscription) -> None:
        for channel in sub.channels:
            subs = self._subs.get(channel)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[channel]

    def _dispatch(self, channel: str, data: dict[str, Any]) -> None:
        subs = self._subs.get(channel)
        if subs:
            event = Event(channel, data)
            hold = len(subs) >= FAN_OUT and collector.hold()
            try:
                for sub in subs:
                    sub._offer(event)
            finally:
                if hold:
                    # Queued behind the wake-ups the offers just queued: it runs once every
                    # subscriber has had its first turn (a phone, its part of a round start).
                    asyncio.get_running_loop().call_soon(collector.release)

    def _close_all(self) -> None:
        collector.release()
        for subs in self._subs.values():
            for sub in subs:
                sub._close()
        self._subs.clear()


class MemoryHub(Hub):
    """In-process hub: a dict of channel -> subscriptions; publish never awaits."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._close_all()

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        self._dispatch(channel, _normalise(event))

    async def publish_many(self, channels: Sequence[str], event: dict[str, Any]) -> None:
        data = _normalise(event)
        for channel in channels:
            self._dispatch(channel, data)

    async def _attach(self, sub: Subscription) -> None:
        self._register(sub)

    async def _detach(self, sub: Subscription) -> None:
        self._unregister(sub)


class RedisHub(Hub):
    """Redis pub/sub hub: one subscriber connection per process, one reader task.

    The Redis channel of ``cafe:7`` is ``tablecloth:cafe:7``. The process subscribes to a
    channel when its first local subscriber arrives and unsubscribes when the last leaves.
    If Redis drops, the reader logs, retries with back-off and resubscribes to every active
    channel; subscriptions stay open meanwhile (events published during the outage are lost,
    as they would be for a phone that is offline). Publishing uses a separate, ordinary
    connection; a publish that fails because Redis is unreachable is logged and dropped.
    """

    BACKOFF_MIN = 0.1
    BACKOFF_MAX = 5.0
    CONFIRM_TIMEOUT = 5.0
    # Publishes share a few connections and wait for a free one (a busy event loop is slow
    # to hand them back, and an event late is better than lost). With redis-py's ordinary
    # pool, a burst of board changes (each told to every phone at its table) beyond its 100
    # connections failed with "Too many connections" and the events were lost.
    PUBLISH_CONNECTIONS = 32
    PUBLISH_WAIT = 30.0

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        prefix: str = REDIS_PREFIX,
        client_name: str = "tablecloth",
    ) -> None:
        super().__init__(queue_size=queue_size)
        self.url = url
        self.prefix = prefix
        self.client_name = client_name
        self._publisher: Redis | None = None
        self._listener: Redis | None = None
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # guards the pub/sub connection and `_remote`
        self._connected = False
        self._remote: set[str] = set()  # channels SUBSCRIBEd on the current connection
        # Unconfirmed SUBSCRIBEs per channel, oldest first; the reader resolves them.
        self._pending: dict[str, deque[asyncio.Future[None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def connected(self) -> bool:
        """Whether the subscriber connection is up (for health checks)."""
        return self._connected

    async def start(self) -> None:
        if self._reader is not None:
            return
        common: dict[str, Any] = {
            "socket_connect_timeout": 5.0,
            "socket_timeout": 5.0,
            "socket_keepalive": True,
        }
        self._publisher = Redis.from_pool(
            BlockingConnectionPool.from_url(
                self.url,
                max_connections=self.PUBLISH_CONNECTIONS,
                timeout=self.PUBLISH_WAIT,
                client_name=f"{self.client_name}-pub",
                **common,
            )
        )
        # No retries inside redis-py for the subscriber: the reader loop owns reconnection.
        self._listener = Redis.from_url(
            self.url,
            client_name=f"{self.client_name}-sub",
            retry=Retry(NoBackoff(), 0),
            **common,
        )
        self._reader = asyncio.create_task(self._run(), name="tablecloth-hub-reader")

    async def stop(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        async with self._lock:
            await self._drop_connection()
        self._close_all()
        for client in (self._publisher, self._listener):
            if client is not None:
                await client.aclose()
        self._publisher = self._listener = None

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        if self._publisher is None:
            raise RuntimeError("RedisHub.publish() before start()")
        payload = json.dumps(event)
        try:
            await self._publisher.publish(self.prefix + channel, payload)
        except RedisError as exc:
            log.warning("hub: publish to %s dropped, Redis unavailable: %s", channel, exc)

    async def publish_many(self, channels: Sequence[str], event: dict[str, Any]) -> None:
        if self._publisher is None:
            raise RuntimeError("RedisHub.publish_many() before start()")
        payload = json.dumps(event)
        try:
            async with self._publisher.pipeline(transaction=False) as pipe:
                for channel in channels:
                    pipe.publish(self.prefix + channel, payload)
                await pipe.execute()
        except RedisError as exc:
            log.warning(
                "hub: publish to %s dropped, Redis unavailable: %s", ", ".join(channels), exc
            )

    # -- subscriptions ---------------------------------------------------------------------

    async def _attach(self, sub: Subscription) -> None:
        if self._reader is None:
            raise RuntimeError("RedisHub.subscribe() before start()")
        self._register(sub)
        try:
            await self._sync()
            waits = [self._pending[c][-1] for c in sub.channels if self._pending.get(c)]
            if waits:
                _, late = await asyncio.wait(waits, timeout=self.CONFIRM_TIMEOUT)
                if late:
                    log.warning(
                        "hub: Redis did not confirm SUBSCRIBE within %ss", self.CONFIRM_TIMEOUT
                    )
        except BaseException:
            sub._close()
            await self._detach(sub)
            raise

    async def _detach(self, sub: Subscription) -> None:
        self._unregister(sub)
        if self._reader is not None:
            await self._sync()

    async def _sync(self) -> None:
        """Bring the Redis subscriptions in line with the local ones. Runs as its own task,
        shielded, so a cancelled caller (a phone that left) cannot leave a channel behind."""
        task = asyncio.create_task(self._sync_now())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.shield(task)

    async def _sync_now(self) -> None:
        async with self._lock:
            await self._sync_locked()

    async def _sync_locked(self) -> None:
        pubsub = self._pubsub
        if not self._connected or pubsub is None:
            return  # the reader resubscribes everything when it reconnects
        wanted = set(self._subs)
        drop = sorted(self._remote - wanted)
        add = sorted(wanted - self._remote)
        try:
            if drop:
                self._remote.difference_update(drop)
                await pubsub.unsubscribe(*(self.prefix + c for c in drop))
            if add:
                loop = asyncio.get_running_loop()
                for channel in add:
                    self._pending.setdefault(channel, deque()).append(loop.create_future())
                self._remote.update(add)
                await pubsub.subscribe(*(self.prefix + c for c in add))
        except (RedisError, OSError) as exc:
            # The reader sees the broken connection too, reconnects and resubscribes.
            log.warning("hub: Redis (un)subscribe failed: %s", exc)

    # -- the reader ------------------------------------------------------------------------

    async def _run(self) -> None:
        delay = self.BACKOFF_MIN
        failing = False
        while True:
            try:
                await self._connect()
                if failing:
                    log.warning(
                        "hub: Redis pub/sub reconnected, %d channel(s) resubscribed",
                        len(self._remote),
                    )
                failing = False
                delay = self.BACKOFF_MIN
                await self._read()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                log.warning(
                    "hub: Redis pub/sub connection lost (%s); retry in %.1fs",
                    str(exc) or type(exc).__name__,
                    delay,
                )
            except Exception:
                log.exception("hub: reader failed; retry in %.1fs", delay)
            failing = True
            async with self._lock:
                await self._drop_connection()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.BACKOFF_MAX)

    async def _connect(self) -> None:
        assert self._listener is not None
        async with self._lock:
            self._pubsub = self._listener.pubsub()
            await self._pubsub.connect()  # type: ignore[no-untyped-call]
            self._remote.clear()
            self._connected = True
            await self._sync_locked()

    async def _read(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is not None:
                self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        raw = message["channel"]
        name = raw.decode() if isinstance(raw, bytes) else str(raw)
        if not name.startswith(self.prefix):
            return
        channel = name[len(self.prefix) :]
        if kind == "message":
            if channel not in self._subs:
                return
            try:
                data = json.loads(message["data"])
            except ValueError:
                log.warning("hub: ignored a non-JSON message on %s", name)
                return
            if not isinstance(data, dict):
                log.warning("hub: ignored a non-object message on %s", name)
                return
            self._dispatch(channel, data)
        elif kind == "subscribe":
            waiting = self._pending.get(channel)
            if waiting:
                future = waiting.popleft()
                if not future.done():
                    future.set_result(None)
                if not waiting:
                    del self._pending[channel]

    async def _drop_connection(self) -> None:
        """Forget the subscriber connection (caller holds the lock). Subscribers waiting for
        a confirmation are released; the next connection resubscribes their channels."""
        self._connected = False
        self._remote.clear()
        for waiting in self._pending.values():
            for future in waiting:
                if not future.done():
                    future.set_result(None)
        self._pending.clear()
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            except (RedisError, OSError) as exc:
                log.debug("hub: closing the pub/sub connection: %s", exc)


def create_hub(url: str, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> Hub:
    """``memory://`` -> `MemoryHub`; ``redis://host:port/db`` (or ``rediss://``) -> `RedisHub`."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "memory":
        return MemoryHub(queue_size=queue_size)
    if scheme in ("redis", "rediss"):
        return RedisHub(url, queue_size=queue_size)
    raise ValueError(
        f"unsupported broadcast URL scheme {scheme or '(none)'!r}: "  # not shown to people
        "use memory:// (one process) or redis://host:6379/0 (several workers)"
    )
