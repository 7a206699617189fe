"""Paying members for their time: the network's hourly rate, members whose time is already
funded, expenses per meeting (travel, carer cover, other) with an optional receipt photo,
whether each member was paid for a meeting, and the finance CSV with totals per member.

The lead alone sees and changes any of it; a member sees their own on their page. Money is
whole pence everywhere; pounds only where a person reads or types it."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlmodel import Session, col, select

from app import i18n
from app.i18n import N_, _
from app.models.accounts import Facilitator
from app.models.evidence import MediaKind
from app.models.network import Attendance, LocalGroup, Meeting, Member, Network
from app.models.payments import (
    EXPENSE_WORDS,
    MAX_AMOUNT_PENCE,
    MAX_RATE_PENCE,
    Expense,
    ExpenseCreate,
    ExpenseKind,
    MemberPayment,
    PaymentStatus,
)
from app.services import media as media_service
from app.services.errors import Conflict, Invalid, NotFound
from app.services.network.attendance import csv_cell, hours_text
from app.services.network.members import list_members
from app.services.network.networks import get_meeting, group_of, network_of

RECEIPTS = "receipts"  # the folder under the media directory
_POUNDS = re.compile(r"^(\d{1,7})(?:[.,](\d{1,2}))?$")


def money(pence: int) -> str:
    """1250 -> "£12.50", as the current language writes money (`i18n.format_money`)."""
    return i18n.format_money(pence)


def plain_pounds(pence: int) -> str:
    """1250 -> "12.50": a number a spreadsheet reads as one."""
    return f"{pence // 100}.{pence % 100:02d}"


AmountKind = Literal["amount", "rate"]

# Which amount, and its refusals: below nothing, not pounds, past the limit.
_REFUSALS: dict[str, tuple[str, str, str]] = {
    "amount": (
        N_("The amount cannot be less than nothing."),
        N_("Write the amount in pounds, like 12.50."),
        N_("The amount can be at most %(limit)s."),
    ),
    "rate": (
        N_("The hourly rate cannot be less than nothing."),
        N_("Write the hourly rate in pounds, like 12.50."),
        N_("The hourly rate can be at most %(limit)s."),
    ),
}


def parse_pounds(text: str, *, what: AmountKind, limit: int = MAX_AMOUNT_PENCE) -> int:
    """Pounds as a person types them ("12.50", "£12", "12,5") in pence; a readable refusal
    for anything else, a negative amount or one past `limit`. `what` says which amount it is
    (each refusal a whole sentence, so that it translates: Welsh words it differently for
    the amount and the rate)."""
    negative, not_pounds, too_much = _REFUSALS[what]
    raw = text.strip().removeprefix("£").strip().replace(" ", "")
    if raw.startswith("-"):
        raise Invalid(_(negative))
    found = _POUNDS.match(raw)
    if not found:
        raise Invalid(_(not_pounds))
    pence = int(found.group(1)) * 100 + int((found.group(2) or "0").ljust(2, "0"))
    if pence > limit:
        raise Invalid(_(too_much, limit=money(limit)))
    return pence


# --- the rate and who is funded --------------------------------------------------------------


def set_rate(*, session: Session, network: Network, pence: int | None) -> Network:
    """Set (or clear, with None) what an hour of a member's time is paid."""
    if pence is not None and not 0 <= pence <= MAX_RATE_PENCE:
        raise Invalid(_("The hourly rate must be from £0 to %(most)s.", most=money(MAX_RATE_PENCE)))
    network.hourly_rate_pence = pence
    session.add(network)
    session.commit()
    return network


def set_funded(*, session: Session, member: Member, funded: bool) -> Member:
    """Mark a member whose time is paid by someone else (no fee for their hours)."""
    member.already_funded = funded
    session.add(member)
    session.commit()
    return member


# --- expenses --------------------------------------------------------------------------------


