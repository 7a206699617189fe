"""Publishing events after a write: the router calls this once the service has committed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from anyio import from_thread, to_thread
from fastapi import BackgroundTasks, Depends, Request

from app.live.hub import CafeEvent, Hub, cafe_channel, staff_channel

if TYPE_CHECKING:
    from app.live.state import StateCache
    from app.services.cafe.state import CafeState

log = logging.getLogger("tablecloth.announce")


class Jobs:
    """Blocking jobs run in a worker thread a little after a response (one set per app)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiting: dict[object, asyncio.Task[None]] = {}

    def spawn(
        self, delay: float, job: Callable[..., object], args: tuple[Any, ...], key: object
    ) -> None:
        if key is not None and (old := self._waiting.pop(key, None)) is not None:
            old.cancel()  # still waiting: the newer one replaces it
        task = asyncio.create_task(self._after(delay, job, args, key))
        if key is not None:
            self._waiting[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _after(
        self, delay: float, job: Callable[..., object], args: tuple[Any, ...], key: object
    ) -> None:
        await asyncio.sleep(delay)
        if key is not None and self._waiting.get(key) is asyncio.current_task():
            del self._waiting[key]  # running now: a newer job waits its own turn
        try:
            await to_thread.run_sync(job, *args)
        except Exception:
            log.exception("a job run after a response failed")

    async def stop(self) -> None:
        """Drop the jobs still waiting; let one that is running finish."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._waiting.clear()


class Announcer:
    """Queues events to publish after the response is sent (the write is already committed),
    or publishes one at once where everyone waits for it, and jobs to run a little later."""

    def __init__(
        self, hub: Hub, background: BackgroundTasks, jobs: Jobs, states: StateCache | None = None
    ) -> None:
        self.hub = hub
        self.background = background
        self.jobs = jobs  # the app's, so they are stopped with it
        self.states = states  # the live views' café states, in this process

    def cafe(
        self,
        cafe_id: int,
        event: CafeEvent,
        *,
        state: CafeState | None = None,
        seq: int | None = None,
        at_once: bool = False,
        **data: Any,
    ) -> int:
        """Publish `event` after the response; returns its `seq`. `state`: the café as the
        write left it, if the writer has it in hand; this process's live views then draw
        from it instead of reading it again. `at_once` (from a route's worker thread): publish
        now, while the response is still being drawn; for the event every phone waits for
        (a round starting), not worth a console redraw's delay."""
        seq = self.next_seq() if seq is None else seq
        payload = {"type": str(event), "cafe_id": cafe_id, "seq": seq, **data}
        if at_once and not _on_event_loop():  # an `async def` route cannot wait here
            from_thread.run(self._publish, cafe_id, seq, state, payload)
        else:
            self.background.add_task(self._publish, cafe_id, seq, state, payload)
        return seq

    def staff(self, cafe_id: int, event: CafeEvent, **data: Any) -> int:
        """Publish `event` after the response to the café's console and projector only
        (`staff_channel`): the phones draw nothing for it. Its `seq` still tells this
        process's live views that the café state has moved on."""
        seq = self.next_seq()
        payload = {"type": str(event), "cafe_id": cafe_id, "seq": seq, **data}
        self.background.add_task(self.hub.publish, staff_channel(cafe_id), payload)
        return seq

    @staticmethod
    def next_seq() -> int:
        """A `seq` for an event about to be published (to key what is kept for it first)."""
        return time.time_ns()

    async def _publish(
        self, cafe_id: int, seq: int, state: CafeState | None, payload: dict[str, Any]
    ) -> None:
        if state is not None and self.states is not None:
            # On the event loop, before the publish, like everything else the cache sees.
            self.states.put(cafe_id, seq, state)
        await self.hub.publish(cafe_channel(cafe_id), payload)

    def later(
        self, delay: float, job: Callable[..., object], *args: Any, key: object = None
    ) -> None:
        """Run a blocking `job` in a worker thread `delay` seconds after the response, without
        holding the request (or its connection) meanwhile: for work that can wait and should
        not compete with the live pushes the response sets off. A job with a `key` replaces
        a job with the same key that is still waiting, so a burst of requests (people
        joining) runs it once, after the last. Jobs still waiting when the app stops are
        dropped."""
        self.background.add_task(self._spawn, delay, job, args, key)

    async def _spawn(
        self, delay: float, job: Callable[..., object], args: tuple[Any, ...], key: object
    ) -> None:
        self.jobs.spawn(delay, job, args, key)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def announcer(request: Request, background: BackgroundTasks) -> Announcer:
    """The announcer of a request whose background tasks are `background`."""
    state = request.app.state
    return Announcer(state.hub, background, state.jobs, state.live_cache)


async def get_announcer(request: Request, background: BackgroundTasks) -> Announcer:
    # `async def`, though it never awaits: a plain function would cost a thread-pool hop.
    return announcer(request, background)


AnnounceDep = Annotated[Announcer, Depends(get_announcer)]
