"""Each course can have a glossary, rendered once per content version.

Revision ID: 7c1e9a2b4d60
Revises: 5b8d2f4e6a13
Create Date: 2026-12-06 19:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c1e9a2b4d60"
down_revision = "5b8d2f4e6a13"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("glossary_html", sa.Text(), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("glossary_html")
