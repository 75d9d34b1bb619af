"""Fixtures for certificate rendering: content, a shared renderer, PDF readers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pypdf
import pypdfium2
import pytest
import zxingcpp

from academy.certificates.render import CertificateContent, CertificateRenderer

VERIFY_URL = "https://academy.example.org/verify/7QK2-M9XD-4HTR-PW3B"


@pytest.fixture(scope="session")
def renderer() -> CertificateRenderer:
    # One renderer for the whole run, as production keeps one per process: this
    # is also what "reuse between certificates" means, so every test exercises it.
    return CertificateRenderer()


@pytest.fixture
def make_content():
    """Return a factory of CertificateContent with sensible defaults."""

    def make(**changes) -> CertificateContent:
        content = CertificateContent(
            number="OA-2026-000123",
            holder_name="Siân O'Connell-Adebayo",
            course_title="Community organising",
            level="intermediate",
            credit_hours=10,
            academy_name="North West Organising Academy",
            issued_on=dt.date(2026, 11, 21),
            expires_on=dt.date(2028, 11, 21),
            issuer_name="Maria Kowalczyk",
            verify_url=VERIFY_URL,
        )
        return dataclasses.replace(content, **changes)

    return make


def pdf_pages(pdf: bytes) -> list[pypdf.PageObject]:
    return list(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def pdf_text(pdf: bytes) -> str:
    """All the text of the PDF, whitespace collapsed (lines wrap where they like)."""
    text = " ".join(page.extract_text() for page in pdf_pages(pdf))
    return " ".join(text.split())


def qr_codes(pdf: bytes, scale: float = 3) -> list[str]:
    """The text of every barcode zxing finds on the first page, rendered by pdfium."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        page = document[0]
        bitmap = page.render(scale=scale)
        image = bitmap.to_pil()
        bitmap.close()
        page.close()
    finally:
        document.close()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]
