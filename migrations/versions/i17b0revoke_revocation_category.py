"""A public reason category for each revoked certificate (issued in error, superseded
by a new certificate, withdrawn by the academy). The staff member's own words stay
private to the holder; revocations made before the category existed read as
"withdrawn by the academy", the one category that claims nothing more than happened.

Revision ID: i17b0revoke
Revises: ir1d5f0a7c31
Create Date: 2026-12-06 22:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "i17b0revoke"
down_revision = "ir1d5f0a7c31"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revoked_category", sa.String(length=24), nullable=True))
    op.execute(
        "UPDATE certificates SET revoked_category = 'withdrawn' "
        "WHERE status = 'revoked' AND revoked_category IS NULL"
    )


def downgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_column("revoked_category")
