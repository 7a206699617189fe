"""roles beside the owner: co-facilitators of a café, coordinators of a local group, and the
single-use links that invite them

Revision ID: 0008_roles
Revises: 0007_consent
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0008_roles"
down_revision: str | None = "0007_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "role_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=False),
        sa.Column("cafe_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cafe_id"], ["cafe.id"], name=op.f("fk_role_grant_cafe_id_cafe"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["facilitator.id"],
            name=op.f("fk_role_grant_facilitator_id_facilitator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["local_group.id"],
            name=op.f("fk_role_grant_group_id_local_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grant")),
        sa.UniqueConstraint("facilitator_id", "cafe_id", name="uq_role_grant_facilitator_cafe"),
        sa.UniqueConstraint("facilitator_id", "group_id", name="uq_role_grant_facilitator_group"),
    )
    with op.batch_alter_table("role_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_grant_cafe_id"), ["cafe_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_role_grant_facilitator_id"), ["facilitator_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_role_grant_group_id"), ["group_id"], unique=False)

    op.create_table(
        "role_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("cafe_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cafe_id"], ["cafe.id"], name=op.f("fk_role_invite_cafe_id_cafe"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["local_group.id"],
            name=op.f("fk_role_invite_group_id_local_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_invite")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_role_invite_token_hash")),
    )
    with op.batch_alter_table("role_invite", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_invite_cafe_id"), ["cafe_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_role_invite_group_id"), ["group_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("role_invite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_invite_group_id"))
        batch_op.drop_index(batch_op.f("ix_role_invite_cafe_id"))

    op.drop_table("role_invite")
    with op.batch_alter_table("role_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_grant_group_id"))
        batch_op.drop_index(batch_op.f("ix_role_grant_facilitator_id"))
        batch_op.drop_index(batch_op.f("ix_role_grant_cafe_id"))

    op.drop_table("role_grant")
