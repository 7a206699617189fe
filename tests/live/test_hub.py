"""The broadcast hub, against both backends: in-process memory and a real Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from app.live.announce import Jobs
from app.live.hub import (
    REDIS_PREFIX,
    CafeEvent,
    Event,
    Hub,
    MemoryHub,
    RedisHub,
    Subscription,
    SubscriptionClosed,
    cafe_channel,
    create_hub,
    participant_channel,
    table_channel,
)

REDIS_URL = "redis://127.0.0.1:6379/0"

BACKENDS = [
    pytest.param("memory://", id="memory"),
    pytest.param(REDIS_URL, id="redis", marks=pytest.mark.redis),
]

pytestmark = pytest.mark.asyncio


def unique(name: str) -> str:
    """A channel name no parallel run shares."""
    return f"test-{uuid.uuid4().hex[:12]}:{name}"


@pytest_asyncio.fixture(params=BACKENDS)
async def hub(request: pytest.FixtureRequest) -> AsyncIterator[Hub]:
    h = create_hub(request.param)
    await h.start()
    yield h
    await h.stop()


@pytest_asyncio.fixture
async def redis_client() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


async def numsub(client: Redis, channel: str) -> int:
    [(_, count)] = await client.pubsub_numsub(REDIS_PREFIX + channel)
    return int(count)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_channel_names_and_event_types() -> None:
    assert cafe_channel(3) == "cafe:3"
    assert table_channel(4) == "table:4"
    assert participant_channel(5) == "participant:5"
    assert str(CafeEvent.ROUND_CHANGED) == "round_changed"
    assert f"{CafeEvent.SAFEGUARDING_ALERT}" == "safeguarding_alert"


async def test_delivers_to_every_subscriber_of_a_channel(hub: Hub) -> None:
    channel = unique("cafe")
    async with (
        hub.subscribe(channel) as a,
        hub.subscribe(channel) as b,
        hub.subscribe(channel) as c,
    ):
        await hub.publish(channel, {"type": CafeEvent.ROUND_STARTED, "round": 2})
        for sub in (a, b, c):
            assert await sub.get(timeout=2) == Event(channel, {"type": "round_started", "round": 2})


async def test_channels_are_separate(hub: Hub) -> None:
    one, two = unique("a"), unique("b")
    async with hub.subscribe(one) as sub_one, hub.subscribe(two) as sub_two:
        await hub.publish(two, {"n": 1})
        assert await sub_two.get(timeout=2) == Event(two, {"n": 1})
        assert await sub_one.get(timeout=0.2) is None


async def test_one_subscription_to_several_channels(hub: Hub) -> None:
    cafe, table, person = unique("cafe"), unique("table"), unique("participant")
    async with hub.subscribe(cafe, table, person) as sub:
        for i, channel in enumerate((cafe, table, person)):
            await hub.publish(channel, {"n": i})
        got = [await sub.get(timeout=2) for _ in range(3)]
        assert got == [Event(cafe, {"n": 0}), Event(table, {"n": 1}), Event(person, {"n": 2})]
        await hub.publish(unique("other"), {"n": 9})
        assert await sub.get(timeout=0.2) is None


async def test_async_iteration_ends_when_hub_stops(hub: Hub) -> None:
    channel = unique("cafe")
    async with hub.subscribe(channel) as sub:
        await hub.publish(channel, {"n": 1})
        await hub.publish(channel, {"n": 2})
        seen: list[int] = []
        async for event in sub:
            seen.append(event.data["n"])
            if len(seen) == 2:
                break
        assert seen == [1, 2]

        waiting = asyncio.create_task(sub.get())
        await asyncio.sleep(0.05)
        await hub.stop()  # wakes a blocked reader instead of leaving it hanging
        with pytest.raises(SubscriptionClosed):
            await asyncio.wait_for(waiting, 2)
        assert [e async for e in sub] == []


async def test_event_data_is_a_json_copy(hub: Hub) -> None:
    channel = unique("cafe")
    payload = {"ids": (1, 2), "type": CafeEvent.BOARD_CHANGED}
    async with hub.subscribe(channel) as sub:
        await hub.publish(channel, payload)
        payload["ids"] = (3,)
        event = await sub.get(timeout=2)
        assert event is not None
        assert event.data == {"ids": [1, 2], "type": "board_changed"}
        with pytest.raises(TypeError):
            await hub.publish(channel, {"when": object()})


async def test_slow_consumer_drops_oldest_and_never_blocks(hub: Hub) -> None:
    channel = unique("cafe")
    size = hub.queue_size
    async with hub.subscribe(channel) as slow, hub.subscribe(channel) as fast:
        started = time.monotonic()
        for i in range(size + 10):
            await hub.publish(channel, {"n": i})
            if i % 32 == 0:
                while (e := await fast.get(timeout=0)) is not None:
                    assert e.data["n"] <= i
        assert time.monotonic() - started < 3
        # The fast consumer keeps up; once it has the last event, so has the slow one's queue.
        while (e := await fast.get(timeout=2)) is not None and e.data["n"] != size + 9:
            pass
        assert e is not None
        got = []
        while (event := await slow.get(timeout=0)) is not None:
            got.append(event.data["n"])
        assert got == list(range(10, size + 10))
        assert slow.dropped == 10
        assert fast.dropped == 0


async def test_exit_unsubscribes_and_frees_memory() -> None:
    hub = MemoryHub()
    await hub.start()
    channel, other = unique("cafe"), unique("table")
    async with hub.subscribe(channel, other) as a:
        async with hub.subscribe(channel):
            assert hub.local_subscribers(channel) == 2
        assert hub.local_subscribers(channel) == 1
        assert hub.local_channels == {channel, other}
    assert hub._subs == {}
    assert a.closed
    with pytest.raises(SubscriptionClosed):
        await a.get(timeout=0)
    await hub.publish(channel, {"n": 1})  # nobody listening: fine
    await hub.stop()


async def test_cancelled_subscriber_leaves_nothing_behind(hub: Hub) -> None:
    channel = unique("cafe")

    async def listen() -> None:
        async with hub.subscribe(channel) as sub:
            await sub.get()

    task = asyncio.create_task(listen())
    await eventually(lambda: _true(hub.local_subscribers(channel) == 1))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert hub.local_channels == frozenset()


async def _true(value: bool) -> bool:
    return value


async def test_subscription_needs_async_with(hub: Hub) -> None:
    sub = hub.subscribe(unique("cafe"))
    assert isinstance(sub, Subscription)
    with pytest.raises(RuntimeError, match="async with"):
        await sub.get(timeout=0)
    with pytest.raises(ValueError, match="at least one channel"):
        hub.subscribe()


async def test_create_hub_by_url() -> None:
    assert isinstance(create_hub("memory://"), MemoryHub)
    redis_hub = create_hub("redis://localhost:6379/2")
    assert isinstance(redis_hub, RedisHub)
    for bad in ("kafka://localhost", "localhost:6379", ""):
        with pytest.raises(ValueError, match=r"memory://.*redis://"):
            create_hub(bad)


# -- Redis only -----------------------------------------------------------------------------


@pytest.mark.redis
async def test_redis_one_connection_per_process_and_unsubscribe_on_exit(
    redis_client: Redis,
) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    hub = RedisHub(REDIS_URL, client_name=name)
    await hub.start()
    try:
        cafe, table = unique("cafe"), unique("table")
        async with hub.subscribe(cafe) as a, hub.subscribe(cafe, table), hub.subscribe(table):
            assert await numsub(redis_client, cafe) == 1  # one process, one subscription
            assert await numsub(redis_client, table) == 1
            clients = await redis_client.client_list(_type="pubsub")
            assert [c["name"] for c in clients if c["name"].startswith(name)] == [f"{name}-sub"]
            await hub.publish(cafe, {"n": 1})
            assert await a.get(timeout=2) == Event(cafe, {"n": 1})
        for channel in (cafe, table):
            await eventually(partial(_zero, redis_client, channel))
        assert hub._subs == {}
        assert hub._remote == set()
    finally:
        await hub.stop()


async def _zero(client: Redis, channel: str) -> bool:
    return await numsub(client, channel) == 0


@pytest.mark.redis
async def test_redis_two_workers_share_events() -> None:
    worker_a, worker_b = RedisHub(REDIS_URL), RedisHub(REDIS_URL)
    await worker_a.start()
    await worker_b.start()
    try:
        channel = unique("cafe")
        async with worker_a.subscribe(channel) as on_a, worker_b.subscribe(channel) as on_b:
            await worker_a.publish(channel, {"from": "a"})
            await worker_b.publish(channel, {"from": "b"})
            for sub in (on_a, on_b):
                got = [await sub.get(timeout=2), await sub.get(timeout=2)]
                assert got == [Event(channel, {"from": "a"}), Event(channel, {"from": "b"})]
    finally:
        await worker_a.stop()
        await worker_b.stop()


@pytest.mark.redis
async def test_redis_subscribe_is_confirmed_on_entry() -> None:
    publisher, listener = RedisHub(REDIS_URL), RedisHub(REDIS_URL)
    await publisher.start()
    await listener.start()
    try:
        for _ in range(20):
            channel = unique("participant")
            async with listener.subscribe(channel) as sub:
                await publisher.publish(channel, {"hello": True})
                assert await sub.get(timeout=2) == Event(channel, {"hello": True})
    finally:
        await publisher.stop()
        await listener.stop()


@pytest.mark.redis
async def test_redis_reader_reconnects_and_resubscribes(redis_client: Redis) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    hub = RedisHub(REDIS_URL, client_name=name)
    await hub.start()
    try:
        channel = unique("cafe")
        async with hub.subscribe(channel) as sub:
            [victim] = [c for c in await redis_client.client_list() if c["name"] == f"{name}-sub"]
            await redis_client.client_kill_filter(_id=victim["id"])

            async def delivered() -> bool:
                await hub.publish(channel, {"after": "reconnect"})
                return await sub.get(timeout=0.05) is not None

            await eventually(delivered, timeout=5)
            assert hub.connected
            assert await numsub(redis_client, channel) == 1
    finally:
        await hub.stop()


@pytest.mark.redis
async def test_redis_subscribe_while_redis_unreachable_is_not_fatal() -> None:
    hub = RedisHub("redis://127.0.0.1:1/0")  # nothing listens on port 1
    await hub.start()
    try:
        async with hub.subscribe(unique("cafe")) as sub:
            assert not hub.connected
            assert await sub.get(timeout=0.05) is None
        await hub.publish(unique("cafe"), {"lost": True})  # logged and dropped
    finally:
        await hub.stop()


@pytest.mark.redis
async def test_redis_ignores_foreign_messages(redis_client: Redis) -> None:
    hub = RedisHub(REDIS_URL)
    await hub.start()
    try:
        channel = unique("cafe")
        async with hub.subscribe(channel) as sub:
            await redis_client.publish(REDIS_PREFIX + channel, b"not json")
            await redis_client.publish(REDIS_PREFIX + channel, b"[1, 2]")
            await hub.publish(channel, {"ok": 1})
            assert await sub.get(timeout=2) == Event(channel, {"ok": 1})
            assert hub.connected
    finally:
        await hub.stop()


@pytest.mark.asyncio
async def test_jobs_with_a_key_run_once_after_the_last_of_a_burst() -> None:
    """People joining one after another plan the next seating once, after the last joins;
    jobs still waiting when the app stops are dropped."""
    jobs = Jobs()
    ran: list[int] = []
    for n in range(5):
        jobs.spawn(0.05, ran.append, (n,), ("plan", 1))
    jobs.spawn(0.05, ran.append, (100,), ("plan", 2))  # another café's: not replaced
    await asyncio.sleep(0.3)
    assert sorted(ran) == [4, 100]
    jobs.spawn(5.0, ran.append, (7,), ("plan", 1))
    await jobs.stop()
    assert sorted(ran) == [4, 100]


@pytest.mark.asyncio
async def test_a_round_start_reaches_this_processs_phones_before_the_route_goes_on() -> None:
    """A round start is published at once from the route's worker thread, and the thread
    goes on only once the phones it woke here have pushed (the publish's end reaches the
    thread through the event loop's queue, behind their wake-ups): what the route draws next,
    the facilitator's answer or the whole console, does not compete with them for the
    interpreter's lock."""
    from anyio import to_thread
    from fastapi import BackgroundTasks

    from app.live.announce import Announcer

    hub = MemoryHub()
    await hub.start()
    pushed: list[int] = []
    subscribed = asyncio.Event()

    async def phone(n: int, ready: list[int]) -> None:
        async with hub.subscribe(cafe_channel(7)) as sub:
            ready.append(n)
            if len(ready) == 50:
                subscribed.set()
            await sub.get()
            time.sleep(0.002)  # drawing and sending its fragment, without yielding
            pushed.append(n)

    ready: list[int] = []
    phones = [asyncio.create_task(phone(n, ready)) for n in range(50)]
    await subscribed.wait()
    announce = Announcer(hub, BackgroundTasks(), Jobs())

    def route() -> int:
        announce.cafe(7, CafeEvent.ROUND_STARTED, at_once=True)
        return len(pushed)  # what the route would see as it goes on to draw its answer

    try:
        assert await to_thread.run_sync(route) == 50
    finally:
        await asyncio.gather(*phones)
        await hub.stop()


async def test_the_collector_waits_while_a_round_start_reaches_many_phones(hub: Hub) -> None:
    """While an event wakes many subscribers (a café's phones at a round start) the garbage
    collector is held back until each has had its first turn, then runs again as before: a
    collection there (11-22 ms in a thousand-phone café) would delay every phone after it.
    An event for a few subscribers leaves it alone."""
    import gc

    from app.live.collector import FAN_OUT

    async def phones(n: int) -> list[bool]:
        channel = unique("cafe")
        collecting: list[bool] = []
        subscribed = asyncio.Event()
        ready: list[int] = []

        async def phone() -> None:
            async with hub.subscribe(channel) as sub:
                ready.append(1)
                if len(ready) == n:
                    subscribed.set()
                await sub.get(timeout=5)
                collecting.append(gc.isenabled())  # its first turn: draw and send

        tasks = [asyncio.create_task(phone()) for _ in range(n)]
        await subscribed.wait()
        await hub.publish(channel, {"type": CafeEvent.ROUND_STARTED})
        await asyncio.gather(*tasks)
        return collecting

    assert gc.isenabled()
    assert await phones(FAN_OUT) == [False] * FAN_OUT
    assert gc.isenabled()  # and on again once they have all run
    assert await phones(3) == [True] * 3
    assert gc.isenabled()
