"""The next round planned ahead, kept per process: the seatings the planner worked out and
the latest forecast of each café, and the rotation and planning that use them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime
from typing import Generic, TypeVar

from sqlmodel import Session

from app.models.cafe import Cafe
from app.services.cafe import forecast as forecast_service
from app.services.cafe import rounds as round_service
from app.services.cafe.forecast import Forecast
from app.services.cafe.rounds import Rotation

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """The latest few values by key, the least recently used dropped first; thread-safe
    (the planning runs in worker threads)."""

    def __init__(self, size: int) -> None:
        self._values: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def take(self, key: K) -> V | None:
        """The value, no longer kept."""
        with self._lock:
            return self._values.pop(key, None)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._values.pop(key, None)
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


# The latest forecast of each café, by its code: put by `prepare_next_round`, taken (so
# tried once) by the café's next rotation; the least recent dropped beyond 32 cafés.
AHEAD: Recent[str, Forecast] = Recent(32)
# Plans the planner worked out, by everything each round's was planned from (the café's
# code, the round, the number of rounds, the people, the tables and where they sit in the
# round before: see `planned_rounds`): that round's seating and the rest of the plan. A plan
# of the café puts one for each of its remaining rounds; never stale, so only the least
# recent are dropped, beyond 256 (a dozen cafés of ten rounds planned twice over). The
# rotation keeps the café's current plan in the database too, for the other workers.
PLANS: Recent[Hashable, list[dict[int, int]]] = Recent(256)


def prepare_next_round(*, session: Session, cafe: Cafe) -> Forecast | None:
    """Plan the café's next round ahead (`forecast.prepare_next_round`) and keep the
    forecast for its rotation."""
    forecast = forecast_service.prepare_next_round(session=session, cafe=cafe, plans=PLANS)
    if forecast is not None:
        AHEAD.put(cafe.code, forecast)
    return forecast


def rotate(
    *, session: Session, cafe: Cafe, now: datetime, from_round: int | None = None
) -> Rotation:
    """Start the café's next round (`rounds.rotate`) from the forecast kept for it, if any,
    and the plans remembered. A tap refused at once (the café closed, or moved on already)
    leaves the forecast to the tap that counts."""
    round_service.rotation_from(cafe=cafe, from_round=from_round)
    return round_service.rotate(
        session=session,
        cafe=cafe,
        now=now,
        from_round=from_round,
        forecast=AHEAD.take(cafe.code),
        plans=PLANS,
    )
