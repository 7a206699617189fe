"""JSON API for paying members: the network's hourly rate, a meeting's payments and expenses,
paid or still due, and the finance CSV. The token's owner must lead the network."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from app.deps.common import ApiReader, DatabaseDep, NowDep, RowId, SessionDep, SettingsDep
from app.deps.network import (
    CSV_MEDIA,
    ERRORS,
    Cursor,
    Limit,
    ReadMeeting,
    ReadNetwork,
    WriteExpense,
    WriteMeeting,
    WriteNetwork,
    page_of,
)
from app.kit.downloads import attachment
from app.models.audit import AuditAction, SubjectKind
from app.models.base import ID_MAX
from app.models.network import ChangePage, Network
from app.models.payments import (
    Expense,
    ExpenseCreate,
    ExpenseKind,
    ExpensePublic,
    MemberPayment,
    PaymentMark,
    PaymentStatus,
    PayRate,
)
from app.services import audit
from app.services.network import networks as network_service
from app.services.network import payments as payment_service
from app.services.network import sync

router = APIRouter(prefix="/api/v1/networks", tags=["networks"])

FINANCE_RESPONSES: dict[int | str, dict[str, object]] = {
    **ERRORS,
    200: {
        "description": "CSV, one row per member and a row of totals",
        "content": {"text/csv": {}},
    },
}


def _rate(network: Network) -> PayRate:
    return PayRate(hourly_rate_pence=network.hourly_rate_pence)


def _expense_public(expense: Expense, meeting_id: int, member_id: int) -> ExpensePublic:
    return ExpensePublic(
        id=expense.id,
        meeting_id=meeting_id,
        member_id=member_id,
        kind=ExpenseKind(expense.kind),
        amount_pence=expense.amount_pence,
        note=expense.note,
        has_receipt=expense.receipt_path is not None,
        created_at=expense.created_at,
    )


def _expenses_public(rows: list[sync.ExpenseRow]) -> list[ExpensePublic]:
    return [_expense_public(r.expense, r.meeting_id, r.member_id) for r in rows]


@router.get("/{network_id:int}/pay-rate", responses=ERRORS)
def read_rate(network: ReadNetwork) -> PayRate:
    """What an hour of a member's time is paid, in pence (null: not set)."""
    return _rate(network)


@router.put("/{network_id:int}/pay-rate", responses=ERRORS)
def set_rate(network: WriteNetwork, body: PayRate, session: SessionDep) -> PayRate:
    """Set what an hour of a member's time is paid, in pence (null: not paid by the hour)."""
    payment_service.set_rate(session=session, network=network, pence=body.hourly_rate_pence)
    return _rate(network)


