"""members' own pages: a personal link per member (only the token's hash is kept), and how
to get to a meeting and what to bring, for the members' page

Revision ID: 0010_member_page
Revises: 0009_audit
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0010_member_page"
down_revision: str | None = "0009_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString(length=1000)


def upgrade() -> None:
    op.create_table(
        "member_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_member_link_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_link")),
        sa.UniqueConstraint("member_id", name=op.f("uq_member_link_member_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_member_link_token_hash")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("directions", TEXT, nullable=False, server_default=""))
        batch_op.add_column(sa.Column("bring", TEXT, nullable=False, server_default=""))
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.alter_column("directions", server_default=None, existing_type=TEXT)
        batch_op.alter_column("bring", server_default=None, existing_type=TEXT)


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("bring")
        batch_op.drop_column("directions")
    op.drop_table("member_link")
