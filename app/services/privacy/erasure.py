"""Erasure of a participant, a café, a network member and a network.

Everything of the person goes: their row, their cards' text, votes, media files on disk and
the links that say who they were. Copies of their words elsewhere are redacted, not deleted,
so a material's provenance counts stay: an evidence item keeps its café, round, role and
kind but its words become a fixed phrase (`REQUESTED`, `EXPIRED`), and a section's text that
quoted the words, or an action plan's answer, has them replaced the same way. Each erasure
leaves one `ErasureLog` row with ids and counts only, and one audit entry (`app.services.audit`)
in the same transaction; a café that stays keeps the ids of the cards erased from it
(`ErasedContribution`), so API clients syncing its contributions learn to drop them.

Files are removed after the commit: a failed commit leaves them in place with their rows.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from app.i18n import N_
from app.models.audit import ActorKind, AuditAction, SubjectKind
from app.models.cafe import Cafe, Participant
from app.models.evidence import Contribution, Media, MediaKind, Reaction
from app.models.follow_up import FeedbackResponse
from app.models.material import EvidenceItem, SourceStatus
from app.models.network import Attendance, LocalGroup, Member, MemberParticipant, Network
from app.models.payments import Expense
from app.models.privacy import RETENTION_JOB, ErasedContribution, ErasureKind, ErasureLog
from app.models.room import HelpRequest
from app.services import audit, changes, roles
from app.services import media as media_service
from app.services.audit import Actor, Subject
from app.services.material import editions
from app.services.network import changes as network_changes
from app.services.privacy import quotes

# Stored in place of the words (in English, as written); translated where shown.
REQUESTED = N_("Removed at the request of the person who said it")
CAFE_ERASED = N_("Removed: the café's facilitator erased the café")
EXPIRED = N_("Removed: kept past the café's keep-for date")
# Who erased, when a person erased themselves on leaving a café, or a member from their page.
BY_THEMSELVES = "the person, on leaving"
BY_MEMBER = "the member"
ERASED = {
    ErasureKind.PARTICIPANT: AuditAction.ERASED_PARTICIPANT,
    ErasureKind.CAFE: AuditAction.ERASED_CAFE,
    ErasureKind.MEMBER: AuditAction.ERASED_MEMBER,
    ErasureKind.NETWORK: AuditAction.ERASED_NETWORK,
}


@dataclass
class Erased:
    """What an erasure removes (or would remove), in counts; `files` to delete after commit."""

    participants: int = 0
    cards: int = 0
    photos: int = 0
    voice_notes: int = 0
    votes: int = 0
    evidence_items: int = 0
    members: int = 0
    files: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)

    def add(self, other: Erased) -> None:
        for name in ("participants", "cards", "photos", "voice_notes", "votes"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.evidence_items += other.evidence_items
        self.members += other.members
        self.files.extend(other.files)
        self.folders.extend(other.folders)


def _count(session: Session, query: Any) -> int:
    return int(session.exec(query).one())


def _measure(session: Session, contributions: Any, votes: Any) -> Erased:
    """Counts for the contributions selected by `contributions` (a subquery of ids) and the
    votes matched by `votes` (a where clause)."""
    media = session.exec(
        select(Media.kind, Media.path).where(col(Media.contribution_id).in_(contributions))
    ).all()
    return Erased(
        cards=_count(session, select(func.count()).where(col(Contribution.id).in_(contributions))),
        photos=sum(1 for kind, _ in media if kind == MediaKind.PHOTO),
        voice_notes=sum(1 for kind, _ in media if kind == MediaKind.VOICE),
        votes=_count(session, select(func.count()).select_from(Reaction).where(votes)),
        evidence_items=_count(
            session,
            select(func.count()).where(col(EvidenceItem.contribution_id).in_(contributions)),
        ),
        files=[path for _, path in media],
    )


def _erase_contributions(session: Session, contributions: Any, phrase: str) -> None:
    """Redact the evidence items quoting these contributions, then delete the contributions
    (their media rows, votes and theme links go with them)."""
    texts = session.exec(select(Contribution.text).where(col(Contribution.id).in_(contributions)))
    quotes.redact(session=session, texts=list(texts), phrase=phrase)
    quoting = select(EvidenceItem.id).where(col(EvidenceItem.contribution_id).in_(contributions))
    network_changes.touch_evidence(session=session, ids=session.exec(quoting))
    session.execute(
        update(EvidenceItem)
        .where(col(EvidenceItem.contribution_id).in_(contributions))
        .values(
            original_text=phrase,
            paraphrase="",
            source_status=SourceStatus.ERASED,
            contribution_id=None,
        )
        .execution_options(synchronize_session=False)
    )
    ids = list(session.exec(select(Contribution.id).where(col(Contribution.id).in_(contributions))))
    if ids:
        session.execute(delete(Media).where(col(Media.contribution_id).in_(ids)))
        session.execute(delete(Reaction).where(col(Reaction.contribution_id).in_(ids)))
        session.execute(delete(Contribution).where(col(Contribution.id).in_(ids)))


def _of_person(person_id: int) -> Any:
    return select(Contribution.id).where(Contribution.participant_id == person_id)


def preview_participant(*, session: Session, person: Participant) -> Erased:
    found = _measure(session, _of_person(person.id), col(Reaction.participant_id) == person.id)
    found.participants = 1
    return found


def _tombstones(session: Session, person: Participant, now: datetime) -> None:
    """Leave the ids of the person's cards, under the café's next change number, for API
    clients that sync the café's contributions (the café stays; its other cards too)."""
    ids = list(session.exec(_of_person(person.id)))
    if not ids:
        return
    # The change number first: its lock before any contribution row's (app.services.changes).
    seq = changes.take(connection=session.connection(), cafe_id=person.cafe_id)
    session.add_all(
        ErasedContribution(cafe_id=person.cafe_id, contribution_id=i, change_seq=seq, erased_at=now)
        for i in ids
    )


