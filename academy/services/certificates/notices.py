"""The e-mails to holders: a certificate issued or re-issued, revoked, about to expire.

Each is rendered from its template (templates/email/) and queued for delivery
(academy.mail.send) while the caller's transaction is still open; the caller commits.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from academy.extensions import db
from academy.mail import send_template
from academy.models import User
from academy.models.certificates import Certificate, CertificateStatus
from academy.services.certificates.verification import verify_url
from academy.timeutil import utcnow


def tell_holder_issued(member: User, certificate: Certificate, *, reissued: bool = False) -> None:
    """Give the holder the download page and, once only, the link that verifies it."""
    send_template(
        member.email,
        "certificate_issued",
        name=member.display_name,
        certificate=certificate,
        what="re-issued" if reissued else "issued",
        verify_link=verify_url(certificate.code),
    )


def tell_holder_revoked(member: User, certificate: Certificate, reason: str) -> None:
    """Tell the holder their certificate was revoked, and why (the reason is theirs alone)."""
    send_template(
        member.email,
        "certificate_revoked",
        name=member.display_name,
        certificate=certificate,
        reason=reason,
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
        send_template(
            holder.email, "certificate_expiring", name=holder.display_name, certificate=certificate
        )
        certificate.reminded_at = utcnow()
        sent += 1
    db.session.flush()
    return sent
