"""A member's own payments: for each meeting they came to, what they are paid for their time,
their expenses, and whether it was paid. Their own only; nothing needs JavaScript."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.deps.common import SessionDep
from app.deps.member import DeviceMemberDep
from app.kit.rendering import render
from app.models.payments import EXPENSE_WORDS, PaymentStatus
from app.services.network import meetings as meeting_service
from app.services.network import payments as payment_service
from app.services.privacy import retention

router = APIRouter(include_in_schema=False)


@router.get("/me/payments")
def my_payments(request: Request, member: DeviceMemberDep, session: SessionDep) -> Response:
    """What the member is paid for each meeting they came to, and whether it was paid."""
    if member is None:
        return render(request, "member/no_access.html", {"stopped": False}, status_code=404)
    context = {
        "member": member,
        "owed": payment_service.member_payments(session=session, member=member),
        "money": payment_service.money,
        "kinds": EXPENSE_WORDS,
        "statuses": PaymentStatus,
        "when": meeting_service.describe_when,
        "day": retention.day,
    }
    return render(request, "member/payments.html", context)
