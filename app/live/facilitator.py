"""The facilitator's live views: the console and the projector, redrawn from the café state
at each event (a few a second at most: they coalesce events 0.2 s apart)."""

from __future__ import annotations

from anyio import to_thread
from starlette.websockets import WebSocket, WebSocketDisconnect

from app import i18n
from app.config import Settings
from app.db import Database
from app.kit.qr import qr_svg
from app.kit.rendering import render_html
from app.live.hub import Event
from app.live.reads import read_moderation, read_room
from app.live.sockets import POLICY_VIOLATION, Parts, Renderer
from app.models.base import utcnow
from app.models.cafe import Cafe
from app.security import SIGNED_IN, origin_allowed
from app.services import roles, sessions
from app.services.cafe import cafes as cafe_service
from app.services.cafe.state import CafeState
from app.services.evidence.projector import ProjectorHarvest, harvest_if_shown


async def facilitator_cafe(
    websocket: WebSocket, settings: Settings, db: Database, cafe_id: int
) -> tuple[Cafe, bool] | None:
    """The café and whether the socket's account owns it, if the socket comes from our own
    pages and its cookie carries a live session (not logged out or signed out elsewhere) of
    the café's owner or one of its co-facilitators."""
    if not origin_allowed(websocket, settings):
        return None
    key = websocket.session.get(SIGNED_IN)
    if not isinstance(key, str):
        return None

    def load() -> tuple[Cafe, bool] | None:
        with db.read_session() as session:
            found = sessions.signed_in(session=session, key=key, now=utcnow())
            cafe = session.get(Cafe, cafe_id) if found else None
            if found is None or cafe is None:
                return None
            who = found[1].id
            if not roles.may_run_cafe(session=session, facilitator_id=who, cafe=cafe):
                return None
            return cafe, cafe.facilitator_id == who

    return await to_thread.run_sync(load)


def while_signed_in(
    websocket: WebSocket, db: Database, render: Renderer, *, cafe_id: int
) -> Renderer:
    """A facilitator's view that ends with their session or their role: before each push it
    checks that the session the socket was opened with is still live and that its account
    still owns or co-facilitates the café (a few indexed lookups), and if not (logout, signed
    out elsewhere, a password change, removed as co-facilitator) closes the socket (1008)
    instead of sending anything more."""
    key = websocket.session.get(SIGNED_IN)

    def live() -> bool:
        with db.read_session() as session:
            found = sessions.signed_in(session=session, key=key, now=utcnow())
            cafe = session.get(Cafe, cafe_id) if found else None
            if found is None or cafe is None:
                return False
            return roles.may_run_cafe(session=session, facilitator_id=found[1].id, cafe=cafe)

    async def guarded(state: CafeState, event: Event | None) -> str | Parts | None:
        # The first draw follows the handshake's own check at once.
        if event is not None and not await to_thread.run_sync(live):
            await websocket.close(POLICY_VIOLATION)
            raise WebSocketDisconnect(POLICY_VIOLATION)
        return await render(state, event)

    return guarded


def console_view(
    websocket: WebSocket, settings: Settings, db: Database, *, owner: bool
) -> Renderer:
    """The console's live part: the state of the room and the moderation queue (with the
    owner's links when the socket's account owns the café)."""
    csrf = str(websocket.session.get("csrf", ""))
    base = settings.base_url.rstrip("/")

    async def render(state: CafeState, _event: Event | None) -> str | None:
        moderation = await to_thread.run_sync(read_moderation, db, state.cafe)
        extras = await to_thread.run_sync(read_room, db, state.cafe)
        return render_html(
            "cafe/console.html",
            {
                "cafe": state.cafe,
                "s": state,
                "m": moderation,
                "rx": extras,
                "oob": True,
                "owner": owner,
                "csrf": csrf,
                "base_url": base,
                "join_url": cafe_service.join_url(base_url=base, cafe=state.cafe),
            },
            block="console",
        )

    return render


def projector_view(settings: Settings, db: Database) -> Renderer:
    """The projector's live part: the join code and QR, the question, the clock, the tables;
    or, in harvest mode, the harvest (redrawn as cards change: it hears the boards too)."""
    qr: dict[str, str] = {}  # the join link never changes; draw its QR code once

    def read_harvest(cafe_id: int) -> ProjectorHarvest | None:
        with db.read_session() as session:
            return harvest_if_shown(session=session, cafe_id=cafe_id)

    drawn: list[CafeState] = []  # the state last drawn from (this socket's renderer)

    async def render(state: CafeState, event: Event | None) -> str | None:
        harvest = await to_thread.run_sync(read_harvest, state.cafe.id)
        if (
            harvest is None
            and event is not None
            and event.channel.startswith("boards:")
            and drawn
            and drawn[0] is state
        ):
            return None  # only a card changed: the round's view shows no cards
        drawn[:] = [state]
        url = cafe_service.join_url(base_url=settings.base_url, cafe=state.cafe)
        if url not in qr:
            qr[url] = qr_svg(url)
        # The room's screen speaks the café's language, not the facilitator's.
        with i18n.speaking(state.cafe.language):
            return render_html(
                "cafe/projector.html",
                {
                    "cafe": state.cafe,
                    "s": state,
                    "oob": True,
                    "join_url": url,
                    "qr_svg": qr[url],
                    "harvest": harvest,
                },
                block="board",
            )

    return render