def _erase_person(session: Session, person: Participant, phrase: str, now: datetime) -> Erased:
    found = preview_participant(session=session, person=person)
    _tombstones(session, person, now)
    _erase_contributions(session, _of_person(person.id), phrase)
    session.execute(delete(Reaction).where(col(Reaction.participant_id) == person.id))
    session.execute(delete(HelpRequest).where(col(HelpRequest.participant_id) == person.id))
    session.execute(
        delete(MemberParticipant).where(col(MemberParticipant.participant_id) == person.id)
    )
    session.delete(person)
    return found


def erased_by(actor: Actor) -> str:
    """How the erasure log names who erased: "facilitator 12", "retention job", "the person,
    on leaving" or "the member"."""
    if actor.kind == ActorKind.FACILITATOR:
        return f"facilitator {actor.id}"
    if actor.kind == ActorKind.PARTICIPANT:
        return BY_THEMSELVES
    if actor.kind == ActorKind.MEMBER:
        return BY_MEMBER
    return RETENTION_JOB


def _done(
    session: Session,
    media_dir: Path,
    *,
    actor: Actor,
    owner_id: int,
    kind: ErasureKind,
    subject_id: int,
    expired: bool,
    found: Erased,
    now: datetime,
) -> ErasureLog:
    """Log the erasure (counts) and its audit entry in its transaction, commit, then remove
    its files."""
    entry = ErasureLog(
        owner_id=owner_id,
        erased_by=erased_by(actor),
        kind=kind,
        subject_id=subject_id,
        reason="retention" if expired else "request",
        participants=found.participants,
        cards=found.cards,
        photos=found.photos,
        voice_notes=found.voice_notes,
        votes=found.votes,
        evidence_items=found.evidence_items,
        members=found.members,
        at=now,
    )
    session.add(entry)
    audit.record(
        session=session,
        actor=actor,
        action=AuditAction.PURGED_BY_RETENTION if expired else ERASED[kind],
        subject=Subject(SubjectKind(kind.value), subject_id),
        owner_id=owner_id,
        now=now,
    )
    return _finish(session, media_dir, found, entry)


