"""A network's rows named in the URL (network, group, member, meeting, action plan), for the
lead's pages (`Owned…`: the login cookie) and the API (`Read…`/`Write…`: the token's scope);
`Coordinated…`, `ReadCoordinated…` and `WriteCoordinated…` admit the group's coordinators
too (what each role may do: `app.services.roles`); the
lead's pages (`Lead`) and their meeting and member forms; what pages and API answer alike (a page
of a list, downloads)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar, overload

from fastapi import Depends, Form, Query, Request, Response
from sqlmodel import Session

from app import i18n
from app.config import Settings
from app.db import Database
from app.deps.common import (
    ApiReader,
    ApiWriter,
    DatabaseDep,
    FacilitatorDep,
    SessionDep,
    SettingsDep,
    api_errors,
)
from app.deps.loaders import row_loader
from app.i18n import N_, _
from app.kit.downloads import attachment, downloaded
from app.kit.forms import build
from app.kit.rendering import render
from app.models.accounts import Facilitator
from app.models.action_plan import ActionPlan
from app.models.cafe import ROLE_LABELS, CafeStatus
from app.models.network import (
    ChangePage,
    LocalGroup,
    Meeting,
    Member,
    Network,
    Page,
    ScheduleRequest,
)
from app.models.payments import Expense
from app.services import action_plan as plan_service
from app.services import roles
from app.services.errors import Invalid
from app.services.export import action_plans as plan_export
from app.services.network import attendance as attendance_service
from app.services.network import meetings as meeting_service
from app.services.network import networks as network_service
from app.services.network import payments as payment_service
from app.services.network import sync

T = TypeVar("T")
P = TypeVar("P")
M = TypeVar("M")

CSV_MEDIA = "text/csv; charset=utf-8"
CALENDAR_MEDIA = "text/calendar; charset=utf-8"

_get_network = network_service.get_network
_get_group = network_service.get_group
_get_member = network_service.get_member
_get_meeting = network_service.get_meeting
_get_plan = plan_service.get_plan
_get_expense = payment_service.get_expense

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
# An expense with its meeting: the network's lead only (`Read…`/`Write…`: the token's owner).
OwnedExpense = Annotated[
    tuple[Expense, Meeting],
    Depends(row_loader(_get_expense, key="expense_id", owner_dep=FacilitatorDep)),
]
ReadExpense = Annotated[
    tuple[Expense, Meeting],
    Depends(row_loader(_get_expense, key="expense_id", owner_dep=ApiReader)),
]
WriteExpense = Annotated[
    tuple[Expense, Meeting],
    Depends(row_loader(_get_expense, key="expense_id", owner_dep=ApiWriter)),
]
OwnedPlan = Annotated[
    ActionPlan, Depends(row_loader(_get_plan, key="plan_id", owner_dep=FacilitatorDep))
]
ReadPlan = Annotated[ActionPlan, Depends(row_loader(_get_plan, key="plan_id", owner_dep=ApiReader))]
WritePlan = Annotated[
    ActionPlan, Depends(row_loader(_get_plan, key="plan_id", owner_dep=ApiWriter))
]

_get_coordinated_group = roles.get_coordinated_group
_get_coordinated_member = roles.get_coordinated_member
_get_coordinated_meeting = roles.get_coordinated_meeting

CoordinatedGroup = Annotated[
    LocalGroup,
    Depends(row_loader(_get_coordinated_group, key="group_id", owner_dep=FacilitatorDep)),
]
ReadCoordinatedGroup = Annotated[
    LocalGroup, Depends(row_loader(_get_coordinated_group, key="group_id", owner_dep=ApiReader))
]
WriteCoordinatedGroup = Annotated[
    LocalGroup, Depends(row_loader(_get_coordinated_group, key="group_id", owner_dep=ApiWriter))
]
CoordinatedMember = Annotated[
    Member,
    Depends(row_loader(_get_coordinated_member, key="member_id", owner_dep=FacilitatorDep)),
]
ReadCoordinatedMember = Annotated[
    Member, Depends(row_loader(_get_coordinated_member, key="member_id", owner_dep=ApiReader))
]
WriteCoordinatedMember = Annotated[
    Member, Depends(row_loader(_get_coordinated_member, key="member_id", owner_dep=ApiWriter))
]
CoordinatedMeeting = Annotated[
    Meeting,
    Depends(row_loader(_get_coordinated_meeting, key="meeting_id", owner_dep=FacilitatorDep)),
]
ReadCoordinatedMeeting = Annotated[
    Meeting,
    Depends(row_loader(_get_coordinated_meeting, key="meeting_id", owner_dep=ApiReader)),
]
WriteCoordinatedMeeting = Annotated[
    Meeting,
    Depends(row_loader(_get_coordinated_meeting, key="meeting_id", owner_dep=ApiWriter)),
]


ERRORS = api_errors(
    not_found=(
        "No such network, group, member, meeting or plan"  # not shown to people
        " (or not yours)"
    ),
    conflict="Not possible in the current state",  # not shown to people
)


# A café's status as the lead's pages name it (translated where shown).
CAFE_STATUS_WORDS = {
    CafeStatus.DRAFT: N_("draft"),
    CafeStatus.RUNNING: N_("running"),
    CafeStatus.CLOSED: N_("closed"),
}


After = Annotated[int | None, Query(ge=0, description="Read items after this id (a cursor).")]


Limit = Annotated[int, Query(ge=1, le=200, description="Items per page.")]

# The cursor of a network's lists, as contributions': opaque, in the order rows changed
# (`app.services.network.sync`); a plain row id is the deprecated cursor of before.
Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="`next_cursor` from the previous page. Deprecated: a row id (only digits) "
        "reads in id order after it, new rows only, as before.",
    ),
]


@dataclass
class Lead:
    """The lead on one of their network pages: what the page is rendered with."""

    request: Request
    session: Session
    who: Facilitator
    settings: Settings
    db: Database

    def page(
        self,
        template: str,
        context: dict[str, Any],
        *,
        error: str | None = None,
        form: str | None = None,
        values: dict[str, Any] | None = None,
        status_code: int = 200,
        block: str | None = None,
    ) -> Response:
        """The page with what each of the lead's pages shows (who is signed in, role names, how
        meeting times read) and its forms' state: a refused post's `error`, which `form` it
        came from and the `values` typed there."""
        shown = {
            "facilitator": self.who,
            "roles": ROLE_LABELS,
            "when": meeting_service.describe_when,
            "local": meeting_service.local_time,
            "cafe_status": lambda status: CAFE_STATUS_WORDS.get(status, status),
            **context,
            "error": error,
            "form": form,
            "values": values or {},
        }
        return render(self.request, template, shown, block=block, status_code=status_code)


async def lead(
    request: Request,
    session: SessionDep,
    who: FacilitatorDep,
    settings: SettingsDep,
    db: DatabaseDep,
) -> Lead:
    return Lead(request, session, who, settings, db)


LeadDep = Annotated[Lead, Depends(lead)]


def meeting_span(date: str, start: str, end: str, *, label: str) -> tuple[datetime, datetime]:
    """Start and end of a meeting typed as one date and two times (UK time)."""
    begins = meeting_service.parse_local(date_text=date, time_text=start, label=label)
    ends = meeting_service.parse_local(date_text=date, time_text=end or start, label=label)
    if ends <= begins:
        raise Invalid(meeting_service.when_refusal(label, 3))
    return begins, ends


def schedule_plan(
    first_date: str, start_time: str, end_time: str, *, location: str, **spacing: Any
) -> ScheduleRequest:
    """A schedule typed as the first meeting's date and times; `spacing` is the count and the
    weeks between, when the form asks for them."""
    first, ends = meeting_span(first_date, start_time, end_time, label="first meeting")
    plan: ScheduleRequest = build(
        ScheduleRequest,
        start=first,
        duration_minutes=int((ends - first).total_seconds() // 60),
        location=location,
        **spacing,
    )
    return plan


class TypedForm:
    """One of the lead's forms as typed: what builds the model, and what the form shows again
    when the post is refused."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values


