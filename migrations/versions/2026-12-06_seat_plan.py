"""the café's plan of its rounds ahead, kept for every worker

A live café plans all its remaining rounds at once and follows that plan while the room stays
as it was (issue 26). The plan of the rounds not started yet is kept in `seat_plan`, under a
key naming the room it was planned for, so that another worker, or the app after a restart,
seats the next round as the plan says instead of planning afresh from the middle of it.

Revision ID: 0012_seat_plan
Revises: 0010_member_page
Create Date: 2026-12-06 15:50:35.724889
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_seat_plan"
down_revision: str | None = "0010_member_page"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seat_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cafe_id", sa.Integer(), nullable=False),
        sa.Column("round_number", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("plan_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["cafe_id"], ["cafe.id"], name=op.f("fk_seat_plan_cafe_id_cafe"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_seat_plan_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["cafe_table.id"],
            name=op.f("fk_seat_plan_table_id_cafe_table"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_plan")),
    )
    with op.batch_alter_table("seat_plan", schema=None) as batch_op:
        batch_op.create_index(
            "ix_seat_plan_cafe_id_round_number", ["cafe_id", "round_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_seat_plan_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_seat_plan_table_id"), ["table_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seat_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seat_plan_table_id"))
        batch_op.drop_index(batch_op.f("ix_seat_plan_participant_id"))
        batch_op.drop_index("ix_seat_plan_cafe_id_round_number")

    op.drop_table("seat_plan")