def _finish(session: Session, media_dir: Path, found: Erased, entry: ErasureLog) -> ErasureLog:
    session.commit()
    session.refresh(entry)
    for relative in found.files:
        media_service.remove_file(media_dir=media_dir, relative=relative)
    for folder in found.folders:
        path = media_service.safe_path(media_dir=media_dir, relative=folder)
        if path is not None and path != media_dir.resolve():
            shutil.rmtree(path, ignore_errors=True)
    return entry


def erase_participant(
    *,
    session: Session,
    media_dir: Path,
    cafe: Cafe,
    person: Participant,
    actor: Actor,
    now: datetime,
) -> ErasureLog:
    """Erase one person of a café at their request (through the café's owner or themselves)."""
    person_id = person.id
    found = _erase_person(session, person, REQUESTED, now)
    return _done(
        session,
        media_dir,
        actor=actor,
        owner_id=cafe.facilitator_id,
        kind=ErasureKind.PARTICIPANT,
        subject_id=person_id,
        expired=False,
        found=found,
        now=now,
    )


def _of_cafe(cafe_id: int) -> Any:
    return select(Contribution.id).where(Contribution.cafe_id == cafe_id)


def preview_cafe(*, session: Session, cafe: Cafe) -> Erased:
    found = _measure(
        session,
        _of_cafe(cafe.id),
        col(Reaction.contribution_id).in_(_of_cafe(cafe.id)),
    )
    found.participants = _count(
        session, select(func.count()).where(col(Participant.cafe_id) == cafe.id)
    )
    return found


def erase_cafe_rows(*, session: Session, cafe: Cafe, expired: bool) -> Erased:
    """Erase a café and everything in it, without committing (the retention job erases
    several in one go)."""
    found = preview_cafe(session=session, cafe=cafe)
    _erase_contributions(session, _of_cafe(cafe.id), EXPIRED if expired else CAFE_ERASED)
    found.folders.append(str(cafe.id))
    roles.forget_roles(session=session, cafe_ids=[cafe.id])
    session.delete(cafe)
    return found


def erase_cafe(
    *,
    session: Session,
    media_dir: Path,
    cafe: Cafe,
    actor: Actor,
    now: datetime,
    expired: bool = False,
) -> ErasureLog:
    """Erase a café: its people, cards, votes, photos and voice notes, tables, rounds and
    themes. Evidence items made from it keep their provenance with the words redacted."""
    cafe_id, owner_id = cafe.id, cafe.facilitator_id
    found = erase_cafe_rows(session=session, cafe=cafe, expired=expired)
    return _done(
        session,
        media_dir,
        actor=actor,
        owner_id=owner_id,
        kind=ErasureKind.CAFE,
        subject_id=cafe_id,
        expired=expired,
        found=found,
        now=now,
    )


def _people_of_member(session: Session, member: Member) -> list[Participant]:
    return list(
        session.exec(
            select(Participant)
            .join(MemberParticipant, col(MemberParticipant.participant_id) == Participant.id)
            .where(MemberParticipant.member_id == member.id)
        )
    )


def _feedback_of(session: Session, member: Member) -> Erased:
    """The member's feedback voice notes (their feedback rows go with the member's row)."""
    files = [
        path
        for path in session.exec(
            select(FeedbackResponse.voice_path).where(FeedbackResponse.member_id == member.id)
        )
        if path
    ]
    return Erased(voice_notes=len(files), files=files)


def preview_member(*, session: Session, member: Member) -> Erased:
    found = Erased(members=1)
    found.add(_feedback_of(session, member))
    for person in _people_of_member(session, member):
        found.add(preview_participant(session=session, person=person))
    return found


