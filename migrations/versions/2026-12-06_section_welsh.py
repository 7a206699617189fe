"""section_welsh: a material section's text and easy-read text in Welsh

Revision ID: 0020_section_welsh
Revises: 0019_language
Create Date: 2026-12-06 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_section_welsh"
down_revision: str | None = "0019_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("material_section", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "body_markdown_cy", sa.String(length=60000), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column(
                "easy_read_text_cy", sa.String(length=20000), nullable=False, server_default=""
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("material_section", schema=None) as batch_op:
        batch_op.drop_column("easy_read_text_cy")
        batch_op.drop_column("body_markdown_cy")
