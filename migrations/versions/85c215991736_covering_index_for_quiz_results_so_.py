"""Covering index for quiz results, so grouped reads skip the attempt snapshots.

Replaces (user_id, course_id), which is its prefix.

Revision ID: 85c215991736
Revises: f6bb963f4f0f
Create Date: 2026-11-21 19:54:42.236810

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "85c215991736"
down_revision = "f6bb963f4f0f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quiz_attempts_user_course"))
        batch_op.create_index(
            "ix_quiz_attempts_progress",
            ["user_id", "quiz_id", "course_id", "submitted_at", "score", "passed", "id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_quiz_attempts_progress")
        batch_op.create_index(
            batch_op.f("ix_quiz_attempts_user_course"), ["user_id", "course_id"], unique=False
        )
