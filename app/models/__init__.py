"""All tables; importing this module registers every model on SQLModel.metadata."""

from app.models import base  # noqa: F401  (naming convention first)
from app.models.accounts import (
    ApiToken,
    Facilitator,
    FacilitatorSession,
    PasswordReset,
    RateLimitHit,
)
from app.models.action_plan import ActionPlan, ActionPlanAnswer, ActionPlanCitation
from app.models.audit import AuditEntry
from app.models.cafe import Cafe, CafeTable, Participant, Round, Seat, SeatPlan, TableQuestion
from app.models.evidence import Contribution, ContributionTheme, Media, Reaction, Theme
from app.models.follow_up import (
    ActionChange,
    FeedbackResponse,
    FeedbackSetup,
    NetworkAction,
)
from app.models.material import EvidenceItem, Material, MaterialSection, MaterialVersion
from app.models.material_editions import MaterialPublication, SectionFile
from app.models.member_page import MemberLink
from app.models.network import (
    Attendance,
    LocalGroup,
    Meeting,
    Member,
    MemberParticipant,
    Network,
)
from app.models.network_changes import NetworkChangeCounter, NetworkTombstone
from app.models.privacy import ErasedContribution, ErasureLog
from app.models.roles import RoleGrant, RoleInvite
from app.models.room import Broadcast, HelpRequest
from app.models.you_said import YouSaid, YouSaidLink

__all__ = [
    "ActionChange",
    "FeedbackResponse",
    "FeedbackSetup",
    "NetworkAction",
    "ActionPlan",
    "ActionPlanAnswer",
    "ActionPlanCitation",
    "ApiToken",
    "AuditEntry",
    "Broadcast",
    "Attendance",
    "Cafe",
    "CafeTable",
    "Contribution",
    "ContributionTheme",
    "ErasedContribution",
    "NetworkChangeCounter",
    "NetworkTombstone",
    "ErasureLog",
    "HelpRequest",
    "EvidenceItem",
    "Facilitator",
    "FacilitatorSession",
    "LocalGroup",
    "Material",
    "MaterialPublication",
    "MaterialSection",
    "MaterialVersion",
    "Media",
    "Meeting",
    "Member",
    "MemberLink",
    "MemberParticipant",
    "Network",
    "Participant",
    "PasswordReset",
    "RateLimitHit",
    "RoleGrant",
    "RoleInvite",
    "Reaction",
    "Round",
    "SectionFile",
    "Seat",
    "SeatPlan",
    "TableQuestion",
    "Theme",
    "YouSaid",
    "YouSaidLink",
]
