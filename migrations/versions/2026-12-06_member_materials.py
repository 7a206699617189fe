"""materials for members: publications and the files of the easy-read and audio editions

A published version of a material is given to the members of a local group or of the whole
network (`material_publication`); a section may carry a picture for its easy-read text and a
recording of itself for the audio edition (`material_section_file`), files under the media
directory.

Revision ID: 0013_member_materials
Revises: 0012_seat_plan
Create Date: 2026-12-06 17:35:39.992384
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = "0013_member_materials"
down_revision: str | None = "0012_seat_plan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "material_publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("material_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("published_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["local_group.id"],
            name=op.f("fk_material_publication_group_id_local_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["material.id"],
            name=op.f("fk_material_publication_material_id_material"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["material_version.id"],
            name=op.f("fk_material_publication_version_id_material_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_publication")),
    )
    with op.batch_alter_table("material_publication", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_material_publication_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_material_publication_material_id"), ["material_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_material_publication_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "material_section_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("alt_text", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["section_id"],
            ["material_section.id"],
            name=op.f("fk_material_section_file_section_id_material_section"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_material_section_file")),
        sa.UniqueConstraint("section_id", "kind", name=op.f("uq_material_section_file_section_id")),
    )
    with op.batch_alter_table("material_section_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_material_section_file_path"), ["path"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_material_section_file_section_id"), ["section_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("material_section_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_section_file_section_id"))
        batch_op.drop_index(batch_op.f("ix_material_section_file_path"))

    op.drop_table("material_section_file")
    with op.batch_alter_table("material_publication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_material_publication_version_id"))
        batch_op.drop_index(batch_op.f("ix_material_publication_material_id"))
        batch_op.drop_index(batch_op.f("ix_material_publication_group_id"))

    op.drop_table("material_publication")
