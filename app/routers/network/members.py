"""The lead's pages for a group's members: add, edit, remove, revoke their invites."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from app.deps.common import CsrfDep, FacilitatorDep, NowDep, SessionDep
from app.deps.network import (
    OwnedMember,
    lead_context,
    member_values,
)
from app.kit.forms import build, see_other
from app.kit.rendering import render
from app.models.accounts import Facilitator
from app.models.cafe import ROLE_LABELS
from app.models.network import (
    Member,
    MemberUpdate,
)
from app.services.errors import DomainError, Invalid
from app.services.network import invites as invite_service
from app.services.network import members as member_service
from app.services.network import networks as network_service

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])


def _member_page(
    request: Request,
    session: SessionDep,
    member: Member,
    who: Facilitator,
    *,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    group = network_service.group_of(session=session, item=member)
    return render(
        request,
        "networks/member.html",
        {
            **lead_context(who),
            "network": network_service.network_of(session=session, group=group),
            "group": group,
            "member": member,
            "error": error,
            "values": values or member.model_dump(),
        },
        status_code=status_code,
    )


@router.get("/members/{member_id:int}")
def member_page(
    request: Request, session: SessionDep, member: OwnedMember, who: FacilitatorDep
) -> Response:
    """Edit a member's details, consent and accessibility needs."""
    return _member_page(request, session, member, who)


@router.post("/members/{member_id:int}")
def update_member(
    request: Request,
    session: SessionDep,
    member: OwnedMember,
    who: FacilitatorDep,
    now: NowDep,
    display_name: Annotated[str, Form(max_length=500)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=500)] = "",
    phone: Annotated[str, Form(max_length=100)] = "",
    accessibility_needs: Annotated[str, Form(max_length=4000)] = "",
    consent_given: Annotated[bool, Form()] = False,
    consent_note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Save a member's details."""
    values = member_values(
        display_name, role, email, phone, accessibility_needs, consent_given, consent_note
    )
    try:
        if role not in ROLE_LABELS:
            raise Invalid("Choose the member's stakeholder role.")
        data = build(MemberUpdate, **{**values, "display_name": display_name.strip()})
        member_service.update_member(session=session, member=member, data=data, now=now)
    except DomainError as exc:
        session.rollback()
        session.refresh(member)
        return _member_page(
            request,
            session,
            member,
            who,
            error=exc.detail,
            values=values,
            status_code=exc.status_code,
        )
    return see_other(f"/networks/groups/{member.group_id}#members")


@router.post("/members/{member_id:int}/delete")
def delete_member(
    session: SessionDep, member: OwnedMember, confirm: Annotated[bool, Form()] = False
) -> Response:
    """Remove a member after the lead ticks the confirmation."""
    if not confirm:
        raise Invalid("Tick the box to confirm that the member should be removed.")
    group_id = member.group_id
    member_service.delete_member(session=session, member=member)
    return see_other(f"/networks/groups/{group_id}#members")


@router.post("/members/{member_id:int}/revoke-invites")
def revoke_invites(session: SessionDep, member: OwnedMember) -> Response:
    """Stop every invite link already sent to this member."""
    invite_service.revoke_invites(session=session, member=member)
    return see_other(f"/networks/members/{member.id}")
