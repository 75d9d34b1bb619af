"""The e-mails to holders: a certificate issued or re-issued, revoked, about to expire.

Each goes through `academy.mail.send_email` while the caller's transaction is
still open: it leaves once the caller commits, and not at all if it rolls back.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from academy.extensions import db
from academy.formatting import long_date
from academy.links import absolute_url
from academy.mail import send_email
from academy.models import User
from academy.models.certificates import Certificate, CertificateStatus
from academy.services.certificates.verification import verify_url
from academy.timeutil import utcnow


def tell_holder_issued(member: User, certificate: Certificate, *, reissued: bool = False) -> None:
    """Give the holder the download page and, once only, the link that verifies it."""
    what = "re-issued" if reissued else "issued"
    send_email(
        member.email,
        f"Your certificate for {certificate.course_title}",
        f"Hello {member.display_name},\n\n{certificate.academy_name} has {what} your "
        f"certificate {certificate.number} for {certificate.course_title}.\n\n"
        f"Download it from {absolute_url('certificates.index')}\n\n"
        f"Anyone you give this link to can check it is genuine:\n{verify_url(certificate.code)}\n\n"
        "The verification page shows the course, the date and whether the certificate is "
        "valid; it shows your name only if you choose so on your certificates page.",
    )


def tell_holder_revoked(member: User, certificate: Certificate, reason: str) -> None:
    """Tell the holder their certificate was revoked, and why."""
    send_email(
        member.email,
        f"Your certificate {certificate.number} has been revoked",
        f"Hello {member.display_name},\n\n{certificate.academy_name} has revoked your "
        f"certificate {certificate.number} for {certificate.course_title}.\n\n"
        f"Reason: {reason}\n\nIf you think this is a mistake, reply to your academy.",
    )


def send_expiry_reminders(days: int = 30, today: date | None = None) -> int:
    """E-mail each holder whose valid certificate expires within `days`, once."""
    today = today or utcnow().date()
    due = db.session.scalars(
        sa.select(Certificate)
        .options(joinedload(Certificate.user))
        .where(
            Certificate.status == CertificateStatus.VALID,
            Certificate.expires_on.is_not(None),
            Certificate.expires_on >= today,
            Certificate.expires_on <= today + timedelta(days=days),
            Certificate.reminded_at.is_(None),
            Certificate.user_id.is_not(None),
        )
        .order_by(Certificate.expires_on, Certificate.id)
    ).all()
    sent = 0
    for certificate in due:
        holder = certificate.user
        if holder is None or holder.disabled_at is not None:
            continue
        send_email(
            holder.email,
            f"Your {certificate.course_title} certificate expires on "
            f"{long_date(certificate.expires_on)}",
            f"Hello {holder.display_name},\n\nYour certificate {certificate.number} for "
            f"{certificate.course_title} is valid until {long_date(certificate.expires_on)}. "
            "To keep it current, refresh your training before then (your academy will tell "
            "you how) and ask your academy to renew your certificate.\n\n"
            f"Your certificates: {absolute_url('certificates.index')}",
        )
        certificate.reminded_at = utcnow()
        sent += 1
    db.session.flush()
    return sent