class MeetingForm(TypedForm):
    def build(self, model: type[M]) -> M:
        """The meeting's fields as `model` (create or update), or `Invalid`."""
        v = self.values
        starts, ends = meeting_span(v["date"], v["start_time"], v["end_time"], label="meeting")
        built: M = build(
            model,
            title=v["title"].strip(),
            starts_at=starts,
            ends_at=ends,
            location=v["location"],
            directions=v["directions"],
            bring=v["bring"],
        )
        return built


async def meeting_form(
    title: Annotated[str, Form(max_length=500)] = "",
    date: Annotated[str, Form(max_length=20)] = "",
    start_time: Annotated[str, Form(max_length=10)] = "",
    end_time: Annotated[str, Form(max_length=10)] = "",
    location: Annotated[str, Form(max_length=1000)] = "",
    directions: Annotated[str, Form(max_length=4000)] = "",
    bring: Annotated[str, Form(max_length=4000)] = "",
) -> MeetingForm:
    # Before any other name is bound, locals() is exactly the form's fields.
    return MeetingForm(locals())


MeetingFormDep = Annotated[MeetingForm, Depends(meeting_form)]


class MemberForm(TypedForm):
    def build(self, model: type[M]) -> M:
        """The member's details as `model` (create or update), or `Invalid`."""
        if self.values["role"] not in ROLE_LABELS:
            raise Invalid(_("Choose the member's stakeholder role."))
        name = self.values["display_name"].strip()
        built: M = build(model, **{**self.values, "display_name": name})
        return built


