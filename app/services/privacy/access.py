"""Subject access: everything held about a café participant or a network member, gathered
from every table that holds it (the same tables `erasure` empties), with the audit entries
of what a member did themselves. Each read by staff is audited (`audit_…_read`)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.db import Database
from app.models.audit import AuditAction, AuditEntryPublic, SubjectKind
from app.models.cafe import Cafe, CafeTable, Participant, Round, Seat, SeatPlan
from app.models.evidence import CARD_STATUS_LABELS, KIND_LABELS, Contribution, Media, Reaction
from app.models.follow_up import QUESTION_WORDS
from app.models.material import EvidenceItem, Material, MaterialSection, MaterialVersion
from app.models.member_page import MemberLink, MemberLinkHeld
from app.models.network import (
    Attendance,
    LocalGroup,
    Meeting,
    Member,
    MemberParticipant,
    Network,
)
from app.models.payments import EXPENSE_WORDS, Expense
from app.models.privacy import (
    AttendanceHeld,
    CardHeld,
    ExpenseHeld,
    MediaHeld,
    MemberData,
    ParticipantData,
    QuoteHeld,
    SeatHeld,
    VoteHeld,
)
from app.models.room import HelpRequest
from app.services import audit
from app.services.audit import Actor, Subject
from app.services.network import feedback
from app.services.privacy import erasure, retention

# The label tables the subject access page reads stored keys through (`label` filter): the
# person reads "Did you feel listened to?" and "Carer cover", not `listened`, `carer_cover`.
# The JSON keeps the keys, for machines.
HELD_WORDS = {
    "questions": QUESTION_WORDS,
    "expenses": EXPENSE_WORDS,
    "kinds": KIND_LABELS,
    "statuses": CARD_STATUS_LABELS,
}


def audit_participant_read(*, db: Database, actor: Actor, cafe: Cafe, person: Participant) -> None:
    """Record that `actor` read everything held about this person."""
    audit.record_read(
        db=db,
        actor=actor,
        action=AuditAction.READ_SUBJECT_ACCESS,
        subject=Subject(SubjectKind.PARTICIPANT, person.id),
        owner_id=cafe.facilitator_id,
    )


def audit_member_read(*, db: Database, session: Session, actor: Actor, member: Member) -> None:
    """Record that `actor` read everything held about this member."""
    audit.record_read(
        db=db,
        actor=actor,
        action=AuditAction.READ_SUBJECT_ACCESS,
        subject=Subject(SubjectKind.MEMBER, member.id),
        owner_id=erasure.network_owner(session=session, member=member),
    )


def _cards(session: Session, person: Participant) -> list[CardHeld]:
    rows = session.exec(
        select(Contribution, Round.number, CafeTable.name)
        .outerjoin(Round, col(Round.id) == Contribution.round_id)
        .outerjoin(CafeTable, col(CafeTable.id) == Contribution.table_id)
        .where(Contribution.participant_id == person.id)
        .order_by(col(Contribution.id))
    ).all()
    ids = [c.id for c, _, _ in rows]
    media: dict[int, list[MediaHeld]] = {i: [] for i in ids}
    for m in session.exec(
        select(Media).where(col(Media.contribution_id).in_(ids)).order_by(col(Media.id))
    ):
        media[m.contribution_id].append(MediaHeld.model_validate(m, from_attributes=True))
    return [
        CardHeld(
            **c.model_dump(
                include={
                    "id",
                    "text",
                    "kind",
                    "evidence_type",
                    "author_role",
                    "for_table",
                    "status",
                    "created_at",
                    "updated_at",
                }
            ),
            round=number,
            table=table,
            media=media[c.id],
        )
        for c, number, table in rows
    ]


def _quotes(session: Session, card_ids: list[int]) -> list[QuoteHeld]:
    rows = session.exec(
        select(EvidenceItem, Material.id, Material.title, MaterialVersion.number)
        .join(MaterialSection, col(MaterialSection.id) == EvidenceItem.section_id)
        .join(MaterialVersion, col(MaterialVersion.id) == MaterialSection.version_id)
        .join(Material, col(Material.id) == MaterialVersion.material_id)
        .where(col(EvidenceItem.contribution_id).in_(card_ids))
        .order_by(col(EvidenceItem.id))
    ).all()
    return [
        QuoteHeld(
            id=item.id,
            material_id=material_id,
            material_title=title,
            version=number,
            contribution_id=item.contribution_id or 0,
            original_text=item.original_text,
            paraphrase=item.paraphrase,
            source_status=item.source_status,
        )
        for item, material_id, title, number in rows
    ]


def participant_data(
    *, session: Session, cafe: Cafe, person: Participant, default_days: int
) -> ParticipantData:
    """Everything held about one person of a café."""
    seats = session.exec(
        select(Round.number, CafeTable.name)
        .join(Seat, col(Seat.round_id) == Round.id)
        .join(CafeTable, col(CafeTable.id) == Seat.table_id)
        .where(Seat.participant_id == person.id)
        .order_by(col(Round.number))
    ).all()
    planned = session.exec(
        select(SeatPlan.round_number, CafeTable.name)
        .join(CafeTable, col(CafeTable.id) == SeatPlan.table_id)
        .where(SeatPlan.participant_id == person.id)
        .order_by(col(SeatPlan.round_number))
    ).all()
    votes = session.exec(
        select(Reaction).where(Reaction.participant_id == person.id).order_by(col(Reaction.id))
    ).all()
    member = session.exec(
        select(MemberParticipant.member_id).where(MemberParticipant.participant_id == person.id)
    ).first()
    cards = _cards(session, person)
    asked = session.exec(
        select(HelpRequest.asked_at)
        .where(HelpRequest.participant_id == person.id)
        .order_by(col(HelpRequest.id))
    ).all()
    return ParticipantData(
        **person.model_dump(exclude={"secret", "join_key", "home_table_id"}),
        cafe_title=cafe.title,
        help_requests=list(asked),
        member_id=member,
        seats=[SeatHeld(round=n, table=name) for n, name in seats]
        + [SeatHeld(round=n, table=name, planned=True) for n, name in planned],
        cards=cards,
        votes=[VoteHeld(contribution_id=v.contribution_id, created_at=v.created_at) for v in votes],
        quotes=_quotes(session, [c.id for c in cards]),
        erase_on=retention.cafe_erase_on(cafe=cafe, default_days=default_days),
    )


def _expenses(session: Session, member: Member) -> list[ExpenseHeld]:
    rows = session.exec(
        select(Expense, Attendance)
        .join(Attendance, col(Attendance.id) == Expense.attendance_id)
        .where(Attendance.member_id == member.id)
        .order_by(col(Expense.id))
    ).all()
    return [
        ExpenseHeld(
            meeting_id=a.meeting_id,
            kind=e.kind,
            amount_pence=e.amount_pence,
            note=e.note,
            has_receipt=e.receipt_path is not None,
            created_at=e.created_at,
        )
        for e, a in rows
    ]


def member_data(*, session: Session, member: Member, default_days: int) -> MemberData:
    """Everything held about one network member, with the cafés they joined as a member."""
    group = session.get(LocalGroup, member.group_id)
    assert group is not None
    network = session.get(Network, group.network_id)
    assert network is not None
    attendance = session.exec(
        select(Attendance, Meeting)
        .join(Meeting, col(Meeting.id) == Attendance.meeting_id)
        .where(Attendance.member_id == member.id)
        .order_by(col(Meeting.starts_at))
    ).all()
    people = session.exec(
        select(Participant, Cafe)
        .join(MemberParticipant, col(MemberParticipant.participant_id) == Participant.id)
        .join(Cafe, col(Cafe.id) == Participant.cafe_id)
        .where(MemberParticipant.member_id == member.id)
        .order_by(col(Participant.id))
    ).all()
    link = session.exec(select(MemberLink).where(MemberLink.member_id == member.id)).first()
    return MemberData(
        **member.model_dump(),
        personal_link=None
        if link is None
        else MemberLinkHeld(
            created_at=link.created_at,
            last_used_at=link.last_used_at,
            working=link.version == member.invite_version,
        ),
        network_id=network.id,
        network_title=network.title,
        group_name=group.name,
        attendance=[
            AttendanceHeld(
                meeting_id=m.id,
                meeting_number=m.number,
                meeting_title=m.title,
                starts_at=m.starts_at,
                attended=a.attended,
                hours=a.hours,
                paid_at=a.paid_at,
            )
            for a, m in attendance
        ],
        expenses=_expenses(session, member),
        cafes=[
            participant_data(session=session, cafe=c, person=p, default_days=default_days)
            for p, c in people
        ],
        erase_on=retention.network_erase_on(
            session=session, network=network, default_days=default_days
        ),
        actions=[
            AuditEntryPublic.model_validate(e, from_attributes=True)
            for e in audit.of_member(session=session, member_id=member.id)
        ],
        feedback=feedback.held_by(session=session, member=member),
    )
