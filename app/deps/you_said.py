""" "You said, we did" updates named in the URL: for the lead's pages (`OwnedUpdate`: the login
cookie) and the API (`WriteUpdate`: a write token). The network's lead reaches any of its
updates, a group's coordinator their group's only (`app.services.network.you_said`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.deps.common import ApiWriter, FacilitatorDep
from app.deps.loaders import row_loader
from app.models.you_said import YouSaid
from app.services.network import you_said as you_said_service

_get_update = you_said_service.get_update

OwnedUpdate = Annotated[
    YouSaid, Depends(row_loader(_get_update, key="update_id", owner_dep=FacilitatorDep))
]
WriteUpdate = Annotated[
    YouSaid, Depends(row_loader(_get_update, key="update_id", owner_dep=ApiWriter))
]
