"""Issuing a certificate, re-issuing or renewing it, and revoking it.

- One valid certificate per member and course. The database enforces it (a
  partial unique index), so concurrent requests make one certificate and the
  rest are told it exists. Re-issuing supersedes the old certificate.
- A cohort's certificates are issued by its academy; a self-study completion
  by an academy the staff member chooses among theirs.
- Each certificate gets a number (OA-<year>-<nnnnnn>, drawn from a sequence)
  and a random code, given to the holder once; its PDF is rendered at issue,
  out of the web process and with no transaction open, then stored with the row
  in one short transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from academy.certificates.render import CertificateContent
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
from academy.services.certificates.pdfs import CertificateRenderError, render_pdf, save_pdf
from academy.services.certificates.scope import require_academy
from academy.services.certificates.verification import CODE_BYTES, hash_code, verify_url
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


@dataclass(frozen=True, kw_only=True)
class Draft:
    """A certificate about to be issued, as plain values read before rendering.

    Everything the PDF and the row need, so that nothing is read from the database
    between the commit that ends the reading and the short transaction that writes.
    """

    user_id: int
    course_id: int
    academy_id: int
    cohort_id: int | None
    batch_id: int | None
    actor_id: int
    number: str
    code: str
    issued_at: datetime
    expires_on: date | None
    holder_name: str
    course_title: str
    level: str
    credit_hours: float
    academy_name: str
    issuer_name: str

    def content(self) -> CertificateContent:
        """What the PDF prints."""
        return CertificateContent(
            number=self.number,
            holder_name=self.holder_name,
            course_title=self.course_title,
            level=self.level,
            credit_hours=self.credit_hours,
            academy_name=self.academy_name,
            issued_on=uk_date(self.issued_at),
            expires_on=self.expires_on,
            issuer_name=self.issuer_name,
            verify_url=verify_url(self.code),
        )


def _draft(
    member: User,
    course: Course,
    academy: Academy,
    *,
    actor: User,
    cohort: Cohort | None,
    batch: CertificateBatch | None,
    expires_on: date | None = None,
    keep_expiry: bool = False,
) -> Draft:
    """Read what the certificate will say and draw its number (which the PDF prints)."""
    now = utcnow()
    if not keep_expiry:
        expires_on = (
            # From the day printed as the day of issue (Certificate.issued_on).
            add_months(uk_date(now), course.validity_months) if course.validity_months else None
        )
    return Draft(
        user_id=member.id,
        course_id=course.id,
        academy_id=academy.id,
        cohort_id=cohort.id if cohort else None,
        batch_id=batch.id if batch else None,
        actor_id=actor.id,
        number=_draw_number(now.year),
        code=secrets.token_urlsafe(CODE_BYTES),
        issued_at=now,
        expires_on=expires_on,
        holder_name=member.display_name.strip()[:120],
        course_title=course.title,
        level=course.level,
        credit_hours=course.credit_hours,
        academy_name=academy.full_name,
        issuer_name=actor.display_name.strip()[:120],
    )


def _render(draft: Draft) -> bytes:
    """Commit, then render the PDF with no transaction open.

    The commit ends the reading (and keeps the drawn number: numbers are never
    reused, so a failed render leaves a gap, as a rolled-back issue always did).
    Rendering takes up to CERTIFICATE_RENDER_SECONDS; on SQLite an open transaction
    is the one write lock, and on PostgreSQL an idle one holds row locks and
    snapshots, so nothing of ours may be open meanwhile. A failure is recorded in
    the audit log (committed at once) and raised for the caller to show.
    """
    content = draft.content()
    db.session.commit()
    try:
        return render_pdf(content)
    except CertificateRenderError as error:
        record(
            "certificate.render_failed",
            actor=db.session.get(User, draft.actor_id),
            academy_id=draft.academy_id,
            target=draft.number,
            user_id=draft.user_id,
            reason=error.reason,
        )
        db.session.commit()
        raise


def _insert(draft: Draft, pdf: bytes) -> Certificate:
    """The certificate row and its PDF, in the (short) transaction that follows the render."""
    certificate = Certificate(
        number=draft.number,
        code_hash=hash_code(draft.code),
        user_id=draft.user_id,
        course_id=draft.course_id,
        academy_id=draft.academy_id,
        cohort_id=draft.cohort_id,
        batch_id=draft.batch_id,
        holder_name=draft.holder_name,
        course_title=draft.course_title,
        level=draft.level,
        credit_hours=draft.credit_hours,
        academy_name=draft.academy_name,
        issuer_name=draft.issuer_name,
        issued_at=draft.issued_at,
        issued_by_id=draft.actor_id,
        expires_on=draft.expires_on,
        status=CertificateStatus.VALID,
    )
    try:
        # A savepoint: losing the race to the unique index (another issue while this
        # one rendered) leaves the caller's transaction usable, to say so.
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError as error:
        raise AlreadyCertified(
            f"{draft.holder_name} already holds a valid certificate for {draft.course_title}."
        ) from error
    certificate.code = draft.code
    save_pdf(certificate, pdf)
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

    Unlike other services this one commits, once, before rendering (so the PDF is
    never rendered inside a write transaction); the row, its PDF, the audit event
    and the e-mail come after the render, and the caller commits them. A render
    that fails raises CertificateRenderError (a ServiceError) with its reason.
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
    draft = _draft(member, course, academy, actor=actor, cohort=cohort, batch=batch)
    pdf = _render(draft)  # commits first: see _render
    certificate = _insert(draft, pdf)
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

    Commits before rendering, as `issue` does; the caller commits the rest.

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
    draft = _draft(
        member,
        course,
        academy,
        actor=actor,
        cohort=cohort,
        batch=None,
        expires_on=certificate.expires_on,
        keep_expiry=not renew,
    )
    old_id = certificate.id
    pdf = _render(draft)  # commits first: see _render
    # Read again, locked: it may have been revoked or re-issued while this one rendered.
    certificate = db.session.get(Certificate, old_id, with_for_update=True, populate_existing=True)
    if certificate.status != CertificateStatus.VALID:
        raise ServiceError(
            f"Certificate {certificate.number} changed while the new one was being made; "
            "look at it again before re-issuing."
        )
    certificate.status = CertificateStatus.SUPERSEDED
    certificate.superseded_at = utcnow()
    db.session.flush()  # frees the member's one "valid" place for the new certificate
    new = _insert(draft, pdf)
    certificate.superseded_by_id = new.id
    record(
        "certificate.renew" if renew else "certificate.reissue",
        actor=actor,
        subject=member,
        academy_id=new.academy_id,
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
