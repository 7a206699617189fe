"""languages: a café's and a network's default language, and bilingual cafés

Revision ID: 0019_language
Revises: 0018_payments
Create Date: 2026-12-06 20:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_language"
down_revision: str | None = "0018_payments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cafe", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=5), nullable=False, server_default="en")
        )
        batch_op.add_column(
            sa.Column("bilingual", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=5), nullable=False, server_default="en")
        )


def downgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("cafe", schema=None) as batch_op:
        batch_op.drop_column("bilingual")
        batch_op.drop_column("language")
