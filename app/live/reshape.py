"""What reshaping the room live tells whom (issue 26): a change to the room redraws every
phone and plans the next round again; a message reaches every phone; help asked reaches the
console only, and the phone that asked hears that it was seen."""

from __future__ import annotations

import threading
import time

from sqlmodel import Session

from app.config import Settings
from app.db import Database
from app.kit.rendering import render_html
from app.live.announce import Announcer
from app.live.forecasts import plan_ahead
from app.live.hub import CafeEvent, Event, participant_channel, staff_channel
from app.models.cafe import Cafe
from app.models.room import Broadcast, HelpRequest
from app.services.cafe import room as room_service

# Events that carry their own small piece of a phone's page.
PHONE_NOTES = {CafeEvent.BROADCAST, CafeEvent.HELP_SEEN}


def room_changed(announce: Announcer, settings: Settings, db: Database, cafe: Cafe) -> None:
    """A table or a question changed: every phone, the console and the projector redraw,
    and the next round is planned again for the room as it now is (the café's `version`
    moved on with the change, so the plan kept for the room before is not used)."""
    announce.cafe(cafe.id, CafeEvent.ROUND_CHANGED)
    plan_ahead(announce, settings, db, cafe)


def person_added(
    announce: Announcer, settings: Settings, db: Database, cafe: Cafe, person_id: int
) -> None:
    """Someone without a phone was added: the console, the projector and their table's
    phones redraw (as for a join), and the next round is planned again with them."""
    announce.cafe(cafe.id, CafeEvent.SEATING_CHANGED, participant_id=person_id)
    plan_ahead(announce, settings, db, cafe)


class LatestBroadcasts:
    """Each café's latest message, as every phone page drawn afresh shows it: read once and
    kept, instead of one statement per phone page. A message sent here replaces it at once;
    one sent by another process reaches this one as its event (`heard`), and an entry is
    read again after `MAX_AGE` seconds in any case (a café erased, an event missed)."""

    MAX_AGE = 30.0
    CAFES = 256

    def __init__(self) -> None:
        self._kept: dict[int, tuple[float, Broadcast | None]] = {}
        self._lock = threading.Lock()  # phone pages are drawn in worker threads too

    def latest(self, session: Session, cafe_id: int) -> Broadcast | None:
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(cafe_id)
        if kept is not None and now - kept[0] < self.MAX_AGE:
            return kept[1]
        message = room_service.latest_broadcast(session=session, cafe_id=cafe_id)
        if message is not None:
            # A plain copy, bound to no session: it is shared by every page that reads it.
            message = Broadcast(
                id=message.id, cafe_id=message.cafe_id, text=message.text, sent_at=message.sent_at
            )
        self._keep(cafe_id, message, now)
        return message

    def sent(self, message: Broadcast) -> None:
        """A message was sent (here, or heard of from another process)."""
        copy = Broadcast(
            id=message.id, cafe_id=message.cafe_id, text=message.text, sent_at=message.sent_at
        )
        self._keep(message.cafe_id, copy, time.monotonic())

    def forget(self, cafe_id: int) -> None:
        """Read the café's latest message again next time (messages cleared, an event heard
        without the message)."""
        with self._lock:
            self._kept.pop(cafe_id, None)

    def heard(self, event: Event, cafe_id: int) -> None:
        """A message's event reached this process: the next page reads it again (the
        event carries no time sent, so it is not kept from the event)."""
        if event.data.get("type") == CafeEvent.BROADCAST:
            with self._lock:
                kept = self._kept.get(cafe_id)
            if kept is None or kept[1] is None or kept[1].id != event.data.get("broadcast_id"):
                self.forget(cafe_id)

    def _keep(self, cafe_id: int, message: Broadcast | None, at: float) -> None:
        with self._lock:
            self._kept.pop(cafe_id, None)
            self._kept[cafe_id] = (at, message)
            while len(self._kept) > self.CAFES:
                self._kept.pop(next(iter(self._kept)))


latest_broadcasts = LatestBroadcasts()


def broadcast(announce: Announcer, message: Broadcast) -> None:
    """The message to every phone of the café (and the console, which shows it was sent).
    The event carries the text: each phone draws it from the event, without a read. The
    phone pages drawn from now on show it without reading it (`latest_broadcasts`)."""
    latest_broadcasts.sent(message)
    announce.cafe(message.cafe_id, CafeEvent.BROADCAST, broadcast_id=message.id, text=message.text)


def help_asked(announce: Announcer, asked: HelpRequest) -> None:
    announce.staff(asked.cafe_id, CafeEvent.HELP_ASKED, help_id=asked.id)


def help_seen(announce: Announcer, asked: HelpRequest) -> None:
    """Tell the phone that asked, and the console (another facilitator's console too)."""
    payload = {
        "type": str(CafeEvent.HELP_SEEN),
        "cafe_id": asked.cafe_id,
        "seq": announce.next_seq(),
        "help_id": asked.id,
        "participant_id": asked.participant_id,
    }
    channels = [participant_channel(asked.participant_id), staff_channel(asked.cafe_id)]
    announce.background.add_task(announce.hub.publish_many, channels, payload)


def broadcast_html(message_id: int | None, text: str, *, oob: bool) -> str:
    return render_html(
        "cafe/_room_broadcast.html",
        {"broadcast": {"id": message_id, "text": text} if message_id else None, "oob": oob},
    )


def help_html(cafe: Cafe, status: str, csrf: str, *, oob: bool) -> str:
    """The phone's help block: `status` "" (the button), "asked" or "seen"."""
    return render_html(
        "cafe/_room_help.html", {"cafe": cafe, "help_status": status, "csrf": csrf, "oob": oob}
    )


def phone_note(event: Event, cafe: Cafe, pid: int, csrf: str) -> str | None:
    """What a phone is sent for a message or for its request for help being seen."""
    kind = event.data.get("type")
    if kind == CafeEvent.BROADCAST:
        latest_broadcasts.heard(event, cafe.id)
        bid, text = event.data.get("broadcast_id"), event.data.get("text")
        if not isinstance(bid, int) or not isinstance(text, str):
            return None
        return broadcast_html(bid, text, oob=True)
    if kind == CafeEvent.HELP_SEEN and event.data.get("participant_id") == pid:
        return help_html(cafe, "seen", csrf, oob=True)
    return None
