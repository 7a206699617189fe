"""the audit log, and tombstones of contributions erased from cafés that stay

The audit log holds who did what to whose personal data (ids, an email as text, never the
data itself) and has no foreign keys: its entries outlive the cafés and networks they
mention. A tombstone holds the id of a contribution erased while its café stays, under the
café's change number, for API clients syncing the café's contributions.

Revision ID: 0009_audit
Revises: 0008_roles
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0009_audit"
down_revision: str | None = "0008_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("actor_kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_entry_owner_id_id", ["owner_id", "id"], unique=False)
    op.create_table(
        "erased_contribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cafe_id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("erased_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cafe_id"],
            ["cafe.id"],
            name=op.f("fk_erased_contribution_cafe_id_cafe"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erased_contribution")),
    )
    with op.batch_alter_table("erased_contribution", schema=None) as batch_op:
        batch_op.create_index(
            "ix_erased_contribution_cafe_id_seq",
            ["cafe_id", "change_seq", "contribution_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("erased_contribution", schema=None) as batch_op:
        batch_op.drop_index("ix_erased_contribution_cafe_id_seq")
    op.drop_table("erased_contribution")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_owner_id_id")
        batch_op.drop_index(batch_op.f("ix_audit_entry_at"))
    op.drop_table("audit_entry")
