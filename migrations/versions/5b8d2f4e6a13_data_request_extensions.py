"""Data requests can be extended once by two further months, with the reason given.

Revision ID: 5b8d2f4e6a13
Revises: 3a7e5c1d9b20
Create Date: 2026-11-22 03:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

from academy.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "5b8d2f4e6a13"
down_revision = "3a7e5c1d9b20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extended_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("extension_reason", sa.Text(), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("data_requests", schema=None) as batch_op:
        batch_op.drop_column("extension_reason")
        batch_op.drop_column("extended_at")
