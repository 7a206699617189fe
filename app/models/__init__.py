"""All tables; importing this module registers every model on SQLModel.metadata."""

from app.models import base  # noqa: F401  (naming convention first)
from app.models.accounts import ApiToken, Facilitator, RateLimitHit
from app.models.cafe import Cafe, CafeTable, Participant, Round, Seat, TableQuestion
from app.models.evidence import Contribution, ContributionTheme, Media, Reaction, Theme

__all__ = [
    "ApiToken",
    "Cafe",
    "CafeTable",
    "Contribution",
    "ContributionTheme",
    "Facilitator",
    "Media",
    "Participant",
    "RateLimitHit",
    "Reaction",
    "Round",
    "Seat",
    "TableQuestion",
    "Theme",
]
