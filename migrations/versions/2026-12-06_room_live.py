"""the room reshaped live: people without phones, messages to every phone, asking for help

A facilitator adds someone without a phone (`participant.no_phone`), for whom a host or
the facilitator writes (`contribution.written_for`, `written_by_id`), sends a short message to
every phone (`broadcast`), and a phone asks for help (`help_request`) (issue 26).

Revision ID: 0016_room_live
Revises: 0015_actions_feedback
Create Date: 2026-12-06 17:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0016_room_live"
down_revision: str | None = "0015_actions_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("no_phone", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.alter_column("no_phone", server_default=None, existing_type=sa.Boolean())
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("written_for", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("written_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_contribution_written_by_id_participant"),
            "participant",
            ["written_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.alter_column("written_for", server_default=None, existing_type=sa.Boolean())
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cafe_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=280), nullable=False),
        sa.Column("sent_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cafe_id"], ["cafe.id"], name=op.f("fk_broadcast_cafe_id_cafe"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast")),
    )
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcast_cafe_id"), ["cafe_id"], unique=False)
    op.create_table(
        "help_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cafe_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=True),
        sa.Column("asked_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cafe_id"], ["cafe.id"], name=op.f("fk_help_request_cafe_id_cafe"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_help_request_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["cafe_table.id"],
            name=op.f("fk_help_request_table_id_cafe_table"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_request")),
    )
    with op.batch_alter_table("help_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_request_cafe_id"), ["cafe_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_help_request_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("help_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_request_participant_id"))
        batch_op.drop_index(batch_op.f("ix_help_request_cafe_id"))
    op.drop_table("help_request")
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_cafe_id"))
    op.drop_table("broadcast")
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_contribution_written_by_id_participant"), type_="foreignkey"
        )
        batch_op.drop_column("written_by_id")
        batch_op.drop_column("written_for")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("no_phone")
