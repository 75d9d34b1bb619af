"""Certificate PDFs in the database (certificate_files), copied from the local folder.

Until now each machine kept the PDFs it rendered in ACADEMY_CERTIFICATES_DIR, so a
download on another machine found nothing. The upgrade copies every PDF it finds
there (by certificate id, checked against the certificate's pdf_sha256) into the
table; run it on the machine that holds the folder, or run `flask academy
certificates import-files` later on each machine that still has one. A PDF found
nowhere cannot be rendered again (its verification code is printed on it and never
stored): the download says so and staff re-issue it.

Revision ID: ir1d5f0a7c31
Revises: i23a1open
Create Date: 2026-12-06 21:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

from academy.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = "ir1d5f0a7c31"
down_revision = "i23a1open"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "certificate_files",
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_files_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("certificate_id", "version", name=op.f("pk_certificate_files")),
    )
    _copy_files_from_disk()


def _copy_files_from_disk():
    from flask import current_app, has_app_context

    if not has_app_context():
        return
    from academy.services.certificates.legacy import import_files

    import_files(op.get_bind(), current_app.config.get("ACADEMY_CERTIFICATES_DIR"))


def downgrade():
    op.drop_table("certificate_files")
