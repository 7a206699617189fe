"""The audit log: who did what to whose personal data, and when. Kept longer than the data it
mentions (`TABLECLOTH_AUDIT_KEEP_DAYS`), so it never holds that data: a subject is a kind and
an id, never a name or a card's words."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.i18n import N_
from app.models.base import UTCDateTime, utcnow


class ActorKind(StrEnum):
    FACILITATOR = "facilitator"
    MEMBER = "member"
    PARTICIPANT = "participant"
    SYSTEM = "system"


# How a non-facilitator actor is written in `actor`: who they were, never their name.
ACTOR_LABELS = {
    ActorKind.MEMBER: "member",
    ActorKind.PARTICIPANT: "participant",
    ActorKind.SYSTEM: "system (retention)",
}


class AuditAction(StrEnum):
    VIEWED_CONTACT_DETAILS = "viewed_contact_details"
    EXPORTED_NOTES = "exported_notes"
    EXPORTED_MATERIALS = "exported_materials"
    HID_CARD = "hid_card"
    UNHID_CARD = "unhid_card"
    ERASED_PARTICIPANT = "erased_participant"
    ERASED_MEMBER = "erased_member"
    ERASED_CAFE = "erased_cafe"
    ERASED_NETWORK = "erased_network"
    PURGED_BY_RETENTION = "purged_by_retention"
    ROLE_INVITED = "role_invited"
    ROLE_ACCEPTED = "role_accepted"
    ROLE_REMOVED = "role_removed"
    READ_SUBJECT_ACCESS = "read_subject_access"
    CHANGED_CONSENT = "changed_consent"
    CHANGED_KEEP_FOR = "changed_keep_for"
    EXPORTED_FINANCE = "exported_finance"
    EXPORTED_FEEDBACK = "exported_feedback"


# The "changed roles" actions, for a caller that names the change (`audit.roles_changed`).
ROLES_CHANGED = (AuditAction.ROLE_INVITED, AuditAction.ROLE_ACCEPTED, AuditAction.ROLE_REMOVED)

# In plain words, for the page and the CSV.
ACTION_WORDS = {
    AuditAction.VIEWED_CONTACT_DETAILS: N_("Viewed contact details"),
    AuditAction.EXPORTED_NOTES: N_("Exported session notes"),
    AuditAction.EXPORTED_MATERIALS: N_("Exported a material"),
    AuditAction.HID_CARD: N_("Hid a card"),
    AuditAction.UNHID_CARD: N_("Put a hidden card back"),
    AuditAction.ERASED_PARTICIPANT: N_("Erased a participant"),
    AuditAction.ERASED_MEMBER: N_("Erased a member"),
    AuditAction.ERASED_CAFE: N_("Erased a café"),
    AuditAction.ERASED_NETWORK: N_("Erased a network"),
    AuditAction.PURGED_BY_RETENTION: N_("Erased past its keep-for date"),
    AuditAction.ROLE_INVITED: N_("Invited someone to a role"),
    AuditAction.ROLE_ACCEPTED: N_("Accepted a role"),
    AuditAction.ROLE_REMOVED: N_("Removed someone from a role"),
    AuditAction.READ_SUBJECT_ACCESS: N_("Read everything held about a person"),
    AuditAction.CHANGED_CONSENT: N_("Changed consent"),
    AuditAction.CHANGED_KEEP_FOR: N_("Changed how long data is kept"),
    AuditAction.EXPORTED_FINANCE: N_("Exported members' payments"),
    AuditAction.EXPORTED_FEEDBACK: N_("Exported members' feedback"),
}


class SubjectKind(StrEnum):
    CAFE = "cafe"
    PARTICIPANT = "participant"
    CONTRIBUTION = "contribution"
    NETWORK = "network"
    GROUP = "group"
    MEMBER = "member"
    MATERIAL_VERSION = "material_version"
    ROLE = "role"


class AuditEntry(SQLModel, table=True):
    """One thing done to personal data. `owner_id` is the facilitator whose data it is, with
    no foreign key: the entry outlives the café or network it is about, and its owner still
    reads it. `actor` is the facilitator's email as it was then, or "member", "participant"
    or "system (retention)"; `actor_id` the facilitator's, member's or participant's id."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_owner_id_id", "owner_id", "id"),)

    id: int = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    owner_id: int
    actor_kind: str = Field(max_length=12)
    actor_id: int | None = Field(default=None)
    actor: str = Field(max_length=254)
    action: str = Field(max_length=40)
    subject_kind: str = Field(max_length=20)
    subject_id: int
    detail: str = Field(default="", max_length=120)


class AuditEntryPublic(SQLModel):
    """One audit entry: who, when, what, and about which row (a kind and an id only)."""

    id: int
    at: datetime
    actor_kind: ActorKind
    actor_id: int | None = Field(description="The facilitator's, member's or participant's id.")
    actor: str = Field(
        description="The facilitator's email as it was then; or member, participant or "
        "system (retention)."
    )
    action: AuditAction
    subject_kind: SubjectKind
    subject_id: int
    detail: str = Field(
        description="A few words more: an export's format, consent given or withdrawn, the "
        "new keep-for period, a role's name. Never names or words people said."
    )
