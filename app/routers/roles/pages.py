"""The owner's invite, withdraw and remove buttons (on the café's settings and the group's
page), and the page an invite link opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from app.deps.cafe import OwnedCafe
from app.deps.common import (
    CsrfDep,
    FacilitatorDep,
    NowDep,
    RowId,
    SessionDep,
    SettingsDep,
    facilitator_id_if_signed_in,
)
from app.deps.network import OwnedGroup
from app.i18n import _
from app.kit.forms import see_other
from app.kit.rendering import render
from app.models.accounts import Facilitator
from app.models.roles import RoleInvite
from app.services import roles
from app.services.errors import DomainError

router = APIRouter(include_in_schema=False, dependencies=[CsrfDep])


def _invited_page(
    request: Request,
    facilitator: Facilitator,
    *,
    back: str,
    place: str,
    invite: RoleInvite | None = None,
    link: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "facilitator": facilitator,
        "back": back,
        "place": place,
        "invite": invite,
        "link": link,
        "error": error,
    }
    return render(request, "roles/invited.html", context, status_code=status_code)


def _made(
    request: Request,
    facilitator: Facilitator,
    settings_base_url: str,
    *,
    back: str,
    place: str,
    make: Callable[[], tuple[RoleInvite, str]],
) -> Response:
    try:
        invite, token = make()
    except DomainError as exc:
        return _invited_page(
            request,
            facilitator,
            back=back,
            place=place,
            error=exc.detail,
            status_code=exc.status_code,
        )
    link = roles.invite_link(settings_base_url, token)
    return _invited_page(request, facilitator, back=back, place=place, invite=invite, link=link)


@router.post("/cafes/{cafe_id}/co-facilitators")
def invite_co_facilitator(
    request: Request,
    cafe: OwnedCafe,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Make a single-use link inviting another facilitator account to help run the café."""
    return _made(
        request,
        facilitator,
        settings.base_url,
        back=f"/cafes/{cafe.id}/settings#helpers",
        place=_("the café “%(title)s”", title=cafe.title),
        make=lambda: roles.invite_co_facilitator(session=session, cafe=cafe, email=email, now=now),
    )


@router.post("/networks/groups/{group_id:int}/coordinators")
def invite_coordinator(
    request: Request,
    group: OwnedGroup,
    session: SessionDep,
    facilitator: FacilitatorDep,
    settings: SettingsDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Make a single-use link inviting another facilitator account to coordinate the group."""
    return _made(
        request,
        facilitator,
        settings.base_url,
        back=f"/networks/groups/{group.id}#helpers",
        place=_("the local group “%(name)s”", name=group.name),
        make=lambda: roles.invite_coordinator(session=session, group=group, email=email, now=now),
    )


@router.post("/cafes/{cafe_id}/co-facilitators/invites/{invite_id}/revoke")
def revoke_co_facilitator_invite(
    cafe: OwnedCafe, invite_id: RowId, session: SessionDep, now: NowDep
) -> Response:
    """Withdraw an invite not yet accepted: its link stops working."""
    roles.revoke_invite(session=session, invite_id=invite_id, now=now, cafe=cafe)
    return see_other(f"/cafes/{cafe.id}/settings#helpers")


@router.post("/networks/groups/{group_id:int}/coordinators/invites/{invite_id}/revoke")
def revoke_coordinator_invite(
    group: OwnedGroup, invite_id: RowId, session: SessionDep, now: NowDep
) -> Response:
    """Withdraw an invite not yet accepted: its link stops working."""
    roles.revoke_invite(session=session, invite_id=invite_id, now=now, group=group)
    return see_other(f"/networks/groups/{group.id}#helpers")


@router.post("/cafes/{cafe_id}/co-facilitators/{role_id}/remove")
def remove_co_facilitator(cafe: OwnedCafe, role_id: RowId, session: SessionDep) -> Response:
    """Stop someone helping to run the café."""
    roles.remove_role(session=session, grant_id=role_id, cafe=cafe)
    return see_other(f"/cafes/{cafe.id}/settings#helpers")


@router.post("/networks/groups/{group_id:int}/coordinators/{role_id}/remove")
def remove_coordinator(group: OwnedGroup, role_id: RowId, session: SessionDep) -> Response:
    """Stop someone coordinating the group."""
    roles.remove_role(session=session, grant_id=role_id, group=group)
    return see_other(f"/networks/groups/{group.id}#helpers")


def _accept_page(
    request: Request,
    facilitator: Facilitator | None,
    token: str,
    *,
    place: str = "",
    role: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "facilitator": facilitator,
        "token": token,
        "place": place,
        "role": role,
        "error": error,
    }
    return render(request, "roles/accept.html", context, status_code=status_code)


@router.get(roles.ACCEPT_PATH + "{token}")
def accept_page(request: Request, token: str, session: SessionDep, now: NowDep) -> Response:
    """What an invite link offers, with the button to accept it, or the way to sign in first
    (the page is open to anyone: the link itself is the secret)."""
    signed_in = facilitator_id_if_signed_in(request, session, now)
    facilitator = session.get(Facilitator, signed_in) if signed_in else None
    try:
        invite = roles.open_invite(session=session, token=token[:200], now=now)
    except DomainError as exc:
        return _accept_page(request, facilitator, "", error=exc.detail, status_code=exc.status_code)
    place = roles.invite_place(session=session, invite=invite)
    return _accept_page(request, facilitator, token, place=place, role=invite.role)


@router.post(roles.ACCEPT_PATH + "{token}")
def accept(
    request: Request, token: str, session: SessionDep, facilitator: FacilitatorDep, now: NowDep
) -> Response:
    """Take up the role the invite offers, then go to what it is for."""
    try:
        grant = roles.accept_invite(
            session=session, token=token[:200], facilitator=facilitator, now=now
        )
    except DomainError as exc:
        return _accept_page(request, facilitator, "", error=exc.detail, status_code=exc.status_code)
    if grant.cafe_id is not None:
        return see_other(f"/cafes/{grant.cafe_id}/console")
    return see_other(f"/networks/groups/{grant.group_id}")