@router.get("/meetings/{meeting_id:int}/payments", responses=ERRORS)
def meeting_payments(
    meeting: ReadMeeting,
    session: SessionDep,
    status: Annotated[
        PaymentStatus | None, Query(description="Only members whose pay is in this state.")
    ] = None,
    attended: Annotated[
        bool | None, Query(description="Only members who came (true) or did not.")
    ] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[MemberPayment]:
    """What each member of the meeting's group is owed for it (time and expenses) and
    whether it was paid, a row per member in the order the rows changed: a mark, hours, an
    expense added, changed or removed, the member, the meeting or the network's pay rate
    (`deleted`: members no longer in the group)."""
    group = network_service.group_of(session=session, item=meeting)
    found = sync.payments(
        session=session,
        network=network_service.network_of(session=session, group=group),
        meeting=meeting,
        status=status.value if status else None,
        attended=attended,
        after=after,
        limit=limit,
    )
    return page_of(found, lambda rows: [o.payment for o in rows])


@router.put("/meetings/{meeting_id:int}/payments/{member_id}", responses=ERRORS)
def mark_paid(
    meeting: WriteMeeting, member_id: RowId, body: PaymentMark, session: SessionDep, now: NowDep
) -> MemberPayment:
    """Mark what a member is owed for the meeting as `paid`, or as still `due`."""
    owed = payment_service.mark_paid(
        session=session,
        meeting=meeting,
        member_id=member_id,
        paid=body.status == PaymentStatus.PAID,
        now=now,
    )
    return owed.payment


@router.get("/meetings/{meeting_id:int}/expenses", responses=ERRORS)
def list_expenses(
    meeting: ReadMeeting,
    session: SessionDep,
    member_id: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Only this member's.")
    ] = None,
    kind: Annotated[ExpenseKind | None, Query(description="Only expenses of this kind.")] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[ExpensePublic]:
    """The expenses members claimed for the meeting (receipt photos are on the lead's page),
    in the order they changed, as the network's expenses (`deleted`: expenses removed
    since, or erased with their member)."""
    group = network_service.group_of(session=session, item=meeting)
    found = sync.meeting_expenses(
        session=session,
        network_id=group.network_id,
        meeting=meeting,
        member_id=member_id,
        kind=kind.value if kind else None,
        after=after,
        limit=limit,
    )
    return page_of(found, _expenses_public)


@router.get("/{network_id:int}/expenses", responses=ERRORS)
def network_expenses(
    network: ReadNetwork,
    session: SessionDep,
    group_id: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Only this local group's.")
    ] = None,
    meeting_id: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Only this meeting's.")
    ] = None,
    member_id: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Only this member's.")
    ] = None,
    kind: Annotated[ExpenseKind | None, Query(description="Only expenses of this kind.")] = None,
    created_from: Annotated[
        AwareDatetime | None, Query(description="Only expenses recorded at or after this time.")
    ] = None,
    created_before: Annotated[
        AwareDatetime | None, Query(description="Only expenses recorded before this time.")
    ] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> ChangePage[ExpensePublic]:
    """Every expense claimed in the network, in the order they changed, a page at a time
    (`deleted`: expenses removed since, or erased with their member)."""
    found = sync.expenses(
        session=session,
        network=network,
        group_id=group_id,
        meeting_id=meeting_id,
        member_id=member_id,
        kind=kind.value if kind else None,
        created_from=created_from,
        created_before=created_before,
        after=after,
        limit=limit,
    )
    return page_of(found, _expenses_public)


@router.post("/meetings/{meeting_id:int}/expenses", status_code=201, responses=ERRORS)
def add_expense(
    meeting: WriteMeeting,
    body: ExpenseCreate,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> ExpensePublic:
    """Record an expense of a member who came to the meeting (travel, carer cover, other),
    in pence; a receipt photo can be added on the lead's page."""
    expense = payment_service.add_expense(
        session=session,
        media_dir=settings.media_dir,
        meeting=meeting,
        data=body,
        receipt=None,
        now=now,
    )
    return _expense_public(expense, meeting.id, body.member_id)


@router.delete("/expenses/{expense_id:int}", status_code=204, responses=ERRORS)
def delete_expense(found: WriteExpense, session: SessionDep, settings: SettingsDep) -> Response:
    """Remove an expense and its receipt (not once its meeting is marked paid: 409)."""
    payment_service.remove_expense(session=session, media_dir=settings.media_dir, expense=found[0])
    return Response(status_code=204)


@router.get("/{network_id:int}/finance.csv", responses=FINANCE_RESPONSES)
def finance_csv(
    network: ReadNetwork, who: ApiReader, session: SessionDep, db: DatabaseDep
) -> Response:
    """Hours, pay and expenses per member, what was paid and what is still due (audited)."""
    audit.record_read(
        db=db,
        actor=audit.facilitator(who),
        action=AuditAction.EXPORTED_FINANCE,
        subject=audit.Subject(SubjectKind.NETWORK, network.id),
        owner_id=network.facilitator_id,
        detail="csv",
    )
    return attachment(
        payment_service.finance_csv(session=session, network=network),
        media_type=CSV_MEDIA,
        filename=f"network-{network.id}-payments.csv",
    )
