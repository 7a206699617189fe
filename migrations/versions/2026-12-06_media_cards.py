"""the projector's harvest mode

A facilitator turns the projector from the round's question to the harvest (the café's
themes with their counts, the most-agreed cards, a word cloud) and back, from the console
(issue 26). The choice is kept on the café, so every worker's projector socket and a
projector reopened after a restart show the same.

Revision ID: 0017_media_cards
Revises: 0016_room_live
Create Date: 2026-12-06 17:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_media_cards"
down_revision: str | None = "0016_room_live"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cafe", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("projector_harvest", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("cafe", schema=None) as batch_op:
        batch_op.alter_column("projector_harvest", server_default=None, existing_type=sa.Boolean())


def downgrade() -> None:
    with op.batch_alter_table("cafe", schema=None) as batch_op:
        batch_op.drop_column("projector_harvest")
