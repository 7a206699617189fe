"""the rest of the network API on change numbers: a meeting's payments and expenses, a
material's versions, sections, evidence and publications

`change_seq` on networks (their pay rate is in every row of a meeting's payments), material
versions, sections, evidence items and publications for members, stamped from the network's
counter as the other lists' rows are (`app.services.network.changes`); `parent_id` on
`network_tombstone`: the section, version or material a deleted row was listed under, or an
expense's member.
Existing rows are backfilled with change number 0 (read in id order), before every later
change, as the lists moved in 0021 were.

Revision ID: 0023_netapi
Revises: 0022_cygaps
Create Date: 2026-12-07 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_netapi"
down_revision: str | None = "0022_cygaps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "network",
    "material_version",
    "material_section",
    "evidence_item",
    "material_publication",
)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("change_seq", sa.BigInteger(), nullable=False, server_default="0")
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("change_seq", server_default=None)
    with op.batch_alter_table("network_tombstone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("network_tombstone", schema=None) as batch_op:
        batch_op.drop_column("parent_id")
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("change_seq")
