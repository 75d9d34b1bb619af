"""One open attempt per member and quiz, enforced by the database (issue 23).

Two tabs starting the same quiz at once on PostgreSQL could each find no open
attempt and insert one, giving a member more attempts than `max_attempts`.
A partial unique index now allows a single unsubmitted attempt per member and
quiz. Duplicates the race left behind are removed first, keeping the earliest:
an unsubmitted attempt holds no answers (they are written only on submission),
only the questions it drew.

Revision ID: i23a1open
Revises: i22a0training
Create Date: 2026-12-06 21:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "i23a1open"
down_revision = "i22a0training"
branch_labels = None
depends_on = None

OPEN = sa.text("submitted_at IS NULL")


def upgrade():
    op.execute(
        """
        DELETE FROM quiz_attempts
        WHERE submitted_at IS NULL
          AND EXISTS (
            SELECT 1 FROM quiz_attempts AS earlier
            WHERE earlier.user_id = quiz_attempts.user_id
              AND earlier.quiz_id = quiz_attempts.quiz_id
              AND earlier.submitted_at IS NULL
              AND earlier.number < quiz_attempts.number
          )
        """
    )
    op.create_index(
        "uq_quiz_attempts_open",
        "quiz_attempts",
        ["user_id", "quiz_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade():
    op.drop_index("uq_quiz_attempts_open", table_name="quiz_attempts")
