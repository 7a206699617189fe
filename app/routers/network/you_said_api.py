"""JSON API for "you said, we did": a network's updates to its members, each for one local
group or the whole network, linked to the café themes and evidence items it answers.

The list is read as a café's contributions: in the order updates changed, after the opaque
cursor given as `after` (`app.services.network.sync`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from app.deps.common import ApiWriter, NowDep, SessionDep
from app.deps.network import ERRORS, Cursor, Limit, ReadNetwork, WriteNetwork, page_of
from app.deps.you_said import WriteUpdate
from app.models.base import ID_MAX
from app.models.network import ChangePage
from app.models.you_said import YouSaidChange, YouSaidCreate, YouSaidPublic
from app.services.network import sync
from app.services.network import you_said as you_said_service

router = APIRouter(prefix="/api/v1/networks", tags=["networks"])

GroupFilter = Annotated[
    int | None,
    Query(
        ge=0,
        le=ID_MAX,
        description="Only this local group's updates; 0 for the whole network's.",
    ),
]


@router.get("/{network_id:int}/updates", responses=ERRORS)
def list_updates(
    network: ReadNetwork,
    session: SessionDep,
    group_id: GroupFilter = None,
    created_from: Annotated[
        AwareDatetime | None, Query(description="Only updates written at or after this time.")
    ] = None,
    created_before: Annotated[
        AwareDatetime | None, Query(description="Only updates written before this time.")
    ] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[YouSaidPublic]:
    """List the network's "you said, we did" updates in the order they changed, a page at
    a time (`deleted`: updates deleted since)."""
    found = sync.updates(
        session=session,
        network=network,
        group_id=group_id,
        created_from=created_from,
        created_before=created_before,
        after=after,
        limit=limit,
    )
    return page_of(found, lambda rows: you_said_service.public(session=session, updates=rows))


@router.post("/{network_id:int}/updates", status_code=201, responses=ERRORS)
def create_update(
    body: YouSaidCreate, network: WriteNetwork, session: SessionDep, who: ApiWriter, now: NowDep
) -> YouSaidPublic:
    """Write a "you said, we did" update for one local group (`group_id`) or the whole
    network, linked to the themes and evidence items it answers; members see it on their
    page and the group's next café can open with it on the projector."""
    update = you_said_service.create_update(
        session=session, network=network, facilitator=who, data=body, now=now
    )
    return you_said_service.public(session=session, updates=[update])[0]


@router.patch("/updates/{update_id:int}", responses=ERRORS)
def change_update(
    body: YouSaidChange, update: WriteUpdate, session: SessionDep, who: ApiWriter, now: NowDep
) -> YouSaidPublic:
    """Change an update (only the fields given); a group's coordinator changes their group's."""
    you_said_service.change_update(
        session=session, update=update, facilitator=who, data=body, now=now
    )
    return you_said_service.public(session=session, updates=[update])[0]


@router.delete("/updates/{update_id:int}", status_code=204, responses=ERRORS)
def delete_update(update: WriteUpdate, session: SessionDep) -> Response:
    """Delete an update; members no longer see it."""
    you_said_service.delete_update(session=session, update=update)
    return Response(status_code=204)
