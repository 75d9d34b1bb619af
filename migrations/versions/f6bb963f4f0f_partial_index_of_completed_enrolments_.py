"""Partial index of completed enrolments by course.

The staff home page counts who is waiting for a certificate, up to a cap.
Self-study completions are found by walking the completed enrolments of each
accredited course: with this index the walk touches only completions and
stops at the cap, where SQLite used to go through every member for every
course (PostgreSQL takes it where it is the cheaper way, as for one course).

Revision ID: f6bb963f4f0f
Revises: c0d24d732bfb
Create Date: 2026-11-21 18:46:22.268680

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f6bb963f4f0f"
down_revision = "c0d24d732bfb"
branch_labels = None
depends_on = None

COMPLETED = sa.text("completed_at IS NOT NULL")


def upgrade():
    op.create_index(
        "ix_enrolments_completed_course_user",
        "enrolments",
        ["course_id", "user_id"],
        unique=False,
        sqlite_where=COMPLETED,
        postgresql_where=COMPLETED,
    )


def downgrade():
    op.drop_index("ix_enrolments_completed_course_user", table_name="enrolments")
