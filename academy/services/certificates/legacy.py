"""Copying the PDFs an older version kept on local disk into the database.

Used by the migration that made `certificate_files` and by `flask academy
certificates import-files` (for each machine that still has such a folder). Plain
SQL on a connection, so that it runs inside a migration as well as in the app.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import sqlalchemy as sa

from academy.models.types import UTCDateTime
from academy.timeutil import utcnow

log = logging.getLogger(__name__)

_certificates = sa.table(
    "certificates", sa.column("id", sa.Integer), sa.column("pdf_sha256", sa.String)
)
_files = sa.table(
    "certificate_files",
    sa.column("certificate_id", sa.Integer),
    sa.column("version", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("size", sa.Integer),
    sa.column("created_at", UTCDateTime),
    sa.column("data", sa.LargeBinary),
)


def import_files(connection: sa.Connection, folder: str | Path | None) -> dict[str, int]:
    """Copy each `<certificate id>.pdf` in `folder` whose hash matches the certificate's
    `pdf_sha256` into `certificate_files` (unless already there); return the counts.

    A file that does not match (or belongs to no certificate) is left alone and
    counted as skipped: it is not the PDF that was issued.
    """
    counts = {"imported": 0, "present": 0, "skipped": 0}
    if not folder or not Path(folder).is_dir():
        return counts
    stored = set(connection.scalars(sa.select(_files.c.certificate_id)).all())
    for path in sorted(Path(folder).glob("*.pdf")):
        if not path.stem.isdigit():
            continue
        certificate_id = int(path.stem)
        if certificate_id in stored:
            counts["present"] += 1
            continue
        expected = connection.scalar(
            sa.select(_certificates.c.pdf_sha256).where(_certificates.c.id == certificate_id)
        )
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if expected is None or digest != expected:
            log.warning("%s is not the PDF issued for certificate %s: left alone", path, path.stem)
            counts["skipped"] += 1
            continue
        connection.execute(
            sa.insert(_files).values(
                certificate_id=certificate_id,
                version=1,
                sha256=digest,
                size=len(data),
                created_at=utcnow(),
                data=data,
            )
        )
        counts["imported"] += 1
    return counts
