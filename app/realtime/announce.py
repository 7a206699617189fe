"""Publishing events after a write: the router calls this once the service has committed."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, Request

from app.realtime.hub import CafeEvent, Hub, cafe_channel


class Announcer:
    """Queues events to publish after the response is sent (the write is already committed)."""

    def __init__(self, hub: Hub, background: BackgroundTasks) -> None:
        self.hub = hub
        self.background = background

    def cafe(self, cafe_id: int, event: CafeEvent, **data: Any) -> None:
        payload = {"type": str(event), "cafe_id": cafe_id, "seq": time.time_ns(), **data}
        self.background.add_task(self.hub.publish, cafe_channel(cafe_id), payload)


async def get_announcer(request: Request, background: BackgroundTasks) -> Announcer:
    # `async def`, though it never awaits: a plain function would cost a thread-pool hop.
    return Announcer(request.app.state.hub, background)


AnnounceDep = Annotated[Announcer, Depends(get_announcer)]
