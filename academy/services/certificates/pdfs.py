"""The certificate PDFs: rendered once, at issue, out of the web process, stored in
the database and served as they are.

- Rendering happens in a child process with a time and a memory limit
  (`CERTIFICATE_RENDER_SECONDS`, `CERTIFICATE_RENDER_MEMORY_MB`;
  academy/certificates/isolated.py). The caller must hold no database
  transaction while it runs (`issuing` reads, commits, renders, then writes):
  on SQLite an open transaction is the database's one write lock.
- The PDF is stored in `certificate_files`, keyed by certificate and content
  version, so any machine (web or worker) serves any certificate; SQLite uses the
  same code. A PDF kept on a machine's disk by an older version (in
  `ACADEMY_CERTIFICATES_DIR`) is still served from there until it is imported
  (`flask academy certificates import-files`, also run by the migration).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from academy.certificates.isolated import (
    Limits,
    RenderDoesNotFit,
    RenderFailed,
    isolated_renderer,
)
from academy.certificates.render import CertificateContent
from academy.extensions import db
from academy.models.certificates import Certificate, CertificateFile
from academy.services import ServiceError

log = logging.getLogger(__name__)


class CertificateRenderError(ServiceError):
    """The PDF could not be rendered (too slow, too big, does not fit, broke)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def render_limits() -> Limits:
    """The time and memory one render may take, from the settings."""
    return Limits(
        seconds=float(current_app.config["CERTIFICATE_RENDER_SECONDS"]),
        memory_mb=int(current_app.config["CERTIFICATE_RENDER_MEMORY_MB"]),
    )


def render_pdf(content: CertificateContent) -> bytes:
    """The certificate rendered in this process's child renderer, or CertificateRenderError.

    Touches no database: call it with no transaction open.
    """
    renderer = isolated_renderer(
        Path(current_app.config["CERTIFICATE_TEMPLATE_DIR"]), render_limits()
    )
    try:
        return renderer.render(content)
    except RenderDoesNotFit as error:
        raise CertificateRenderError(
            f"{content.holder_name} does not fit on one certificate page: ask the member "
            "to shorten the name on their account, then issue it again."
        ) from error
    except RenderFailed as error:
        raise CertificateRenderError(error.reason) from error


def save_pdf(certificate: Certificate, pdf: bytes) -> CertificateFile:
    """Store `pdf` as the certificate's file (version 1) and note its hash; flushes."""
    digest = hashlib.sha256(pdf).hexdigest()
    stored = CertificateFile(
        certificate_id=certificate.id, version=1, sha256=digest, size=len(pdf), data=pdf
    )
    db.session.add(stored)
    certificate.pdf_sha256 = digest
    db.session.flush()
    return stored


def legacy_path(certificate_id: int) -> Path:
    """Where an older version kept a certificate's PDF on this machine's disk."""
    return Path(current_app.config["ACADEMY_CERTIFICATES_DIR"]) / f"{certificate_id}.pdf"


def pdf_bytes(certificate: Certificate) -> bytes | None:
    """The certificate's PDF as issued (its newest stored version), or None."""
    data = db.session.scalar(
        sa.select(CertificateFile.data)
        .where(CertificateFile.certificate_id == certificate.id)
        .order_by(CertificateFile.version.desc())
        .limit(1)
    )
    if data is not None:
        return data
    # Not imported yet: this machine may still have the file an older version wrote.
    path = legacy_path(certificate.id)
    if certificate.pdf_sha256 and path.is_file():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == certificate.pdf_sha256:
            return data
        log.error("certificate %s: the PDF on disk is not the one issued", certificate.number)
    return None


def delete_pdfs(certificate: Certificate) -> None:
    """Remove every stored copy of the certificate's PDF (erasure)."""
    db.session.execute(
        sa.delete(CertificateFile).where(CertificateFile.certificate_id == certificate.id)
    )
    legacy_path(certificate.id).unlink(missing_ok=True)
    certificate.pdf_sha256 = None
