"""The next round drawn ahead: its seating planned and each table's fragments drawn while the round
before runs, sent ahead to the phones whose page keeps it, and confirmed when the round starts
as forecast."""

from __future__ import annotations

import itertools
import json
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import NamedTuple

from anyio import from_thread

from app import i18n
from app.config import Settings
from app.db import Database
from app.live import plans
from app.live.announce import Announcer
from app.live.fragments import (
    BundleKey,
    FragmentCache,
    RoundBundle,
    bundles,
    languages,
    round_bundle,
)
from app.live.hub import CafeEvent, Hub, ahead_channel
from app.live.reads import shared_boards
from app.models.cafe import (
    Cafe,
)
from app.services.board.cards import TableCards, ThemeChoice, empty_round_cards, theme_choices
from app.services.cafe.forecast import Forecast, StateInputs
from app.services.cafe.rounds import Rotation


class RoundForecasts:
    """Each café's next round as its phones will be sent it, drawn while the round before
    runs (`draw`, once the seating is planned ahead) and given to the phones when the round
    starts just as forecast (`confirm`): a rotation's thousand phones then draw nothing.

    A bundle is drawn for two made-up start instants and kept only if both drawings agree,
    so nothing that shows when the round started can be sent stale. The forecast is used
    only if the rotation assembled its café state from equal inputs (the café, the round,
    the people, the tables, the seating: `StateInputs`) and the café's themes
    are the same.

    A phone whose page keeps a round sent ahead (its script does) is sent its bundle as
    soon as it is drawn (`ahead_for`, under the drawing's `token`); when the round starts
    as forecast, that phone is sent only the word to show it (`Ahead.go`), a few bytes
    instead of its table and board: the tap then costs the server little more per phone
    than a bare broadcast. Anything else still gets the whole drawing at the start.
    """

    AT = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 6, 15, 13, 37, 11, tzinfo=UTC))
    CAFES = 32  # forecasts kept, the latest; a process runs few cafés at a time

    def __init__(self) -> None:
        self._drawn: OrderedDict[int, _Drawn] = OrderedDict()
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)

    def draw(
        self,
        cafe_id: int,
        forecast: Forecast,
        themes: list[ThemeChoice],
    ) -> int:
        """Draw the bundles of a forecast round (in a worker thread); returns how many."""
        states = [forecast.state_at(at) for at in self.AT]
        boards = [
            empty_round_cards(cafe=s.cafe, rnd=s.round, tables=s.table_rows, themes=themes)
            for s in states
            if s.round is not None
        ]
        drawn: dict[BundleKey, RoundBundle] = {}
        keys: dict[int, tuple[int, bool, bool]] = {}
        # Fragments of made-up states are of no use to anyone else: they are not kept in
        # the shared caches (which would hold the states, a thousand people each, too).
        own: FragmentCache[str] = FragmentCache()
        first = states[0]
        # In each language the café's phones here read (the café's own when none is here).
        tongues = languages.of(cafe_id) or [i18n.supported(first.cafe.language) or i18n.DEFAULT]
        for person_id, table_id in first.table_of.items():
            me = first.people_by_id[person_id]
            place = (table_id, first.previous_table_of.get(person_id) == table_id, me.is_host)
            keys[person_id] = place
            for lang in tongues:
                key = (*place, lang)
                if key in drawn:
                    continue
                with i18n.speaking(lang):
                    one, other = (
                        round_bundle(state, me, cards[table_id], own)
                        for state, cards in zip(states, boards, strict=True)
                    )
                if one == other:
                    drawn[key] = one
        token = f"{cafe_id}.{next(self._tokens)}"
        go = json.dumps({"go": token})
        ahead = {
            key: Ahead(
                token, bundle, json.dumps({"ahead": token, "html": bundle.now + bundle.board}), go
            )
            for key, bundle in drawn.items()
        }
        with self._lock:
            self._drawn.pop(cafe_id, None)
            self._drawn[cafe_id] = _Drawn(forecast.inputs, themes, drawn, token, keys, ahead)
            while len(self._drawn) > self.CAFES:
                self._drawn.popitem(last=False)  # a café that never started its round
        return len(drawn)

    def token(self, cafe_id: int) -> str | None:
        """The token of the café's round drawn ahead and not yet started, if any."""
        with self._lock:
            found = self._drawn.get(cafe_id)
        return found.token if found is not None else None

    def ahead_for(self, cafe_id: int, person_id: int, token: str, lang: str) -> Ahead | None:
        """What to send one phone of the café's round drawn ahead under `token`, in its
        language (None: that drawing is gone, or has nothing for this person: the round
        start will draw it)."""
        with self._lock:
            found = self._drawn.get(cafe_id)
        if found is None or found.token != token or (key := found.keys.get(person_id)) is None:
            return None
        return found.ahead.get((*key, lang))

    def confirm(self, started: Rotation, boards: dict[int, TableCards]) -> int:
        """A round has started (and its event is not yet published): if as forecast, its
        phones find their bundles drawn. Returns how many bundles were given."""
        with self._lock:
            forecast = self._drawn.pop(started.state.cafe.id, None)
        if forecast is None:
            return 0
        themes = next(iter(boards.values())).themes if boards else []
        if forecast.inputs != started.inputs or forecast.themes != themes:
            return 0
        for key, bundle in forecast.bundles.items():
            bundles.put(started.state, key, bundle)
        return len(forecast.bundles)


