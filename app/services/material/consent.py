"""Consent for evidence use: whose words may go into a network's materials, and withdrawal.

A participant's words are evidence beyond the café only if they said yes (`Participant.
evidence_consent`); a network member's recorded consent is carried into the café when they
join from their invite, and the stricter of the two wins. Without consent a contribution is
never offered as a candidate, cannot be merged and is not published. Withdrawing consent
replaces their words in every version of every material (drafts and published, so every
edition and export) by `WITHDRAWN_TEXT`, and exact quotes of them in action plans' answers;
the evidence items stay, so provenance counts do.

The café's own session notes keep what the room heard; the privacy notice says so."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from app.i18n import N_, _
from app.models.audit import AuditAction, SubjectKind
from app.models.cafe import Cafe, Participant
from app.models.evidence import Contribution
from app.models.material import WITHDRAWN_TEXT, EvidenceItem
from app.models.network import Member, MemberParticipant
from app.services import audit
from app.services.audit import Actor, Subject
from app.services.errors import Conflict
from app.services.network import changes
from app.services.privacy import quotes

NO_CONSENT = N_(
    "The person who said this has not agreed to their words being used as evidence "
    "beyond the café, so it cannot be merged."
)


def consenting_authors() -> Any:
    """A subquery: the participants who said yes to their words being used as evidence."""
    return select(Participant.id).where(col(Participant.evidence_consent).is_(True))


def consented() -> Any:
    """A condition on `Contribution`: its author agreed to evidence use. Cards with no author
    left (the participant was erased) are never evidence."""
    return col(Contribution.participant_id).in_(consenting_authors())


def refuse_without_consent(*, session: Session, contribution_ids: Sequence[int]) -> None:
    """409 for the first picked contribution whose author has not agreed."""
    if not contribution_ids:
        return
    allowed = set(
        session.exec(
            select(Contribution.id).where(
                col(Contribution.id).in_(list(contribution_ids)), consented()
            )
        ).all()
    )
    for cid in contribution_ids:
        if cid not in allowed:
            raise Conflict(_("Contribution %(id)s: %(reason)s", id=cid, reason=_(NO_CONSENT)))


def member_allows(*, session: Session, participant_id: int) -> bool:
    """False if the participant is a network member recorded as not consenting."""
    member = session.exec(
        select(Member)
        .join(MemberParticipant, col(MemberParticipant.member_id) == col(Member.id))
        .where(MemberParticipant.participant_id == participant_id)
    ).first()
    return member is None or member.consent_given


def redact_words_of(*, session: Session, participant_ids: Sequence[int], now: datetime) -> int:
    """Replace the words of these people in every evidence item (every version, published
    ones too) and exact quotes of them in sections' own text and action plans' answers by
    the withdrawal phrase, as an erasure does; returns how many evidence items changed. Not
    committed."""
    if not participant_ids:
        return 0
    theirs = select(Contribution.id).where(
        col(Contribution.participant_id).in_(list(participant_ids))
    )
    texts = session.exec(
        select(Contribution.text).where(col(Contribution.participant_id).in_(list(participant_ids)))
    ).all()
    quotes.redact(session=session, texts=texts, phrase=WITHDRAWN_TEXT)
    where = (
        col(EvidenceItem.contribution_id).in_(theirs),
        col(EvidenceItem.withdrawn_at).is_(None),
    )
    changes.touch_evidence(session=session, ids=session.exec(select(EvidenceItem.id).where(*where)))
    result = session.execute(
        update(EvidenceItem)
        .where(*where)
        .values(original_text=WITHDRAWN_TEXT, paraphrase="", withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def redact_unconsented(*, session: Session, section_ids: Sequence[int], now: datetime) -> int:
    """At publishing: words in these sections whose author has no consent (now) are
    replaced, so nothing without consent is ever published. Not committed."""
    if not section_ids:
        return 0
    without = select(Contribution.id).where(
        or_(
            col(Contribution.participant_id).is_(None),
            col(Contribution.participant_id).not_in(consenting_authors()),
        )
    )
    where = (
        col(EvidenceItem.section_id).in_(list(section_ids)),
        col(EvidenceItem.contribution_id).in_(without),
        col(EvidenceItem.withdrawn_at).is_(None),
    )
    changes.touch_evidence(session=session, ids=session.exec(select(EvidenceItem.id).where(*where)))
    result = session.execute(
        update(EvidenceItem)
        .where(*where)
        .values(original_text=WITHDRAWN_TEXT, paraphrase="", withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_participant_consent(
    *, session: Session, person: Participant, consent: bool, now: datetime, actor: Actor
) -> Participant:
    """A person says yes or no to their words being used as evidence. No withdraws: their
    words are taken out of every material at once. Yes is refused while their network
    records them as not consenting (the stricter record wins). A change is audited in the
    same transaction (`actor`: the person, or the facilitator on their behalf)."""
    if consent and not member_allows(session=session, participant_id=person.id):
        raise Conflict(
            _(
                "Your group has a record that you do not want your words used after today. "
                "Please ask the organiser to change it first."
            )
        )
    if person.evidence_consent != consent:
        owner_id = session.exec(select(Cafe.facilitator_id).where(Cafe.id == person.cafe_id)).one()
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.CHANGED_CONSENT,
            subject=Subject(SubjectKind.PARTICIPANT, person.id),
            owner_id=owner_id,
            detail="given" if consent else "withdrawn",
            now=now,
        )
        # A Core statement: consent is not part of what the next round's seating is planned
        # from, so the café's version (and the plan made ahead) stays as it is.
        session.execute(
            update(Participant)
            .where(col(Participant.id) == person.id)
            .values(evidence_consent=consent, consent_changed_at=now)
            .execution_options(synchronize_session=False)
        )
    if not consent:
        redact_words_of(session=session, participant_ids=[person.id], now=now)
    session.commit()
    session.refresh(person)
    return person


def withdraw_member(*, session: Session, member: Member, now: datetime) -> int:
    """The member withdrew consent: every café participant they were loses it too and their
    words are taken out of every material. Not committed; returns the items redacted."""
    ids = list(
        session.exec(
            select(MemberParticipant.participant_id).where(MemberParticipant.member_id == member.id)
        ).all()
    )
    if not ids:
        return 0
    session.execute(
        update(Participant)
        .where(col(Participant.id).in_(ids), col(Participant.evidence_consent).is_(True))
        .values(evidence_consent=False, consent_changed_at=now)
        .execution_options(synchronize_session=False)
    )
    return redact_words_of(session=session, participant_ids=ids, now=now)
