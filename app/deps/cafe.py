"""A café loaded from the URL, for the facilitator's pages and the API (one loader per use)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.deps.common import (
    ApiReader,
    ApiWriter,
    FacilitatorDep,
    SessionDep,
    api_errors,
)
from app.models.cafe import (
    Cafe,
)
from app.services import cafe as cafe_service

ERRORS = api_errors(
    not_found="No such café (or not yours)",
    conflict="Not possible in the café's current state",
)


def readable_cafe(cafe_id: int, session: SessionDep, facilitator: ApiReader) -> Cafe:
    return cafe_service.get_owned(session=session, facilitator=facilitator, cafe_id=cafe_id)


def writable_cafe(cafe_id: int, session: SessionDep, facilitator: ApiWriter) -> Cafe:
    return cafe_service.get_owned(session=session, facilitator=facilitator, cafe_id=cafe_id)


ReadCafe = Annotated[Cafe, Depends(readable_cafe)]


WriteCafe = Annotated[Cafe, Depends(writable_cafe)]


def owned_cafe(cafe_id: int, session: SessionDep, facilitator: FacilitatorDep) -> Cafe:
    return cafe_service.get_owned(session=session, facilitator=facilitator, cafe_id=cafe_id)


OwnedCafe = Annotated[Cafe, Depends(owned_cafe)]