def _receipts_of(session: Session, member: Member) -> list[str]:
    """The receipt photos of a member's expenses (`app.services.network.payments`)."""
    rows = session.exec(
        select(Expense.receipt_path)
        .join(Attendance, col(Attendance.id) == Expense.attendance_id)
        .where(Attendance.member_id == member.id, col(Expense.receipt_path).is_not(None))
    )
    return [r for r in rows if r]


def _erase_member_rows(session: Session, member: Member, phrase: str, now: datetime) -> Erased:
    found = Erased(members=1)
    found.add(_feedback_of(session, member))
    session.execute(delete(FeedbackResponse).where(col(FeedbackResponse.member_id) == member.id))
    for person in _people_of_member(session, member):
        found.add(_erase_person(session, person, phrase, now))
    # Their expenses go with their attendance (foreign keys); the receipt photos after commit.
    found.files.extend(_receipts_of(session, member))
    session.delete(member)
    return found


def network_owner(*, session: Session, member: Member) -> int:
    owner = session.exec(
        select(Network.facilitator_id)
        .join(LocalGroup, col(LocalGroup.network_id) == Network.id)
        .where(LocalGroup.id == member.group_id)
    ).one()
    return int(owner)


def erase_member(
    *, session: Session, media_dir: Path, member: Member, actor: Actor, now: datetime
) -> ErasureLog:
    """Erase a network member: contact details, attendance, invites (their links stop
    working with the row) and everything they said in cafés joined through an invite."""
    owner_id, member_id = network_owner(session=session, member=member), member.id
    found = _erase_member_rows(session, member, REQUESTED, now)
    return _done(
        session,
        media_dir,
        actor=actor,
        owner_id=owner_id,
        kind=ErasureKind.MEMBER,
        subject_id=member_id,
        expired=False,
        found=found,
        now=now,
    )


def _members_of(session: Session, network: Network) -> list[Member]:
    return list(
        session.exec(
            select(Member)
            .join(LocalGroup, col(LocalGroup.id) == Member.group_id)
            .where(LocalGroup.network_id == network.id)
        )
    )


def preview_network(*, session: Session, network: Network) -> Erased:
    found = Erased()
    for member in _members_of(session, network):
        found.add(preview_member(session=session, member=member))
    return found


def erase_network_rows(
    *, session: Session, network: Network, expired: bool, now: datetime
) -> Erased:
    """Erase a network's members (as `erase_member`), then the network with its groups,
    meetings, materials and plans; without committing."""
    found = Erased()
    phrase = EXPIRED if expired else REQUESTED
    for member in _members_of(session, network):
        found.add(_erase_member_rows(session, member, phrase, now))
    group_ids = session.exec(select(LocalGroup.id).where(LocalGroup.network_id == network.id))
    roles.forget_roles(session=session, group_ids=list(group_ids))
    # The pictures and recordings of its materials' editions (the rows go with the network).
    found.folders.append(editions.folder_of(network.id))
    session.delete(network)
    return found


def erase_network(
    *,
    session: Session,
    media_dir: Path,
    network: Network,
    actor: Actor,
    now: datetime,
    expired: bool = False,
) -> ErasureLog:
    """Erase a network: every member (as `erase_member`), its groups, meetings, materials
    and plans."""
    owner_id, network_id = network.facilitator_id, network.id
    found = erase_network_rows(session=session, network=network, expired=expired, now=now)
    return _done(
        session,
        media_dir,
        actor=actor,
        owner_id=owner_id,
        kind=ErasureKind.NETWORK,
        subject_id=network_id,
        expired=expired,
        found=found,
        now=now,
    )


def log_of(*, session: Session, owner_id: int) -> list[ErasureLog]:
    """The owner's erasures, newest first."""
    return list(
        session.exec(
            select(ErasureLog)
            .where(ErasureLog.owner_id == owner_id)
            .order_by(col(ErasureLog.at).desc(), col(ErasureLog.id).desc())
        )
    )
