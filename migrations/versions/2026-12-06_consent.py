"""consent for evidence use and a privacy notice per café and network

A participant says on the join page whether what they say may be used as evidence beyond
the café (never assumed: False until they say yes; people already in a café are taken as
not having said yes). Evidence items remember when the person who said them withdrew
consent, their words then replaced in every version. Cafés and networks carry a short
privacy notice in plain words, the default text given to those that exist.

Revision ID: 0007_consent
Revises: 0006_erasure
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base
from app.models.cafe import DEFAULT_PRIVACY_NOTICE

revision: str = "0007_consent"
down_revision: str | None = "0006_erasure"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTICE = sqlmodel.sql.sqltypes.AutoString(length=4000)


def _add_notice(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "privacy_notice", NOTICE, nullable=False, server_default=DEFAULT_PRIVACY_NOTICE
            )
        )
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("privacy_notice", server_default=None, existing_type=NOTICE)


def upgrade() -> None:
    _add_notice("cafe")
    _add_notice("network")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("evidence_consent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "consent_changed_at", app.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.alter_column("evidence_consent", server_default=None, existing_type=sa.Boolean())
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("withdrawn_at", app.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_at")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("consent_changed_at")
        batch_op.drop_column("evidence_consent")
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_column("privacy_notice")
    with op.batch_alter_table("cafe", schema=None) as batch_op:
        batch_op.drop_column("privacy_notice")
