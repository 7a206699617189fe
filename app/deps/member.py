"""Who a member's device is: the member its signed cookie names, set when they open their
personal link (`/m/{token}`) and good while that link works."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app import i18n
from app.deps.common import SessionDep
from app.models.member_page import MemberLink
from app.models.network import Member
from app.services.network import member_page as member_page_service
from app.services.network.networks import group_of, network_of

# The session cookie's entry for a member's page (the cookie is signed, HttpOnly, Lax).
MEMBER_KEY = "mp"


def remember_member(request: Request, link: MemberLink) -> None:
    request.session[MEMBER_KEY] = member_page_service.cookie_entry(link)


def forget_member(request: Request) -> None:
    request.session.pop(MEMBER_KEY, None)


async def _entry(request: Request) -> object:
    return request.session.get(MEMBER_KEY)


def member_of_device(
    request: Request, session: SessionDep, entry: Annotated[object, Depends(_entry)]
) -> Member | None:
    """The member this device opened a link for, while that link works; None otherwise (the
    member's pages then say how to get a link), and a stopped link's cookie is dropped. The
    request then speaks the network's language, unless the person chose their own."""
    member = member_page_service.member_for_cookie(session=session, entry=entry)
    if member is None and entry is not None:
        forget_member(request)
    if member is not None:
        # The member's pages speak their network's language unless they chose their own.
        network = network_of(session=session, group=group_of(session=session, item=member))
        i18n.prefer(network.language)
    return member


DeviceMemberDep = Annotated[Member | None, Depends(member_of_device)]
