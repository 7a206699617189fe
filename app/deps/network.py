"""A network's rows named in the URL (network, group, member, meeting, action plan), for the
lead's pages (`Owned…`: the login cookie) and the API (`Read…`/`Write…`: the token's scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query

from app.deps.common import (
    ApiReader,
    ApiWriter,
    FacilitatorDep,
    api_errors,
)
from app.deps.loaders import row_loader
from app.models.accounts import Facilitator
from app.models.action_plan import (
    ActionPlan,
)
from app.models.cafe import ROLE_LABELS
from app.models.network import (
    LocalGroup,
    Meeting,
    Member,
    Network,
)
from app.services import action_plan as plan_service
from app.services.errors import Invalid
from app.services.network import meetings as meeting_service
from app.services.network import networks as network_service

_get_network = network_service.get_network
_get_group = network_service.get_group
_get_member = network_service.get_member
_get_meeting = network_service.get_meeting
_get_plan = plan_service.get_plan

OwnedNetwork = Annotated[
    Network, Depends(row_loader(_get_network, key="network_id", owner_dep=FacilitatorDep))
]
ReadNetwork = Annotated[
    Network, Depends(row_loader(_get_network, key="network_id", owner_dep=ApiReader))
]
WriteNetwork = Annotated[
    Network, Depends(row_loader(_get_network, key="network_id", owner_dep=ApiWriter))
]
OwnedGroup = Annotated[
    LocalGroup, Depends(row_loader(_get_group, key="group_id", owner_dep=FacilitatorDep))
]
ReadGroup = Annotated[
    LocalGroup, Depends(row_loader(_get_group, key="group_id", owner_dep=ApiReader))
]
WriteGroup = Annotated[
    LocalGroup, Depends(row_loader(_get_group, key="group_id", owner_dep=ApiWriter))
]
OwnedMember = Annotated[
    Member, Depends(row_loader(_get_member, key="member_id", owner_dep=FacilitatorDep))
]
ReadMember = Annotated[
    Member, Depends(row_loader(_get_member, key="member_id", owner_dep=ApiReader))
]
WriteMember = Annotated[
    Member, Depends(row_loader(_get_member, key="member_id", owner_dep=ApiWriter))
]
OwnedMeeting = Annotated[
    Meeting, Depends(row_loader(_get_meeting, key="meeting_id", owner_dep=FacilitatorDep))
]
ReadMeeting = Annotated[
    Meeting, Depends(row_loader(_get_meeting, key="meeting_id", owner_dep=ApiReader))
]
WriteMeeting = Annotated[
    Meeting, Depends(row_loader(_get_meeting, key="meeting_id", owner_dep=ApiWriter))
]
OwnedPlan = Annotated[
    ActionPlan, Depends(row_loader(_get_plan, key="plan_id", owner_dep=FacilitatorDep))
]
ReadPlan = Annotated[ActionPlan, Depends(row_loader(_get_plan, key="plan_id", owner_dep=ApiReader))]
WritePlan = Annotated[
    ActionPlan, Depends(row_loader(_get_plan, key="plan_id", owner_dep=ApiWriter))
]


def lead_context(who: Facilitator) -> dict[str, Any]:
    return {
        "facilitator": who,
        "roles": ROLE_LABELS,
        "when": meeting_service.describe_when,
        "local": meeting_service.local_time,
    }


ERRORS = api_errors(
    not_found="No such network, group, member, meeting or plan (or not yours)",
    conflict="Not possible in the current state",
)


After = Annotated[int | None, Query(ge=0, description="Read items after this id (a cursor).")]


Limit = Annotated[int, Query(ge=1, le=200, description="Items per page.")]


def meeting_span(date: str, start: str, end: str, *, label: str) -> tuple[datetime, datetime]:
    """Start and end of a meeting typed as one date and two times (UK time)."""
    begins = meeting_service.parse_local(date_text=date, time_text=start, label=label)
    ends = meeting_service.parse_local(date_text=date, time_text=end or start, label=label)
    if ends <= begins:
        raise Invalid(f"The {label} must end after it starts.")
    return begins, ends


def member_values(
    display_name: str,
    role: str,
    email: str,
    phone: str,
    accessibility_needs: str,
    consent_given: bool,
    consent_note: str,
) -> dict[str, Any]:
    return {
        "display_name": display_name,
        "role": role,
        "email": email,
        "phone": phone,
        "accessibility_needs": accessibility_needs,
        "consent_given": consent_given,
        "consent_note": consent_note,
    }
