"""What a contribution form on a phone holds: blank, sent back with a reason, or being changed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from app.models.cafe import Someone
from app.models.evidence import Contribution, ContributionKind, EvidenceType
from app.services.board.rules import default_evidence


@dataclass
class Draft:
    """The contents of a contribution form: blank with a fresh client id, or what was sent
    back with the reason it was refused, or an existing contribution being changed."""

    client_id: str
    text: str = ""
    kind: str = ContributionKind.IDEA
    evidence_type: str = EvidenceType.OTHER
    for_table: bool = False
    error: str | None = None
    contribution_id: int | None = None
    theme_ids: list[int] = field(default_factory=list)
    written_in: int | None = None  # the round the phone showed when it was written


def new_draft(person: Someone) -> Draft:
    """A blank form with a fresh client id and the evidence type the person's role suggests."""
    return Draft(client_id=secrets.token_urlsafe(16), evidence_type=default_evidence(person))


def draft_of(contribution: Contribution) -> Draft:
    """The form for changing a contribution, filled with what it says now."""
    return Draft(
        client_id=contribution.client_id,
        text=contribution.text,
        kind=contribution.kind,
        evidence_type=contribution.evidence_type,
        for_table=contribution.for_table,
        contribution_id=contribution.id,
    )