async def member_form(
    display_name: Annotated[str, Form(max_length=500)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=500)] = "",
    phone: Annotated[str, Form(max_length=100)] = "",
    accessibility_needs: Annotated[str, Form(max_length=4000)] = "",
    consent_given: Annotated[bool, Form()] = False,
    consent_note: Annotated[str, Form(max_length=2000)] = "",
) -> MemberForm:
    # Before any other name is bound, locals() is exactly the form's fields.
    return MemberForm(locals())


MemberFormDep = Annotated[MemberForm, Depends(member_form)]


@overload
def page_of(found: sync.Rows[T], public: Callable[[list[T]], list[P]]) -> ChangePage[P]: ...


@overload
def page_of(found: tuple[list[T], int | None], public: Callable[[list[T]], list[P]]) -> Page[P]: ...


def page_of(
    found: sync.Rows[T] | tuple[list[T], int | None], public: Callable[[list[T]], list[P]]
) -> ChangePage[P] | Page[P]:
    """One page of a list as the API answers it, its rows as `public` shows them: a list read
    in change numbers (`sync.Rows`) as a `ChangePage`; one read after a row id (rows and the
    id to read on from) as a `Page`."""
    if isinstance(found, sync.Rows):
        return ChangePage(
            items=public(found.rows),
            deleted=found.deleted,
            next_cursor=found.next_cursor,
            has_more=found.has_more,
        )
    rows, cursor = found
    return Page(items=public(rows), next_cursor=cursor)


def attendance_file(
    *, session: Session, network: Network, group: LocalGroup | None = None
) -> Response:
    """Attendance and hours per member of the network, or of one of its groups, for payment."""
    name = f"network-{network.id}" if group is None else f"group-{group.id}"
    return attachment(
        attendance_service.attendance_csv(session=session, network=network, group=group),
        media_type=CSV_MEDIA,
        filename=f"{name}.csv",
    )


def plan_file(*, session: Session, plan: ActionPlan, fmt: str, lang: str | None = None) -> Response:
    """An action plan exported as Markdown or DOCX, its fixed words in `lang`."""
    with i18n.speaking(lang):
        view = plan_service.plan_view(session=session, plan=plan)
    file = plan_export.export_plan(view=view, fmt=fmt, lang=lang)
    return downloaded(file)
