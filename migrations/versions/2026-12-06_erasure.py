"""erasure log and keep-for periods: what was erased (ids and counts only), and how long a
café or network keeps personal data

Revision ID: 0006_erasure
Revises: 0005_sessions
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0006_erasure"
down_revision: str | None = "0005_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasure_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("erased_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("cards", sa.Integer(), nullable=False),
        sa.Column("photos", sa.Integer(), nullable=False),
        sa.Column("voice_notes", sa.Integer(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("evidence_items", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_log")),
    )
    with op.batch_alter_table("erasure_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_log_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_erasure_log_at"), ["at"], unique=False)
    with op.batch_alter_table("cafe", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keep_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keep_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_column("keep_days")
    with op.batch_alter_table("cafe", schema=None) as batch_op:
        batch_op.drop_column("keep_days")
    with op.batch_alter_table("erasure_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_log_at"))
        batch_op.drop_index(batch_op.f("ix_erasure_log_owner_id"))
    op.drop_table("erasure_log")
