"""drop two indexes that a unique constraint already covers

`contribution.participant_id` leads the unique (participant_id, client_id) constraint and
`seat.round_id` the unique (round_id, participant_id) one, so each had a second B-tree that
every insert kept up to date for nothing (a post writes a contribution; a rotation writes a
thousand seats). Queries on either column use the constraint's index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 21:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_participant_id"))
    with op.batch_alter_table("seat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seat_round_id"))


def downgrade() -> None:
    with op.batch_alter_table("seat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seat_round_id"), ["round_id"], unique=False)
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contribution_participant_id"), ["participant_id"], unique=False
        )
