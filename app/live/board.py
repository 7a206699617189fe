"""What a change to a board publishes: which events a moderation action causes, and who at the
table hears a change."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from fastapi import (
    Request,
)
from sqlmodel import Session

from app.db import Database
from app.i18n import _
from app.live.announce import Announcer
from app.live.hub import CafeEvent, board_channel, participant_channel
from app.models.cafe import Cafe
from app.models.evidence import (
    Contribution,
)
from app.services.audit import Actor
from app.services.board import cards as board_cards
from app.services.board import moderation
from app.services.errors import NotFound

# Events that change what a phone's board shows (a safeguarding alert is for the console).
PHONE_BOARD_EVENTS = {
    CafeEvent.BOARD_CHANGED,
    CafeEvent.CARD_ADDED,
    CafeEvent.CONTRIBUTION_HIDDEN,
}


def announce_board(
    request: Request,
    announce: Announcer,
    contribution: Contribution,
    *events: CafeEvent,
    audience: list[int] | None = None,
    token: str | None = None,
    page: str = "",
) -> None:
    """Tell the facilitator's views and the phones at the card's table, after the response.

    Board changes are frequent, so they do not go to the café channel, which every phone of
    the café hears: only the few people seated at that table are told, on their own channels.
    `audience` (those people) and `token` (the change's) may come from the caller's read;
    `page` names the page that posted a new card, whose own connection needs no copy of it.
    """
    if audience is None:
        db: Database = request.app.state.db
        with db.read_session() as session:
            audience = board_cards.audience(session=session, contribution=contribution)
    token = token or secrets.token_hex(8)  # the phones at the table share one read per change
    for event in events:
        payload = {
            "type": str(event),
            "cafe_id": contribution.cafe_id,
            "table_id": contribution.table_id,
            "contribution_id": contribution.id,
            "board_seq": token,
        }
        if page and event == CafeEvent.CARD_ADDED:
            payload["page"] = page
        channels = [board_channel(contribution.cafe_id)]
        if event in PHONE_BOARD_EVENTS:
            channels += [participant_channel(pid) for pid in audience]
        announce.background.add_task(announce.hub.publish_many, channels, payload)


# The actions that keep the moderator's note and name who took them (audited), and the
# events each causes; one call serves them all, since they take the same arguments.
_NOTED_ACTIONS: dict[str, tuple[Callable[..., Contribution], tuple[CafeEvent, ...]]] = {
    "hide": (moderation.hide, (CafeEvent.CONTRIBUTION_HIDDEN,)),
    "restore": (moderation.restore, (CafeEvent.BOARD_CHANGED,)),
    "flag": (moderation.flag, (CafeEvent.CONTRIBUTION_HIDDEN, CafeEvent.SAFEGUARDING_ALERT)),
}
# The actions that only change a card's state: no note, nobody named; the board redraws.
_PLAIN_ACTIONS: dict[str, Callable[..., Contribution]] = {
    "approve": moderation.approve,
    "resolve": moderation.resolve_concern,
}
MODERATION_ACTIONS = {*_NOTED_ACTIONS, *_PLAIN_ACTIONS}


def moderate(
    action: str,
    *,
    session: Session,
    cafe: Cafe,
    contribution_id: int,
    note: str,
    now: datetime,
    actor: Actor,
) -> tuple[Contribution, list[CafeEvent]]:
    """One moderation action by name by `actor`, and the events it causes."""
    if action in _NOTED_ACTIONS:
        act, events = _NOTED_ACTIONS[action]
        c = act(
            session=session,
            cafe=cafe,
            contribution_id=contribution_id,
            note=note,
            now=now,
            actor=actor,
        )
        return c, list(events)
    if action in _PLAIN_ACTIONS:
        c = _PLAIN_ACTIONS[action](
            session=session, cafe=cafe, contribution_id=contribution_id, now=now
        )
        return c, [CafeEvent.BOARD_CHANGED]
    raise NotFound(_("There is no such moderation action."))
