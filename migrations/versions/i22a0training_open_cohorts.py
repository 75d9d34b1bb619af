"""Open cohorts on "Find training", waiting lists, session feedback, course
evaluations, session reminders, and a member's region and reminder choice.

Revision ID: i22a0training
Revises: i17a1ma11f01
Create Date: 2026-12-06 22:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

from academy.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "i22a0training"
down_revision = "i17a1ma11f01"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_open", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("signup_closed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("region_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("town", sa.String(length=120), nullable=False, server_default="")
        )
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.alter_column("is_open", server_default=None)
        batch_op.alter_column("signup_closed", server_default=None)
        batch_op.alter_column("region_only", server_default=None)
        batch_op.alter_column("town", server_default=None)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("home_academy_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("session_reminders", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.create_index(batch_op.f("ix_users_home_academy_id"), ["home_academy_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_users_home_academy_id_academies"),
            "academies",
            ["home_academy_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_reminders", server_default=None)

    op.create_table(
        "cohort_waiting_places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("offered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("offer_expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_cohort_waiting_places_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_cohort_waiting_places_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_waiting_places")),
        sa.UniqueConstraint(
            "cohort_id", "user_id", name=op.f("uq_cohort_waiting_places_cohort_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_cohort_waiting_places_cohort_id"), "cohort_waiting_places", ["cohort_id"]
    )
    op.create_index(op.f("ix_cohort_waiting_places_user_id"), "cohort_waiting_places", ["user_id"])

    op.create_table(
        "session_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("clear", sa.Integer(), nullable=False),
        sa.Column("useful", sa.Integer(), nullable=False),
        sa.Column("well_run", sa.Integer(), nullable=False),
        sa.Column("recommend", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "clear BETWEEN 1 AND 5 AND useful BETWEEN 1 AND 5 AND well_run BETWEEN 1 AND 5"
            " AND recommend BETWEEN 1 AND 5",
            name=op.f("ck_session_feedback_scale"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cohort_sessions.id"],
            name=op.f("fk_session_feedback_session_id_cohort_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_session_feedback_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_feedback")),
        sa.UniqueConstraint(
            "session_id", "user_id", name=op.f("uq_session_feedback_session_id_user_id")
        ),
    )
    op.create_index(op.f("ix_session_feedback_session_id"), "session_feedback", ["session_id"])
    op.create_index(op.f("ix_session_feedback_user_id"), "session_feedback", ["user_id"])

    op.create_table(
        "course_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("overall", sa.Integer(), nullable=False),
        sa.Column("recommend", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "overall BETWEEN 1 AND 5 AND recommend BETWEEN 1 AND 5",
            name=op.f("ck_course_evaluations_scale"),
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_course_evaluations_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_course_evaluations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_evaluations")),
        sa.UniqueConstraint(
            "cohort_id", "user_id", name=op.f("uq_course_evaluations_cohort_id_user_id")
        ),
    )
    op.create_index(op.f("ix_course_evaluations_cohort_id"), "course_evaluations", ["cohort_id"])
    op.create_index(op.f("ix_course_evaluations_user_id"), "course_evaluations", ["user_id"])

    op.create_table(
        "session_reminders",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cohort_sessions.id"],
            name=op.f("fk_session_reminders_session_id_cohort_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_session_reminders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_session_reminders")),
    )
    op.create_index(op.f("ix_session_reminders_user_id"), "session_reminders", ["user_id"])
    # "Find training" lists open cohorts that have not ended.
    op.create_index("ix_cohorts_open_ends_on", "cohorts", ["is_open", "ends_on"])
    # A cohort's next session, for each listing, without reading its other sessions.
    op.create_index(
        "ix_cohort_sessions_cohort_starts", "cohort_sessions", ["cohort_id", "starts_at"]
    )


def downgrade():
    op.drop_index("ix_cohort_sessions_cohort_starts", table_name="cohort_sessions")
    op.drop_index("ix_cohorts_open_ends_on", table_name="cohorts")
    op.drop_table("session_reminders")
    op.drop_table("course_evaluations")
    op.drop_table("session_feedback")
    op.drop_table("cohort_waiting_places")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_users_home_academy_id_academies"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_users_home_academy_id"))
        batch_op.drop_column("session_reminders")
        batch_op.drop_column("home_academy_id")
    with op.batch_alter_table("cohorts", schema=None) as batch_op:
        batch_op.drop_column("town")
        batch_op.drop_column("region_only")
        batch_op.drop_column("signup_closed")
        batch_op.drop_column("is_open")
