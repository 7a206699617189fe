"""The members of a local group: contact details, stakeholder role and consent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from app.db import Database
from app.i18n import _
from app.models.audit import AuditAction, SubjectKind
from app.models.cafe import StakeholderRole
from app.models.network import LocalGroup, Member, MemberCreate, MemberUpdate
from app.services import audit
from app.services.audit import Actor, Subject
from app.services.errors import Invalid
from app.services.material.consent import withdraw_member
from app.services.network.networks import network_of, paginate, required_text
from app.services.privacy.erasure import network_owner

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
        raise Invalid(_("The email address does not look right; check it or leave it blank."))
    if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        raise Invalid(_("The phone number should contain only digits, spaces and + ( ) - ."))
    return email, phone


def _check_role(role: str) -> str:
    if role not in {r.value for r in StakeholderRole}:
        raise Invalid(_("Choose one of the stakeholder roles in the list."))
    return role


def create_member(
    *, session: Session, group: LocalGroup, data: MemberCreate, now: datetime
) -> Member:
    """Add a person to a local group, with consent recorded when it is given."""
    email, phone = _check_contact(data.email, data.phone)
    member = Member(
        group_id=group.id,
        display_name=required_text(data.display_name, refusal=_("Give the member a name.")),
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


def update_member(
    *, session: Session, member: Member, data: MemberUpdate, now: datetime, actor: Actor
) -> Member:
    """Change a member's details; a change of consent is audited in the same transaction."""
    if data.display_name is not None:
        member.display_name = required_text(data.display_name, refusal=_("Give the member a name."))
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
    if data.already_funded is not None:
        member.already_funded = data.already_funded
    if data.consent_given is not None and data.consent_given != member.consent_given:
        member.consent_given = data.consent_given
        # consent_at is when the consent now on record was given.
        member.consent_at = now if data.consent_given else None
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CHANGED_CONSENT,
            subject=Subject(SubjectKind.MEMBER, member.id),
            owner_id=network_owner(session=session, member=member),
            detail="given" if data.consent_given else "withdrawn",
            now=now,
        )
        if not data.consent_given:
            # Withdrawn: their words leave every material at once, published ones too.
            withdraw_member(session=session, member=member, now=now)
    session.add(member)
    session.commit()
    session.refresh(member)
    return member


def contact_details_seen(
    *,
    db: Database,
    session: Session,
    actor: Actor,
    members: Sequence[Member],
    group: LocalGroup | None = None,
) -> None:
    """Audit a read that shows these members' contact details (email, phone, accessibility
    needs): one entry a request, about the member, or about the group for a list. Nothing
    when none of them has any. The session's own transaction is ended first: a page that
    shows the members after a refused form is drawn in a write request, whose transaction
    holds SQLite's write lock the entry's own write would wait for (and fail on)."""
    shown = [m for m in members if m.email or m.phone or m.accessibility_needs]
    if not shown:
        return
    if group is None:
        subject = Subject(SubjectKind.MEMBER, shown[0].id)
        owner_id = network_owner(session=session, member=shown[0])
        detail = ""
    else:
        subject = Subject(SubjectKind.GROUP, group.id)
        owner_id = network_of(session=session, group=group).facilitator_id
        detail = f"{len(shown)} member{'' if len(shown) == 1 else 's'}"
    session.commit()
    audit.record_read(
        db=db,
        actor=actor,
        action=AuditAction.VIEWED_CONTACT_DETAILS,
        subject=subject,
        owner_id=owner_id,
        detail=detail,
    )
