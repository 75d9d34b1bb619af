"""The certificate PDFs: rendered once, at issue, stored atomically and served as
they are.

Each PDF is stored by the certificate's id (never by anything guessable) in
`ACADEMY_CERTIFICATES_DIR`; the download, the data export and erasure find it
with `pdf_path`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app

from academy.certificates.render import (
    CertificateContent,
    CertificateLayoutError,
    renderer_for,
    write_atomically,
)
from academy.models.certificates import Certificate
from academy.services import ServiceError
from academy.services.certificates.verification import grouped_code, verify_url


def certificates_dir() -> Path:
    """The folder of the PDFs, made (private to this user) if it is not there yet."""
    folder = Path(current_app.config["ACADEMY_CERTIFICATES_DIR"])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def pdf_path(certificate: Certificate) -> Path:
    """Where the certificate's PDF is stored (by id, never by anything guessable)."""
    return Path(current_app.config["ACADEMY_CERTIFICATES_DIR"]) / f"{certificate.id}.pdf"


def _content(certificate: Certificate, code: str) -> CertificateContent:
    return CertificateContent(
        number=certificate.number,
        holder_name=certificate.holder_name,
        course_title=certificate.course_title,
        level=certificate.level,
        credit_hours=certificate.credit_hours,
        academy_name=certificate.academy_name,
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        issuer_name=certificate.issuer_name,
        verify_url=verify_url(code),
        verification_code=grouped_code(code),
    )


def store_pdf(certificate: Certificate, code: str) -> None:
    """Render the certificate, with the link that checks `code`, and store it; raise
    ServiceError if it does not fit its one page."""
    # One renderer per process: fonts, stylesheet and template are reused by
    # every certificate it renders (a cohort's batch especially).
    renderer = renderer_for()
    try:
        pdf = renderer.render(_content(certificate, code))
    except CertificateLayoutError as error:
        raise ServiceError(
            f"{certificate.holder_name} does not fit on one certificate page: ask the member "
            "to shorten the name on their account, then issue it again."
        ) from error
    certificates_dir()
    write_atomically(pdf_path(certificate), pdf)
    certificate.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