class Ahead(NamedTuple):
    """One table's bundle of a round drawn ahead, as a phone is sent it ahead (`message`),
    and the word that shows it once the round has started as forecast (`go`)."""

    token: str
    bundle: RoundBundle
    message: str
    go: str


class _Drawn(NamedTuple):
    inputs: StateInputs
    themes: list[ThemeChoice]
    bundles: dict[BundleKey, RoundBundle]
    token: str
    keys: dict[int, tuple[int, bool, bool]]  # person id -> their bundle's key, less the language
    ahead: dict[BundleKey, Ahead]


forecasts = RoundForecasts()


def _plan_next(db: Database, hub: Hub, cafe_id: int) -> None:
    """Plan the next round's seating, draw what its phones will be sent, and tell this
    process's phones that keep a round sent ahead (in a worker thread)."""
    with db.read_session() as session:
        cafe = session.get(Cafe, cafe_id)
        if cafe is None:
            return
        forecast = plans.prepare_next_round(session=session, cafe=cafe)
        themes = theme_choices(session=session, cafe=cafe)
    if forecast is not None and forecasts.draw(cafe_id, forecast, themes):
        event = {
            "type": CafeEvent.ROUND_AHEAD,
            "cafe_id": cafe_id,
            "token": forecasts.token(cafe_id),
        }
        from_thread.run_sync(hub.deliver_here, ahead_channel(cafe_id), event)


def plan_ahead(announce: Announcer, settings: Settings, db: Database, cafe: Cafe) -> None:
    """Once a round has started (and its phones have been told), or someone has joined, plan
    the next round's seating in the background, so the facilitator's next tap need not wait
    for the planner. A burst of joins plans once, a few seconds after the last."""
    announce.later(
        settings.plan_ahead_seconds,
        _plan_next,
        db,
        announce.hub,
        cafe.id,
        key=("plan", cafe.id),
    )


def announce_rotation(
    announce: Announcer,
    settings: Settings,
    db: Database,
    cafe: Cafe,
    started: Rotation,
) -> None:
    """After a round has started (API or console): tell the café at once, before the
    facilitator's answer is drawn (every phone is waiting for this), leaving this process's
    live views the state and the new round's empty boards the rotation has in hand; then
    plan the round after it in the background."""
    seq = announce.next_seq()
    boards = shared_boards.keep_new_round(db, cafe, started, seq)
    forecasts.confirm(started, boards)
    announce.cafe(cafe.id, CafeEvent.ROUND_STARTED, state=started.state, seq=seq, at_once=True)
    plan_ahead(announce, settings, db, cafe)
