"""Curriculum version: processes cache the course tree until a sync changes it.

One row (id 1), bumped by `academy.content.sync` whenever anything changed;
absent until the first such sync, which reads as version 0.

Revision ID: c0d24d732bfb
Revises: dd82b1a64238
Create Date: 2026-11-21 18:40:47.043522

"""

import sqlalchemy as sa
from alembic import op

import academy.models.types

# revision identifiers, used by Alembic.
revision = "c0d24d732bfb"
down_revision = "dd82b1a64238"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "curriculum_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", academy.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curriculum_version")),
    )


def downgrade():
    op.drop_table("curriculum_version")
