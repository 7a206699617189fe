"""network change numbers: API clients sync a network's lists in the order they changed

`change_seq` on local groups, members, meetings, attendance, "you said, we did" updates,
actions, expenses and materials, each network's counter in `network_change_counter`, and
tombstones of rows deleted from those lists in `network_tombstone`
(`app.services.network.changes`). The lists' cursors were row ids, which showed new rows but
never changed or deleted ones.
Existing rows keep change number 0 (read in id order), before every later change.

Revision ID: 0021_network_changes
Revises: 0020_section_welsh
Create Date: 2026-12-06 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0021_network_changes"
down_revision: str | None = "0020_section_welsh"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "local_group",
    "member",
    "meeting",
    "attendance",
    "you_said",
    "network_action",
    "expense",
    "material",
)


def upgrade() -> None:
    op.create_table(
        "network_change_counter",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
            name=op.f("fk_network_change_counter_network_id_network"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("network_id", name=op.f("pk_network_change_counter")),
    )
    op.create_table(
        "network_tombstone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
            name=op.f("fk_network_tombstone_network_id_network"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_tombstone")),
    )
    with op.batch_alter_table("network_tombstone", schema=None) as batch_op:
        batch_op.create_index(
            "ix_network_tombstone_network_id_seq",
            ["network_id", "kind", "change_seq"],
            unique=False,
        )
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0")
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("change_seq", server_default=None)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("change_seq")
    with op.batch_alter_table("network_tombstone", schema=None) as batch_op:
        batch_op.drop_index("ix_network_tombstone_network_id_seq")
    op.drop_table("network_tombstone")
    op.drop_table("network_change_counter")
