"""Issuing a certificate, re-issuing or renewing it, and revoking it.

- One valid certificate per member and course. The database enforces it (a
  partial unique index), so concurrent requests make one certificate and the
  rest are told it exists. Re-issuing supersedes the old certificate.
- A cohort's certificates are issued by its academy; a self-study completion
  by an academy the staff member chooses among theirs.
- Each certificate gets a number (OA-<year>-<nnnnnn>, drawn from a sequence)
  and a random code, given to the holder once; its PDF is rendered and stored
  at issue.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from academy.extensions import db
from academy.formatting import uk_date
from academy.models import Academy, Cohort, Course, User
from academy.models.certificates import (
    Certificate,
    CertificateBatch,
    CertificateNumber,
    CertificateStatus,
)
from academy.services import ServiceError
from academy.services.audit import record
from academy.services.certificates.eligibility import check_eligible
from academy.services.certificates.notices import tell_holder_issued, tell_holder_revoked
from academy.services.certificates.pdfs import store_pdf
from academy.services.certificates.scope import require_academy
from academy.services.certificates.verification import CODE_BYTES, hash_code
from academy.timeutil import add_months, utcnow

REASON_MAX = 500
RENEW_WINDOW = timedelta(days=90)


class AlreadyCertified(ServiceError):
    """The member already holds a valid certificate for the course."""


def _draw_number(year: int) -> str:
    drawn = CertificateNumber()
    db.session.add(drawn)
    db.session.flush()
    return f"OA-{year}-{drawn.id:06d}"


def create(
    member: User,
    course: Course,
    academy: Academy,
    *,
    actor: User,
    cohort: Cohort | None,
    batch: CertificateBatch | None = None,
    expires_on: date | None = None,
    keep_expiry: bool = False,
) -> Certificate:
    """Make the certificate, its number, code and PDF, without any check: `issue` and
    `reissue` check first, and the database's unique index has the last word."""
    now = utcnow()
    code = secrets.token_urlsafe(CODE_BYTES)
    if not keep_expiry:
        expires_on = (
            # From the day printed as the day of issue (Certificate.issued_on).
            add_months(uk_date(now), course.validity_months) if course.validity_months else None
        )
    certificate = Certificate(
        number=_draw_number(now.year),
        code_hash=hash_code(code),
        user_id=member.id,
        course_id=course.id,
        academy_id=academy.id,
        cohort_id=cohort.id if cohort else None,
        batch_id=batch.id if batch else None,
        holder_name=member.display_name.strip()[:120],
        course_title=course.title,
        level=course.level,
        credit_hours=course.credit_hours,
        academy_name=academy.full_name,
        issuer_name=actor.display_name.strip()[:120],
        issued_at=now,
        issued_by_id=actor.id,
        expires_on=expires_on,
        status=CertificateStatus.VALID,
    )
    try:
        # A savepoint: losing the race to the unique index leaves the caller's
        # transaction usable, to say so.
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError as error:
        raise AlreadyCertified(
            f"{member.display_name} already holds a valid certificate for {course.title}."
        ) from error
    certificate.code = code
    store_pdf(certificate, code)
    return certificate


def current_certificate(user_id: int, course_id: int) -> Certificate | None:
    """The member's valid certificate for the course, if they hold one."""
    return db.session.scalar(
        sa.select(Certificate).where(
            Certificate.user_id == user_id,
            Certificate.course_id == course_id,
            Certificate.status == CertificateStatus.VALID,
        )
    )


