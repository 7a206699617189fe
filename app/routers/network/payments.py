"""The lead's pages for paying members: the network's hourly rate, members whose time is
already funded, a meeting's payments (expenses with receipt photos, paid or still due), and
the finance CSV. Only the network's lead: coordinators see none of it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from app.deps.common import CsrfDep, NowDep, SessionDep, SettingsDep
from app.deps.network import (
    CSV_MEDIA,
    LeadDep,
    OwnedExpense,
    OwnedMeeting,
    OwnedMember,
    OwnedNetwork,
)
from app.i18n import _
from app.kit.downloads import attachment
from app.kit.forms import build, refusal, see_other
from app.kit.multipart import MAX_FIELDS, UploadForm, read_upload
from app.kit.text import has_control
from app.models.audit import AuditAction, SubjectKind
from app.models.payments import EXPENSE_WORDS, MAX_RATE_PENCE, ExpenseCreate, PaymentStatus
from app.security import CSRF_FIELD, CSRF_HEADER, csrf_valid, origin_allowed
from app.services import audit
from app.services import media as media_service
from app.services.errors import DomainError, Invalid, NotFound
from app.services.network import networks as network_service
from app.services.network import payments as payment_service

router = APIRouter(prefix="/networks", include_in_schema=False, dependencies=[CsrfDep])
# The expense form carries a receipt photo: it checks Origin and its CSRF token itself, so the
# shared CSRF dependency does not read the whole body before the size limit can refuse it.
uploads = APIRouter(prefix="/networks", include_in_schema=False)


def _payments_page(lead: LeadDep, meeting: Any, **shown: Any) -> Response:
    session = lead.session
    group = network_service.group_of(session=session, item=meeting)
    network = network_service.network_of(session=session, group=group)
    owed = payment_service.meeting_payments(session=session, meeting=meeting)
    context = {
        "network": network,
        "owner": True,
        "group": group,
        "meeting": meeting,
        "owed": owed,
        "came": [o for o in owed if o.payment.attended],
        "kinds": EXPENSE_WORDS,
        "statuses": PaymentStatus,
        "rate": network.hourly_rate_pence,
    }
    return lead.page("network/payments.html", context, **shown)


@router.get("/meetings/{meeting_id:int}/payments")
def payments_page(lead: LeadDep, meeting: OwnedMeeting) -> Response:
    """What each member is owed for a meeting (their time and expenses), and whether it was
    paid."""
    return _payments_page(lead, meeting)


@uploads.post("/meetings/{meeting_id:int}/expenses")
async def add_expense(
    request: Request, lead: LeadDep, meeting: OwnedMeeting, now: NowDep
) -> Response:
    """Record an expense of a member who came, with an optional receipt photo."""
    if not origin_allowed(request, lead.settings):
        raise HTTPException(403, _("This form was sent from another site, so it was refused."))
    fields = ("member_id", "kind", "amount", "note")
    typed: dict[str, str] = {}
    try:
        form = await _read_form(request, typed)
    except DomainError as exc:
        values = {k: typed.get(k, "") for k in fields}
        return await run_in_threadpool(_refused, lead, meeting, exc, values)
    values = {k: form.fields.get(k, "") for k in fields}
    try:
        supplied = request.headers.get(CSRF_HEADER) or form.fields.get(CSRF_FIELD)
        if not csrf_valid(request, supplied):
            raise HTTPException(403, _("This page has expired. Please reload it and try again."))

        def save() -> None:
            if any(has_control(v) for v in values.values()):
                raise Invalid(
                    _("Take out the unusual characters (control characters) and try again.")
                )
            data = build(
                ExpenseCreate,
                member_id=_whole(values["member_id"], _("Choose the member.")),
                kind=values["kind"] or "travel",
                amount_pence=payment_service.parse_pounds(values["amount"], what="amount")
                if values["amount"].strip()
                else 0,
                note=values["note"],
            )
            receipt = None
            if form.file is not None and form.size > 0:
                receipt = media_service.prepare(source=form.file, size=form.size)  # type: ignore[arg-type]
            payment_service.add_expense(
                session=lead.session,
                media_dir=lead.settings.media_dir,
                meeting=meeting,
                data=data,
                receipt=receipt,
                now=now,
            )

        await run_in_threadpool(save)
    except DomainError as exc:
        return await run_in_threadpool(_refused, lead, meeting, exc, values)
    finally:
        form.close()
    return see_other(f"/networks/meetings/{meeting.id}/payments?added=1#expenses")


async def _read_form(request: Request, typed: dict[str, str]) -> UploadForm:
    """The expense form as sent: multipart with its receipt (what the page sends), or a plain
    form without one."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        plain = UploadForm("multipart/form-data; boundary=unused")
        posted = await request.form(max_fields=MAX_FIELDS)
        plain.fields = {k: v for k, v in posted.items() if isinstance(v, str)}
        return plain
    form = UploadForm(request.headers.get("content-type", ""))
    try:
        return await read_upload(request, into=form)
    finally:
        typed.update(form.fields)  # what was typed before a refusal, to show it again


