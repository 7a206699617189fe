"""you said, we did: a network's updates to its members and what each answers

The lead (or a group's coordinator) writes updates for one local group or the whole network,
each linked to the café themes and material evidence items it answers (issue 25).

Revision ID: 0014_you_said
Revises: 0013_member_materials
Create Date: 2026-12-06 17:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0014_you_said"
down_revision: str | None = "0013_member_materials"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "you_said",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("you_said", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("we_did", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["local_group.id"],
            name=op.f("fk_you_said_group_id_local_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
            name=op.f("fk_you_said_network_id_network"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_you_said")),
    )
    with op.batch_alter_table("you_said", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_you_said_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_you_said_network_id"), ["network_id"], unique=False)

    op.create_table(
        "you_said_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=True),
        sa.Column("evidence_item_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["evidence_item_id"],
            ["evidence_item.id"],
            name=op.f("fk_you_said_link_evidence_item_id_evidence_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["theme.id"],
            name=op.f("fk_you_said_link_theme_id_theme"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["you_said.id"],
            name=op.f("fk_you_said_link_update_id_you_said"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_you_said_link")),
    )
    with op.batch_alter_table("you_said_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_you_said_link_evidence_item_id"), ["evidence_item_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_you_said_link_theme_id"), ["theme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_you_said_link_update_id"), ["update_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("you_said_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_you_said_link_update_id"))
        batch_op.drop_index(batch_op.f("ix_you_said_link_theme_id"))
        batch_op.drop_index(batch_op.f("ix_you_said_link_evidence_item_id"))
    op.drop_table("you_said_link")

    with op.batch_alter_table("you_said", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_you_said_network_id"))
        batch_op.drop_index(batch_op.f("ix_you_said_group_id"))
    op.drop_table("you_said")
