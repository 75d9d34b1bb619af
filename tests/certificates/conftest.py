"""Fixtures for certificate rendering: content, a shared renderer, PDF readers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pypdf
import pypdfium2
import pytest
import sqlalchemy as sa
import zxingcpp

from academy.certificates.render import CertificateContent, CertificateRenderer
from academy.extensions import db
from academy.models import Cohort, CohortMember, CohortTrainer, Course, Enrolment
from academy.services.academies import academy_by_slug
from academy.timeutil import utcnow

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


# --- issuing: members who completed courses, cohorts, staff -------------------------


def course(slug: str) -> Course:
    return db.session.scalar(sa.select(Course).where(Course.slug == slug))


def complete(user, slug: str = "organising-basics", when=None) -> Enrolment:
    """Record `user` as having completed the course (as the learning service would)."""
    when = when or utcnow()
    enrolment = Enrolment(
        user_id=user.id,
        course_id=course(slug).id,
        enrolled_at=when - dt.timedelta(days=20),
        completed_at=when,
        last_activity_at=when,
    )
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def make_cohort(
    slug: str = "organising-basics",
    *,
    academy: str = "north-west",
    trainers=(),
    members=(),
    signed_off: bool = True,
    name: str = "Salford spring cohort",
) -> Cohort:
    today = utcnow().date()
    cohort = Cohort(
        academy_id=academy_by_slug(academy).id,
        course_id=course(slug).id,
        name=name,
        mode="in-person",
        venue="Salford Lads Club",
        starts_on=today - dt.timedelta(days=60),
        ends_on=today - dt.timedelta(days=1),
        capacity=30,
    )
    db.session.add(cohort)
    db.session.flush()
    for trainer in trainers:
        db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
    for member in members:
        db.session.add(
            CohortMember(
                cohort_id=cohort.id,
                user_id=member.id,
                signed_off_at=utcnow() if signed_off else None,
                signed_off_by_id=trainers[0].id if (signed_off and trainers) else None,
            )
        )
    db.session.commit()
    return cohort


@pytest.fixture
def staff(make_user):
    return make_user(roles=("staff",), academy="north-west", name="Maria Kowalczyk")


@pytest.fixture
def member(make_user):
    return make_user(name="Siân O'Connell-Adebayo")


@pytest.fixture
def issued_certificate(app, staff, member):
    """A valid certificate of member's for Leading campaigns, issued by staff in North West."""
    from academy.services import certificates as service
    from academy.services.academies import academy_by_slug

    complete(member)
    complete(member, "leading-campaigns")
    issued = service.issue(
        member, course("leading-campaigns"), actor=staff, academy=academy_by_slug("north-west")
    )
    db.session.commit()
    return issued
