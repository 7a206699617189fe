"""a participant's join key: a re-sent join form finds the person it made

The join form carries a random key. When a phone's answer to "Join" is lost (the
connection dropped after the server had made the person), the phone sends the form again;
the key names the person made the first time instead of making a second one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("join_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_participant_cafe_id"), ["cafe_id", "join_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_participant_cafe_id"), type_="unique")
        batch_op.drop_column("join_key")
