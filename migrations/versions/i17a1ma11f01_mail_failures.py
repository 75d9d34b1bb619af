"""E-mails that failed after every retry, for admins to see (masked address, reason).

Revision ID: i17a1ma11f01
Revises: a4f2c9e71b58
Create Date: 2026-12-06 22:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

from academy.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "i17a1ma11f01"
down_revision = "a4f2c9e71b58"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("failed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_failures")),
    )
    with op.batch_alter_table("mail_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_failures_failed_at"), ["failed_at"], unique=False)


def downgrade():
    with op.batch_alter_table("mail_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_failures_failed_at"))
    op.drop_table("mail_failures")
