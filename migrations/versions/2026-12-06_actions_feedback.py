"""actions that carry over between meetings, and members' feedback after each meeting

A local group's actions (from its action plan) with an owner, a due date, a status and
a short history; the questions the lead chose for a meeting's feedback, and each member's
one response (scores, a comment, a voice note) per meeting (issue 25, items 5 and 6).

Revision ID: 0015_actions_feedback
Revises: 0014_you_said
Create Date: 2026-12-06 17:36:03.090279
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0015_actions_feedback"
down_revision: str | None = "0014_you_said"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("scores", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("voice_path", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("voice_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_feedback_response_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_feedback_response_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_response")),
        sa.UniqueConstraint(
            "meeting_id", "member_id", name=op.f("uq_feedback_response_meeting_id")
        ),
    )
    with op.batch_alter_table("feedback_response", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_response_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_feedback_response_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "feedback_setup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("questions", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_feedback_setup_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_setup")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_feedback_setup_meeting_id")),
    )
    op.create_table(
        "network_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("owner_member_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["local_group.id"],
            name=op.f("fk_network_action_group_id_local_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
            name=op.f("fk_network_action_network_id_network"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_member_id"],
            ["member.id"],
            name=op.f("fk_network_action_owner_member_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["action_plan.id"],
            name=op.f("fk_network_action_plan_id_action_plan"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_action")),
    )
    with op.batch_alter_table("network_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_action_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_network_action_network_id"), ["network_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_action_owner_member_id"), ["owner_member_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_network_action_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "action_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("by_member_id", sa.Integer(), nullable=True),
        sa.Column("by_lead", sa.Boolean(), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("old", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("new", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["network_action.id"],
            name=op.f("fk_action_change_action_id_network_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_member_id"],
            ["member.id"],
            name=op.f("fk_action_change_by_member_id_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_change")),
    )
    with op.batch_alter_table("action_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_change_action_id"), ["action_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_action_change_by_member_id"), ["by_member_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("action_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_change_by_member_id"))
        batch_op.drop_index(batch_op.f("ix_action_change_action_id"))

    op.drop_table("action_change")
    with op.batch_alter_table("network_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_action_plan_id"))
        batch_op.drop_index(batch_op.f("ix_network_action_owner_member_id"))
        batch_op.drop_index(batch_op.f("ix_network_action_network_id"))
        batch_op.drop_index(batch_op.f("ix_network_action_group_id"))

    op.drop_table("network_action")
    op.drop_table("feedback_setup")
    with op.batch_alter_table("feedback_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_response_member_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_response_meeting_id"))

    op.drop_table("feedback_response")
