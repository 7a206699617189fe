"""section_heading_welsh: a material section's heading in Welsh, optional

Members reading in Welsh and the Welsh exports show it in place of the English heading;
null where the lead has not written one.

Revision ID: 0022_cygaps
Revises: 0021_network_changes
Create Date: 2026-12-07 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_cygaps"
down_revision: str | None = "0021_network_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("material_section", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heading_cy", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("material_section", schema=None) as batch_op:
        batch_op.drop_column("heading_cy")
