"""The café state every live view draws from, read once per event per process and shared by
every connection of that café."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

from anyio import to_thread

from app.db import Database
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.services.cafe import state as state_service
from app.services.cafe.state import CafeState


class StateCache:
    """Café state keyed by the last event seen; a fresh read when an event moves it on.

    Events that change the café state carry a `seq` and move the key on. A state is also
    read again once it is `MAX_AGE` old, as a safety net; but not for events without a
    `seq` (board changes, many a second in a busy café), which do not change it: for those
    a state up to `QUIET_MAX_AGE` old will do, or every few seconds a thousand participants
    and seats would be loaded again only to draw a table's board.
    """

    MAX_AGE = 2.0
    QUIET_MAX_AGE = 60.0

    def __init__(self, db: Database) -> None:
        self.db = db
        # key -> (when it was kept, the café's join code, the state): every phone of the
        # café looks its state up at every event, so the code is kept as a plain value.
        self._cache: OrderedDict[tuple[int, int], tuple[float, str, CafeState]] = OrderedDict()
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}
        self.last_seq: dict[int, int] = {}

    def put(self, cafe_id: int, seq: int, state: CafeState) -> None:
        """A state the writer already holds, for the event `seq` it is about to publish (in
        this process): the phones then draw from it without reading it again."""
        self._keep((cafe_id, seq), state)

    def saw(self, cafe_id: int, seq: int) -> None:
        if seq > self.last_seq.get(cafe_id, 0):
            self.last_seq[cafe_id] = seq

    async def get(
        self, cafe_id: int, *, code: str, max_age: float | None = None
    ) -> CafeState | None:
        """The state of the café `cafe_id` whose join code is `code`: an id can name another
        café after a database is emptied (tests) or a newest café deleted (SQLite may then
        give its id again), and that café's state must not be shown."""
        key = (cafe_id, self.last_seq.get(cafe_id, 0))
        age = self.MAX_AGE if max_age is None else max_age
        if (state := self._fresh(key, code, age)) is not None:
            return state
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if (state := self._fresh(key, code, age)) is not None:
                return state
            state = await to_thread.run_sync(self._read, cafe_id)
            if state is not None:
                self._keep(key, state)
            return state

    def _fresh(self, key: tuple[int, int], code: str, age: float) -> CafeState | None:
        hit = self._cache.get(key)
        if hit is not None and hit[1] == code and time.monotonic() - hit[0] < age:
            return hit[2]
        return None

    def _keep(self, key: tuple[int, int], state: CafeState) -> None:
        self._cache[key] = (time.monotonic(), state.cafe.code, state)
        while len(self._cache) > 256:
            old, _ = self._cache.popitem(last=False)
            self._locks.pop(old, None)

    def _read(self, cafe_id: int) -> CafeState | None:
        with self.db.read_session() as session:
            cafe = session.get(Cafe, cafe_id)
            if cafe is None:
                return None
            return state_service.cafe_state(session=session, cafe=cafe, now=utcnow())
