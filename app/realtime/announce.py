"""Publishing events after a write: the router calls this once the service has committed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Annotated, Any

from anyio import to_thread
from fastapi import BackgroundTasks, Depends, Request

from app.realtime.hub import CafeEvent, Hub, cafe_channel

log = logging.getLogger("tablecloth.announce")


class Announcer:
    """Queues events to publish after the response is sent (the write is already committed),
    and jobs to run a little later."""

    def __init__(
        self, hub: Hub, background: BackgroundTasks, jobs: set[asyncio.Task[None]] | None = None
    ) -> None:
        self.hub = hub
        self.background = background
        self.jobs: set[asyncio.Task[None]] = set() if jobs is None else jobs

    def later(self, delay: float, job: Callable[..., object], *args: Any) -> None:
        """Run a blocking `job` in a worker thread `delay` seconds after the response, without
        holding the request (or its connection) meanwhile: for work that can wait and should
        not compete with the live pushes the response sets off. Jobs still waiting when the
        app stops are dropped."""
        self.background.add_task(self._spawn, delay, job, args)

    async def _spawn(self, delay: float, job: Callable[..., object], args: tuple[Any, ...]) -> None:
        task = asyncio.create_task(_after(delay, job, args))
        self.jobs.add(task)
        task.add_done_callback(self.jobs.discard)

    def cafe(self, cafe_id: int, event: CafeEvent, **data: Any) -> None:
        payload = {"type": str(event), "cafe_id": cafe_id, "seq": time.time_ns(), **data}
        self.background.add_task(self.hub.publish, cafe_channel(cafe_id), payload)


async def _after(delay: float, job: Callable[..., object], args: tuple[Any, ...]) -> None:
    await asyncio.sleep(delay)
    try:
        await to_thread.run_sync(job, *args)
    except Exception:
        log.exception("a job run after a response failed")


async def get_announcer(request: Request, background: BackgroundTasks) -> Announcer:
    # `async def`, though it never awaits: a plain function would cost a thread-pool hop.
    return Announcer(request.app.state.hub, background, request.app.state.jobs)


AnnounceDep = Annotated[Announcer, Depends(get_announcer)]
