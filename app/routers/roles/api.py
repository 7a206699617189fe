"""JSON API for roles beside the owner: a café's co-facilitators, a local group's
coordinators, their invites, and accepting one."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.deps.cafe import ERRORS as CAFE_ERRORS
from app.deps.cafe import ReadCafe, WriteCafe
from app.deps.common import (
    ApiReader,
    ApiWriter,
    NowDep,
    Responses,
    RowId,
    SessionDep,
    SettingsDep,
    api_errors,
)
from app.deps.network import ERRORS as NETWORK_ERRORS
from app.deps.network import ReadGroup, WriteGroup
from app.models.accounts import Facilitator
from app.models.cafe import Cafe
from app.models.network import LocalGroup
from app.models.roles import (
    AcceptRequest,
    HelperPublic,
    HelpersPublic,
    InviteCreated,
    InvitePending,
    InviteRequest,
    MyRolePublic,
    Role,
    RoleGrant,
    RoleInvite,
)
from app.services import roles

router = APIRouter(prefix="/api/v1", tags=["roles"])

ACCEPT_ERRORS: Responses = {
    **api_errors(
        not_found="The invite link is not known",  # not shown to people
        conflict="You own this already",  # not shown to people
    ),
    403: {
        "description": "The token lacks the write scope, "  # not shown to people
        "or the invite is for another account"
    },
    410: {"description": "The invite was used, withdrawn or has expired"},  # not shown to people
}


def _created(invite: RoleInvite, token: str, base_url: str, email: str) -> InviteCreated:
    return InviteCreated(
        id=invite.id,
        role=Role(invite.role),
        email=email,
        link=roles.invite_link(base_url, token),
        expires_at=invite.expires_at,
    )


def _helpers(
    session: SessionDep, now: NowDep, *, cafe: Cafe | None = None, group: LocalGroup | None = None
) -> HelpersPublic:
    return HelpersPublic(
        helpers=[
            _helper(grant, person)
            for grant, person in roles.helpers(session=session, cafe=cafe, group=group)
        ],
        invites=[
            InvitePending(
                id=i.id,
                role=Role(i.role),
                email=i.email,
                created_at=i.created_at,
                expires_at=i.expires_at,
            )
            for i in roles.pending_invites(session=session, now=now, cafe=cafe, group=group)
        ],
    )


def _helper(grant: RoleGrant, person: Facilitator) -> HelperPublic:
    return HelperPublic(
        id=grant.id,
        role=Role(grant.role),
        facilitator_id=person.id,
        name=person.display_name,
        email=person.email,
        since=grant.created_at,
    )


@router.post(
    "/cafes/{cafe_id}/co-facilitators", status_code=201, responses=CAFE_ERRORS, tags=["cafés"]
)
def invite_co_facilitator(
    body: InviteRequest, cafe: WriteCafe, session: SessionDep, settings: SettingsDep, now: NowDep
) -> InviteCreated:
    """Invite a facilitator account (by its email) to help run the café (owner only); the
    link is returned this once."""
    invite, token = roles.invite_co_facilitator(
        session=session, cafe=cafe, email=body.email, now=now
    )
    return _created(invite, token, settings.base_url, invite.email)


@router.get("/cafes/{cafe_id}/co-facilitators", responses=CAFE_ERRORS, tags=["cafés"])
def list_co_facilitators(cafe: ReadCafe, session: SessionDep, now: NowDep) -> HelpersPublic:
    """The café's co-facilitators and its invites not yet accepted (owner only)."""
    return _helpers(session, now, cafe=cafe)


@router.delete(
    "/cafes/{cafe_id}/co-facilitators/invites/{invite_id}",
    status_code=204,
    responses=CAFE_ERRORS,
    tags=["cafés"],
)
def revoke_co_facilitator_invite(
    invite_id: RowId, cafe: WriteCafe, session: SessionDep, now: NowDep
) -> Response:
    """Withdraw an invite not yet accepted (owner only): its link stops working."""
    roles.revoke_invite(session=session, invite_id=invite_id, now=now, cafe=cafe)
    return Response(status_code=204)


@router.delete(
    "/cafes/{cafe_id}/co-facilitators/{role_id}",
    status_code=204,
    responses=CAFE_ERRORS,
    tags=["cafés"],
)
def remove_co_facilitator(role_id: RowId, cafe: WriteCafe, session: SessionDep) -> Response:
    """Stop a co-facilitator helping to run the café (owner only)."""
    roles.remove_role(session=session, grant_id=role_id, cafe=cafe)
    return Response(status_code=204)


@router.post(
    "/networks/groups/{group_id:int}/coordinators",
    status_code=201,
    responses=NETWORK_ERRORS,
    tags=["networks"],
)
def invite_coordinator(
    body: InviteRequest, group: WriteGroup, session: SessionDep, settings: SettingsDep, now: NowDep
) -> InviteCreated:
    """Invite a facilitator account (by its email) to coordinate the local group (the
    network's lead only); the link is returned this once."""
    invite, token = roles.invite_coordinator(
        session=session, group=group, email=body.email, now=now
    )
    return _created(invite, token, settings.base_url, invite.email)


@router.get(
    "/networks/groups/{group_id:int}/coordinators", responses=NETWORK_ERRORS, tags=["networks"]
)
def list_coordinators(group: ReadGroup, session: SessionDep, now: NowDep) -> HelpersPublic:
    """The group's coordinators and its invites not yet accepted (the network's lead only)."""
    return _helpers(session, now, group=group)


@router.delete(
    "/networks/groups/{group_id:int}/coordinators/invites/{invite_id}",
    status_code=204,
    responses=NETWORK_ERRORS,
    tags=["networks"],
)
def revoke_coordinator_invite(
    invite_id: RowId, group: WriteGroup, session: SessionDep, now: NowDep
) -> Response:
    """Withdraw an invite not yet accepted (the network's lead only)."""
    roles.revoke_invite(session=session, invite_id=invite_id, now=now, group=group)
    return Response(status_code=204)


@router.delete(
    "/networks/groups/{group_id:int}/coordinators/{role_id}",
    status_code=204,
    responses=NETWORK_ERRORS,
    tags=["networks"],
)
def remove_coordinator(role_id: RowId, group: WriteGroup, session: SessionDep) -> Response:
    """Stop a coordinator coordinating the group (the network's lead only)."""
    roles.remove_role(session=session, grant_id=role_id, group=group)
    return Response(status_code=204)


@router.post("/roles/accept", responses=ACCEPT_ERRORS)
def accept_invite(
    body: AcceptRequest, session: SessionDep, who: ApiWriter, now: NowDep
) -> MyRolePublic:
    """Accept an invite as the token's facilitator (the invite's email must be theirs)."""
    grant = roles.accept_invite(session=session, token=body.token, facilitator=who, now=now)
    return next(
        _mine(g, title)
        for g, title in roles.my_roles(session=session, facilitator=who)
        if g.id == grant.id
    )


def _mine(grant: RoleGrant, title: str) -> MyRolePublic:
    return MyRolePublic(
        id=grant.id,
        role=Role(grant.role),
        cafe_id=grant.cafe_id,
        group_id=grant.group_id,
        title=title,
    )


@router.get("/roles", responses=api_errors())
def my_roles(session: SessionDep, who: ApiReader) -> list[MyRolePublic]:
    """The cafés the token's facilitator co-facilitates and the groups they coordinate."""
    return [_mine(g, title) for g, title in roles.my_roles(session=session, facilitator=who)]