def issue(
    member: User,
    course: Course,
    *,
    actor: User,
    academy: Academy | None = None,
    cohort: Cohort | None = None,
    batch: CertificateBatch | None = None,
) -> Certificate:
    """Issue `member`'s certificate for `course`, render and store its PDF.

    `academy` is needed only for a self-study completion; a cohort's
    certificate is issued by the cohort's academy. The returned certificate
    carries its plain `code` (only this once).
    """
    cohort = check_eligible(member, course, cohort)
    if cohort is not None:
        if academy is not None and academy.id != cohort.academy_id:
            raise ServiceError(f"{cohort.name} runs in another academy.")
        academy = db.session.get(Academy, cohort.academy_id)
    if academy is None:
        raise ServiceError("Choose the academy that issues this certificate.")
    require_academy(actor, academy.id)
    if current_certificate(member.id, course.id) is not None:
        raise AlreadyCertified(
            f"{member.display_name} already holds a valid certificate for {course.title}."
        )
    certificate = create(member, course, academy, actor=actor, cohort=cohort, batch=batch)
    record(
        "certificate.issue",
        actor=actor,
        subject=member,
        academy_id=academy.id,
        target=certificate.number,
        course=course.slug,
        cohort_id=cohort.id if cohort else None,
        batch_id=batch.id if batch else None,
    )
    tell_holder_issued(member, certificate)
    return certificate


def can_renew(certificate: Certificate, today: date | None = None) -> bool:
    """A valid certificate that expires: from 90 days before its expiry, and after it."""
    today = today or utcnow().date()
    return (
        certificate.status == CertificateStatus.VALID
        and certificate.expires_on is not None
        and certificate.expires_on - today <= RENEW_WINDOW
    )


def reissue(certificate: Certificate, *, actor: User, renew: bool = False) -> Certificate:
    """Replace a valid certificate with a new one carrying the holder's current name.

    The old one is superseded (its code then verifies as replaced). A re-issue
    keeps the old expiry date, so it never extends a validity; a renewal (of a
    certificate that expires within 90 days, or has expired) starts a new
    validity period from today: staff renew once the holder has refreshed
    their training.
    """
    require_academy(actor, certificate.academy_id)
    if certificate.status != CertificateStatus.VALID:
        raise ServiceError(
            f"Certificate {certificate.number} is not valid, so it cannot be re-issued."
        )
    if renew and not can_renew(certificate):
        raise ServiceError(
            f"Certificate {certificate.number} can be renewed from 90 days before it expires."
        )
    member = db.session.get(User, certificate.user_id) if certificate.user_id else None
    if member is None:
        raise ServiceError("The holder's account no longer exists.")
    course = db.session.get(Course, certificate.course_id)
    academy = db.session.get(Academy, certificate.academy_id)
    cohort = db.session.get(Cohort, certificate.cohort_id) if certificate.cohort_id else None
    now = utcnow()
    certificate.status = CertificateStatus.SUPERSEDED
    certificate.superseded_at = now
    db.session.flush()  # frees the member's one "valid" place for the new certificate
    new = create(
        member,
        course,
        academy,
        actor=actor,
        cohort=cohort,
        expires_on=certificate.expires_on,
        keep_expiry=not renew,
    )
    certificate.superseded_by_id = new.id
    record(
        "certificate.renew" if renew else "certificate.reissue",
        actor=actor,
        subject=member,
        academy_id=academy.id,
        target=new.number,
        replaces=certificate.number,
        course=course.slug,
        holder_name=new.holder_name,
        expires_on=new.expires_on.isoformat() if new.expires_on else None,
    )
    tell_holder_issued(member, new, reissued=True)
    return new


def revoke(certificate: Certificate, *, actor: User, reason: str) -> Certificate:
    """Revoke a valid certificate; verification says so from the next request."""
    require_academy(actor, certificate.academy_id)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give the reason for revoking the certificate.")
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Keep the reason to {REASON_MAX} characters.")
    if certificate.status != CertificateStatus.VALID:
        raise ServiceError(f"Certificate {certificate.number} is already {certificate.status}.")
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = actor.id
    certificate.revoked_reason = reason
    member = db.session.get(User, certificate.user_id) if certificate.user_id else None
    record(
        "certificate.revoke",
        actor=actor,
        subject=member,
        academy_id=certificate.academy_id,
        target=certificate.number,
        reason=reason,
    )
    if member is not None:
        tell_holder_revoked(member, certificate, reason)
    db.session.flush()
    return certificate