def _attendance(session: Session, meeting: Meeting, member_id: int) -> Attendance | None:
    return session.exec(
        select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.member_id == member_id
        )
    ).first()


def add_expense(
    *,
    session: Session,
    media_dir: Path,
    meeting: Meeting,
    data: ExpenseCreate,
    receipt: media_service.Prepared | None,
    now: datetime,
) -> Expense:
    """Record an expense of a member who came to the meeting, with its receipt photo (already
    checked and cleaned), to be paid with their time."""
    member = session.get(Member, data.member_id)
    if member is None or member.group_id != meeting.group_id:
        raise Invalid(_("Choose a member of this meeting's group."))
    record = _attendance(session, meeting, member.id)
    if record is None or not record.attended:
        raise Invalid(
            _("Mark %(name)s as having come (Attendance) first.", name=member.display_name)
        )
    if receipt is not None and receipt.type.kind != MediaKind.PHOTO:
        raise media_service.UnsupportedType(_("A receipt must be a photo: JPEG, PNG or WebP."))
    relative = None
    if receipt is not None:
        network_id = group_of(session=session, item=meeting).network_id
        relative = f"{RECEIPTS}/{network_id}/{secrets.token_hex(16)}.{receipt.type.ext}"
        media_service.write_whole(media_dir / relative, receipt.data)
    expense = Expense(
        attendance_id=record.id,
        kind=data.kind,
        amount_pence=data.amount_pence,
        note=data.note.strip(),
        receipt_path=relative,
        receipt_type=receipt.type.content_type if receipt is not None else None,
        created_at=now,
    )
    try:
        session.add(expense)
        session.commit()
    except BaseException:
        session.rollback()
        if relative is not None:
            media_service.remove_file(media_dir=media_dir, relative=relative)
        raise
    return expense


def get_expense(
    *, session: Session, facilitator: Facilitator, expense_id: int
) -> tuple[Expense, Meeting]:
    """An expense of one of the lead's meetings, with its meeting."""
    row = session.exec(
        select(Expense, Attendance)
        .join(Attendance, col(Attendance.id) == Expense.attendance_id)
        .where(Expense.id == expense_id)
    ).first()
    if row is None:
        raise NotFound(_("No such expense."))
    meeting = get_meeting(
        session=session, facilitator=facilitator, meeting_id=row[1].meeting_id
    )  # NotFound unless the meeting is the lead's
    return row[0], meeting


def remove_expense(*, session: Session, media_dir: Path, expense: Expense) -> None:
    """Delete an expense and its receipt."""
    record = session.get(Attendance, expense.attendance_id)
    if record is not None and record.paid_at is not None:
        raise Conflict(_("This meeting was marked paid. Mark it as still due to change it."))
    relative = expense.receipt_path
    session.delete(expense)
    session.commit()
    if relative:
        media_service.remove_file(media_dir=media_dir, relative=relative)


def receipt_path(*, media_dir: Path, expense: Expense) -> Path | None:
    if not expense.receipt_path:
        return None
    path = media_service.safe_path(media_dir=media_dir, relative=expense.receipt_path)
    return path if path is not None and path.is_file() else None


def sweep_receipts(*, session: Session, media_dir: Path) -> int:
    """Remove receipt files no expense names any more (their meeting, group or member was
    deleted); the retention job runs it. Returns how many went."""
    root = media_dir / RECEIPTS
    if not root.is_dir():
        return 0
    known = set(
        session.exec(select(Expense.receipt_path).where(col(Expense.receipt_path).is_not(None)))
    )
    gone = 0
    for path in root.glob("*/*"):
        relative = path.relative_to(media_dir).as_posix()
        if path.is_file() and path.suffix != ".part" and relative not in known:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


# --- what is owed ----------------------------------------------------------------------------


@dataclass
class Owed:
    """One member's pay for one meeting, with the expenses it is made of."""

    payment: MemberPayment
    member: Member
    meeting: Meeting
    expenses: list[Expense] = field(default_factory=list)
    record: Attendance | None = None  # the member's mark on the meeting's sheet

    def expense_words(self, expense: Expense) -> str:
        return _(EXPENSE_WORDS[ExpenseKind(expense.kind)])


