"""JSON API for a member's personal link to their own page."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps.common import NowDep, SessionDep, SettingsDep
from app.deps.network import ERRORS, WriteMember
from app.models.member_page import MemberLinkPublic
from app.services.network import member_page as member_page_service

router = APIRouter(prefix="/api/v1/networks", tags=["networks"])


@router.post("/members/{member_id:int}/link", status_code=201, responses=ERRORS)
def new_link(
    member: WriteMember, session: SessionDep, settings: SettingsDep, now: NowDep
) -> MemberLinkPublic:
    """Make a new personal link to the member's own page (`GET /m/{token}`) and return it
    once: only its hash is kept. The member's previous link stops working;
    `revoke-invites` stops this one too."""
    link, token = member_page_service.issue_link(session=session, member=member, now=now)
    return MemberLinkPublic(
        member_id=member.id,
        url=member_page_service.link_url(base_url=settings.base_url, token=token),
        created_at=link.created_at,
    )
