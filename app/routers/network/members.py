"""The lead's pages for a group's members: add, edit, remove, revoke their invites."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response

from app.deps.common import (
    CsrfDep,
    FacilitatorDep,
    NowDep,
    SessionDep,
    SettingsDep,
)
from app.deps.network import CoordinatedMember, Lead, LeadDep, MemberFormDep, OwnedMember
from app.i18n import _
from app.kit.forms import refusal, see_other
from app.models.network import Member, MemberUpdate
from app.services import audit
from app.services.errors import DomainError, Invalid
from app.services.network import invites as invite_service
from app.services.network import member_page as member_page_service
from app.services.network import members as member_service
from app.services.network import networks as network_service
from app.services.privacy import erasure

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])


def _member_page(
    lead: Lead, member: Member, *, values: dict[str, Any] | None = None, **shown: Any
) -> Response:
    group = network_service.group_of(session=lead.session, item=member)
    network = network_service.network_of(session=lead.session, group=group)
    context = {
        "network": network,
        "owner": network.facilitator_id == lead.who.id,
        "group": group,
        "member": member,
        "erases": erasure.preview_member(session=lead.session, member=member),
        "link": member_page_service.link_of(session=lead.session, member=member),
        "link_works": member_page_service.is_working,
    }
    # The form shows what is stored until a refused post shows what was typed.
    return lead.page("network/member.html", context, values=values or member.model_dump(), **shown)


@router.get("/members/{member_id:int}")
def member_page(lead: LeadDep, member: CoordinatedMember) -> Response:
    """Edit a member's details, consent and accessibility needs."""
    member_service.contact_details_seen(
        db=lead.db, session=lead.session, actor=audit.facilitator(lead.who), members=[member]
    )
    return _member_page(lead, member)


@router.post("/members/{member_id:int}")
def update_member(
    lead: LeadDep, member: CoordinatedMember, now: NowDep, typed: MemberFormDep
) -> Response:
    """Save a member's details."""
    try:
        data = typed.build(MemberUpdate)
        member_service.update_member(
            session=lead.session,
            member=member,
            data=data,
            now=now,
            actor=audit.facilitator(lead.who),
        )
    except DomainError as exc:
        shown = refusal(lead.session, exc, member)
        return _member_page(lead, member, values=typed.values, **shown)
    return see_other(f"/networks/groups/{member.group_id}#members")


@router.post("/members/{member_id:int}/delete")
def delete_member(
    session: SessionDep,
    member: OwnedMember,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    now: NowDep,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """Erase a member (as `POST /api/v1/networks/members/{id}/erase`) after the lead ticks
    the confirmation."""
    if not confirm:
        raise Invalid(_("Tick the box to confirm that the member should be erased."))
    group_id = member.group_id
    erasure.erase_member(
        session=session,
        media_dir=settings.media_dir,
        member=member,
        actor=audit.facilitator(facilitator),
        now=now,
    )
    return see_other(f"/networks/groups/{group_id}#members")


@router.post("/members/{member_id:int}/revoke-invites")
def revoke_invites(session: SessionDep, member: CoordinatedMember) -> Response:
    """Stop every invite link already sent to this member, and their personal page link."""
    invite_service.revoke_invites(session=session, member=member)
    return see_other(f"/networks/members/{member.id}")
