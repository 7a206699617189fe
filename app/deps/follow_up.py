"""A network's actions named in the URL, for the lead's pages (`OwnedAction`: the login
cookie) and the API (`ReadAction`: any token; `WriteAction`: a write token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.deps.common import ApiReader, ApiWriter, FacilitatorDep
from app.deps.loaders import row_loader
from app.models.follow_up import NetworkAction
from app.services.network import actions as action_service

_get_action = action_service.get_action

OwnedAction = Annotated[
    NetworkAction,
    Depends(row_loader(_get_action, key="action_id", owner_dep=FacilitatorDep)),
]
ReadAction = Annotated[
    NetworkAction, Depends(row_loader(_get_action, key="action_id", owner_dep=ApiReader))
]
WriteAction = Annotated[
    NetworkAction, Depends(row_loader(_get_action, key="action_id", owner_dep=ApiWriter))
]
