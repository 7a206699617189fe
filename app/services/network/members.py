"""The members of a local group: contact details, stakeholder role and consent."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, col, select

from app.models.cafe import StakeholderRole
from app.models.network import LocalGroup, Member, MemberCreate, MemberUpdate
from app.services.errors import Invalid
from app.services.material.consent import withdraw_member
from app.services.network.networks import paginate, required_text

_PHONE = re.compile(r"^[0-9+()\-. ]*$")


def list_members(
    *,
    session: Session,
    group: LocalGroup,
    after: int | None = None,
    limit: int | None = None,
) -> tuple[list[Member], int | None]:
    query = select(Member).where(Member.group_id == group.id)
    return paginate(
        session=session, query=query, id_column=col(Member.id), after=after, limit=limit
    )


def _check_contact(email: str, phone: str) -> tuple[str, str]:
    email, phone = email.strip(), phone.strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise Invalid("The email address does not look right; check it or leave it blank.")
    if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        raise Invalid("The phone number should contain only digits, spaces and + ( ) - .")
    return email, phone


def _check_role(role: str) -> str:
    if role not in {r.value for r in StakeholderRole}:
        raise Invalid("Choose one of the stakeholder roles in the list.")
    return role


def create_member(
    *, session: Session, group: LocalGroup, data: MemberCreate, now: datetime
) -> Member:
    """Add a person to a local group, with consent recorded when it is given."""
    email, phone = _check_contact(data.email, data.phone)
    member = Member(
        group_id=group.id,
        display_name=required_text(data.display_name, label="member a name"),
        role=_check_role(data.role),
        email=email,
        phone=phone,
        accessibility_needs=data.accessibility_needs.strip(),
        consent_given=data.consent_given,
        consent_at=now if data.consent_given else None,
        consent_note=data.consent_note.strip(),
    )
    session.add(member)
    session.commit()
    session.refresh(member)
    return member


def update_member(*, session: Session, member: Member, data: MemberUpdate, now: datetime) -> Member:
    if data.display_name is not None:
        member.display_name = required_text(data.display_name, label="member a name")
    if data.role is not None:
        member.role = _check_role(data.role)
    if data.email is not None or data.phone is not None:
        member.email, member.phone = _check_contact(
            member.email if data.email is None else data.email,
            member.phone if data.phone is None else data.phone,
        )
    if data.accessibility_needs is not None:
        member.accessibility_needs = data.accessibility_needs.strip()
    if data.consent_note is not None:
        member.consent_note = data.consent_note.strip()
    if data.consent_given is not None and data.consent_given != member.consent_given:
        member.consent_given = data.consent_given
        # consent_at is when the consent now on record was given.
        member.consent_at = now if data.consent_given else None
        if not data.consent_given:
            # Withdrawn: their words leave every material at once, published ones too.
            withdraw_member(session=session, member=member, now=now)
    session.add(member)
    session.commit()
    session.refresh(member)
    return member
