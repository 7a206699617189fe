"""paying members for their time: an hourly rate per network, "already funded" members,
expenses per attendance with a receipt photo, and whether a meeting's pay was paid

Revision ID: 0018_payments
Revises: 0017_media_cards
Create Date: 2026-12-06 17:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0018_payments"
down_revision: str | None = "0017_media_cards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hourly_rate_pence", sa.Integer(), nullable=True))
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("already_funded", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paid_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "expense",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attendance_id", sa.Integer(), nullable=False),
        sa.Column("receipt_path", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("receipt_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendance_id"],
            ["attendance.id"],
            name=op.f("fk_expense_attendance_id_attendance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense")),
    )
    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_expense_attendance_id"), ["attendance_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("expense", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expense_attendance_id"))
    op.drop_table("expense")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_column("paid_at")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("already_funded")
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_column("hourly_rate_pence")