def _whole(text: str, refusal: str) -> int:
    if not text.strip().isdigit():
        raise Invalid(refusal)
    return int(text.strip())


def _refused(lead: LeadDep, meeting: Any, exc: DomainError, values: dict[str, str]) -> Response:
    shown = refusal(lead.session, exc, meeting)
    if values and isinstance(exc, media_service.TooLarge | media_service.UnsupportedType):
        shown["error"] = _("%(problem)s Please choose the receipt photo again.", problem=exc.detail)
    return _payments_page(lead, meeting, form="expense", values=values, **shown)


@router.post("/expenses/{expense_id:int}/delete")
def delete_expense(lead: LeadDep, found: OwnedExpense) -> Response:
    """Remove an expense and its receipt."""
    expense, meeting = found
    try:
        payment_service.remove_expense(
            session=lead.session, media_dir=lead.settings.media_dir, expense=expense
        )
    except DomainError as exc:
        return _payments_page(lead, meeting, form="expenses", **refusal(lead.session, exc))
    return see_other(f"/networks/meetings/{meeting.id}/payments#expenses")


@router.get("/expenses/{expense_id:int}/receipt")
def receipt(found: OwnedExpense, settings: SettingsDep) -> Response:
    """An expense's receipt photo, for the network's lead only."""
    expense, _rest = found
    path = payment_service.receipt_path(media_dir=settings.media_dir, expense=expense)
    if path is None:
        raise NotFound(_("This expense has no receipt."))
    return FileResponse(
        path,
        media_type=expense.receipt_type or "application/octet-stream",
        headers={
            "Content-Disposition": f'inline; filename="receipt-{expense.id}{path.suffix}"',
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/meetings/{meeting_id:int}/payments/{member_id:int}")
def mark_paid(
    lead: LeadDep,
    meeting: OwnedMeeting,
    member_id: int,
    now: NowDep,
    paid: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Mark what a member is owed for the meeting as paid, or as still due."""
    try:
        payment_service.mark_paid(
            session=lead.session, meeting=meeting, member_id=member_id, paid=paid == "true", now=now
        )
    except DomainError as exc:
        return _payments_page(lead, meeting, form="paid", **refusal(lead.session, exc, meeting))
    return see_other(f"/networks/meetings/{meeting.id}/payments#owed")


@router.post("/{network_id:int}/rate")
def set_rate(
    lead: LeadDep, network: OwnedNetwork, rate: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    """Set what an hour of a member's time is paid (empty: not paid by the hour)."""
    try:
        pence = (
            payment_service.parse_pounds(rate, what="rate", limit=MAX_RATE_PENCE)
            if rate.strip()
            else None
        )
        payment_service.set_rate(session=lead.session, network=network, pence=pence)
    except DomainError as exc:
        shown = refusal(lead.session, exc, network)
        context = {"network": network, "pounds": payment_service.plain_pounds}
        return lead.page("network/rate.html", context, form="rate", values={"rate": rate}, **shown)
    return see_other(f"/networks/{network.id}#payments")


@router.get("/{network_id:int}/rate")
def rate_page(lead: LeadDep, network: OwnedNetwork) -> Response:
    """The network's hourly rate for members' time, and the finance CSV."""
    context = {"network": network, "pounds": payment_service.plain_pounds}
    return lead.page("network/rate.html", context)


@router.post("/members/{member_id:int}/funded")
def set_funded(
    session: SessionDep, member: OwnedMember, funded: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    """Mark a member whose time is already paid by someone else (no fee for their hours)."""
    payment_service.set_funded(session=session, member=member, funded=funded == "true")
    return see_other(f"/networks/members/{member.id}#funded")


@router.get("/{network_id:int}/finance.csv")
def finance_csv(lead: LeadDep, network: OwnedNetwork) -> Response:
    """Hours, pay and expenses per member, what was paid and what is still due (audited)."""
    audit.record_read(
        db=lead.db,
        actor=audit.facilitator(lead.who),
        action=AuditAction.EXPORTED_FINANCE,
        subject=audit.Subject(SubjectKind.NETWORK, network.id),
        owner_id=network.facilitator_id,
        detail="csv",
    )
    return attachment(
        payment_service.finance_csv(session=lead.session, network=network),
        media_type=CSV_MEDIA,
        filename=f"network-{network.id}-payments.csv",
    )
