"""What every part of the board shares: card statuses, which rounds are open, clean text."""

from __future__ import annotations

import unicodedata

from app.models.cafe import RoundStatus, Someone
from app.models.evidence import EVIDENCE_FOR_ROLE, ContributionStatus

OPEN_ROUND = {RoundStatus.RUNNING, RoundStatus.PAUSED}

VISIBLE = ContributionStatus.VISIBLE
PENDING = ContributionStatus.PENDING
HIDDEN = ContributionStatus.HIDDEN
WITHDRAWN = ContributionStatus.WITHDRAWN


def clean_text(raw: str) -> str:
    """One kind of line break, no control characters (PostgreSQL refuses NUL), trimmed."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return text.strip()


def default_evidence(person: Someone) -> str:
    """The evidence type a phone pre-selects from the person's stakeholder role."""
    return EVIDENCE_FOR_ROLE.get(person.role, EVIDENCE_FOR_ROLE[None])
