"""Certificates by course, oldest first: graduates are paged in this order.

Revision ID: 3a7e5c1d9b20
Revises: 85c215991736
Create Date: 2026-11-21 22:35:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "3a7e5c1d9b20"
down_revision = "85c215991736"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_certificates_course_issued", ["course_id", "issued_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_course_issued")