def _status(total: int, record: Attendance | None) -> PaymentStatus:
    if record is not None and record.paid_at is not None:
        return PaymentStatus.PAID
    return PaymentStatus.DUE if total > 0 else PaymentStatus.NONE


def _owed(
    network: Network,
    meeting: Meeting,
    member: Member,
    record: Attendance | None,
    expenses: list[Expense],
) -> Owed:
    attended = record is not None and record.attended
    hours = record.hours if attended and record is not None else 0.0
    rate = network.hourly_rate_pence or 0
    time_pence = 0 if member.already_funded else round(hours * rate)
    spent = sum(e.amount_pence for e in expenses)
    payment = MemberPayment(
        meeting_id=meeting.id,
        member_id=member.id,
        display_name=member.display_name,
        attended=attended,
        hours=hours,
        already_funded=member.already_funded,
        time_pence=time_pence,
        expenses_pence=spent,
        total_pence=time_pence + spent,
        status=_status(time_pence + spent, record),
        paid_at=record.paid_at if record is not None else None,
    )
    return Owed(payment=payment, member=member, meeting=meeting, expenses=expenses, record=record)


def _expenses_by_attendance(
    session: Session, attendance_ids: list[int]
) -> dict[int, list[Expense]]:
    found: dict[int, list[Expense]] = defaultdict(list)
    if attendance_ids:
        for expense in session.exec(
            select(Expense)
            .where(col(Expense.attendance_id).in_(attendance_ids))
            .order_by(col(Expense.id))
        ):
            found[expense.attendance_id].append(expense)
    return found


