"""change numbers: API clients sync a café's contributions in the order they changed

`contribution.change_seq` and each café's counter in `change_counter`
(`app.services.changes`). The cursor of `GET /api/v1/cafes/{id}/contributions` was the
time of the last change, which a write stamped earlier but committed later could slip
behind. Existing contributions are numbered in the order of their last change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("cafe_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cafe_id"],
            ["cafe.id"],
            name=op.f("fk_change_counter_cafe_id_cafe"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cafe_id", name=op.f("pk_change_counter")),
    )
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.alter_column("change_seq", server_default=None)
        batch_op.create_index(
            "ix_contribution_cafe_id_change_seq", ["cafe_id", "change_seq"], unique=False
        )
    op.execute(
        """
        UPDATE contribution SET change_seq = (
            SELECT numbered.n FROM (
                SELECT id, ROW_NUMBER() OVER (PARTITION BY cafe_id ORDER BY updated_at, id) AS n
                FROM contribution
            ) AS numbered WHERE numbered.id = contribution.id
        )
        """
    )
    op.execute(
        """
        INSERT INTO change_counter (cafe_id, seq)
        SELECT cafe_id, MAX(change_seq) FROM contribution GROUP BY cafe_id
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index("ix_contribution_cafe_id_change_seq")
        batch_op.drop_column("change_seq")
    op.drop_table("change_counter")