def meeting_payments(*, session: Session, meeting: Meeting) -> list[Owed]:
    """What each member of the meeting's group is owed for it."""
    group = group_of(session=session, item=meeting)
    network = network_of(session=session, group=group)
    members, _cursor = list_members(session=session, group=group)
    records = {
        a.member_id: a
        for a in session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    spent = _expenses_by_attendance(session, [a.id for a in records.values()])
    return [
        _owed(
            network,
            meeting,
            m,
            records.get(m.id),
            spent.get(records[m.id].id, []) if m.id in records else [],
        )
        for m in members
    ]


def mark_paid(
    *, session: Session, meeting: Meeting, member_id: int, paid: bool, now: datetime
) -> Owed:
    """Mark what a member is owed for a meeting as paid, or as still due."""
    member = session.get(Member, member_id)
    if member is None or member.group_id != meeting.group_id:
        raise NotFound(_("No such member in this meeting's group."))
    record = _attendance(session, meeting, member_id)
    network = network_of(session=session, group=group_of(session=session, item=meeting))
    expenses = _expenses_by_attendance(session, [record.id]) if record is not None else {}
    spent = expenses.get(record.id, []) if record is not None else []
    owed = _owed(network, meeting, member, record, spent)
    if paid and (record is None or owed.payment.total_pence == 0):
        raise Invalid(_("Nothing is owed to %(name)s for this meeting.", name=member.display_name))
    if record is None:
        return owed
    record.paid_at = now if paid else None
    session.add(record)
    session.commit()
    return _owed(network, meeting, member, record, spent)


def _payments_of(
    session: Session, network: Network, members: list[Member]
) -> dict[int, list[Owed]]:
    """What each of `members` was owed and paid for each meeting they came to, oldest first:
    one read of their attendance and one of its expenses, however many members."""
    by_id = {m.id: m for m in members}
    rows = list(
        session.exec(
            select(Attendance, Meeting)
            .join(Meeting, col(Meeting.id) == Attendance.meeting_id)
            .where(col(Attendance.member_id).in_(list(by_id)), col(Attendance.attended).is_(True))
            .order_by(col(Meeting.starts_at), col(Meeting.id))
        )
    )
    spent = _expenses_by_attendance(session, [a.id for a, _m in rows])
    owed: dict[int, list[Owed]] = {m.id: [] for m in members}
    for record, meeting in rows:
        owed[record.member_id].append(
            _owed(network, meeting, by_id[record.member_id], record, spent.get(record.id, []))
        )
    return owed


def member_payments(*, session: Session, member: Member) -> list[Owed]:
    """What one member was owed and paid for each meeting they came to, oldest first."""
    group = session.get(LocalGroup, member.group_id)
    assert group is not None
    network = network_of(session=session, group=group)
    return _payments_of(session, network, [member])[member.id]


# --- the finance CSV -------------------------------------------------------------------------

# Marked here, translated where the CSV is written (in the language of the request).
FINANCE_HEADINGS = [
    N_("Group"),
    N_("Member ID"),
    N_("Member"),
    N_("Role"),
    N_("Already funded"),
    N_("Meetings attended"),
    N_("Hours"),
    N_("Hourly rate (£)"),
    N_("For time (£)"),
    N_("Travel (£)"),
    N_("Carer cover (£)"),
    N_("Other expenses (£)"),
    N_("Total (£)"),
    N_("Paid (£)"),
    N_("Still due (£)"),
]


def _member_totals(owed: list[Owed]) -> dict[str, int | float]:
    totals: dict[str, int | float] = defaultdict(int)
    for item in owed:
        pay = item.payment
        totals["attended"] += int(pay.attended)
        totals["hours"] += pay.hours
        totals["time"] += pay.time_pence
        for expense in item.expenses:
            totals[expense.kind] += expense.amount_pence
        totals["total"] += pay.total_pence
        totals["paid"] += pay.total_pence if pay.status == PaymentStatus.PAID else 0
    totals["due"] = totals["total"] - totals["paid"]
    return totals


def finance_csv(*, session: Session, network: Network) -> str:
    """One row per member of the network: hours, pay for their time, expenses by kind, the
    total, what was paid and what is still due; a last row of totals."""
    groups = list(
        session.exec(
            select(LocalGroup)
            .where(LocalGroup.network_id == network.id)
            .order_by(col(LocalGroup.id))
        )
    )
    members = list(
        session.exec(
            select(Member)
            .where(col(Member.group_id).in_([g.id for g in groups]))
            .order_by(col(Member.id))
        )
    )
    owed = _payments_of(session, network, members)
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs read the names as UTF-8
    writer = csv.writer(out)
    writer.writerow([csv_cell(_("Payments for %(network)s", network=network.title))])
    rate = network.hourly_rate_pence
    writer.writerow([_(heading) for heading in FINANCE_HEADINGS])
    grand: dict[str, int | float] = defaultdict(int)
    money_keys = ["time", ExpenseKind.TRAVEL, ExpenseKind.CARER_COVER, ExpenseKind.OTHER]
    yes, no = _("Yes"), _("No")
    for group in groups:
        for member in (m for m in members if m.group_id == group.id):
            totals = _member_totals(owed[member.id])
            for key, value in totals.items():
                grand[key] += value
            row: list[object] = [
                group.name,
                member.id,
                member.display_name,
                member.role,
                yes if member.already_funded else no,
                totals["attended"],
                hours_text(float(totals["hours"])),
                plain_pounds(rate) if rate is not None else "",
                *[plain_pounds(int(totals[k])) for k in money_keys],
                *[plain_pounds(int(totals[k])) for k in ("total", "paid", "due")],
            ]
            writer.writerow([csv_cell(v) for v in row])
    writer.writerow(
        [
            _("Total"),
            "",
            "",
            "",
            "",
            grand["attended"],
            hours_text(float(grand["hours"])),
            "",
            *[plain_pounds(int(grand[k])) for k in money_keys],
            *[plain_pounds(int(grand[k])) for k in ("total", "paid", "due")],
        ]
    )
    return out.getvalue()
