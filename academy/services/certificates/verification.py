"""Verification: what a certificate's code is, and what the public learns from it.

The verification code is random (192 bits) and only its sha256 is stored; the
link to check it (`verify_url`) is printed on the PDF and e-mailed to the
holder. Anyone may ask about a code and learn no more than the holder chose.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from academy.extensions import db
from academy.formatting import uk_date
from academy.links import absolute_url
from academy.models import User
from academy.models.certificates import Certificate, CertificateStatus

CODE_BYTES = 24  # 192 bits, 32 URL-safe characters
MAX_CODE_LENGTH = 64  # anything longer is not one of ours: answered as "not found"


def hash_code(code: str) -> str:
    """What is stored of a code, and looked up: its sha256."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def verify_url(code: str) -> str:
    """The public link that checks the certificate with this code."""
    return absolute_url("verify.certificate", code=code)


@dataclass(frozen=True)
class Verification:
    """What the public may know about a certificate: no more than its holder chose."""

    status: str  # valid | expired | revoked | superseded
    course_title: str
    level: str
    credit_hours: float
    issued_on: date
    expires_on: date | None
    revoked_on: date | None
    superseded_on: date | None
    holder_name: str | None  # only if valid and the holder opted in

    def as_json(self) -> dict:
        data = {
            "status": self.status,
            "course": {
                "title": self.course_title,
                "level": self.level,
                "credit_hours": self.credit_hours,
            },
            "issued_on": self.issued_on.isoformat(),
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
        }
        if self.revoked_on:
            data["revoked_on"] = self.revoked_on.isoformat()
        if self.superseded_on:
            data["superseded_on"] = self.superseded_on.isoformat()
        if self.holder_name:
            data["holder_name"] = self.holder_name
        return data


# What verification reads, and nothing else: built once, one statement, plain rows
# (no ORM objects). The holder's choice comes as a column, not as a whole person
# (whose roles would be loaded with them: more queries on a public page).
_certificates, _users = Certificate.__table__, User.__table__
_VERIFY = (
    sa.select(
        _certificates.c.status,
        _certificates.c.course_title,
        _certificates.c.level,
        _certificates.c.credit_hours,
        _certificates.c.issued_at,
        _certificates.c.expires_on,
        _certificates.c.revoked_at,
        _certificates.c.superseded_at,
        _certificates.c.holder_name,
        _users.c.show_name_on_verification,
    )
    .select_from(_certificates.outerjoin(_users, _users.c.id == _certificates.c.user_id))
    .where(_certificates.c.code_hash == sa.bindparam("digest"))
)


def verify(code: str) -> Verification | None:
    """The certificate with this code, as the public may see it; None if there is none.

    Looked up by the code's hash, so the time taken says nothing about how
    close a guess was, and a malformed code costs the same as a wrong one.
    """
    code = (code or "")[: MAX_CODE_LENGTH + 1]
    digest = hash_code(code)
    if len(code) > MAX_CODE_LENGTH:
        digest = "-"  # compared anyway, found never
    found = db.session.execute(_VERIFY, {"digest": digest}).first()
    if found is None:
        return None
    # The certificate's own rule for what a verifier is told (expired or not).
    status = Certificate(status=found.status, expires_on=found.expires_on).public_status()
    return Verification(
        status=status,
        course_title=found.course_title,
        level=found.level,
        credit_hours=found.credit_hours,
        # UK days, as the certificate and every page print them.
        issued_on=uk_date(found.issued_at),
        expires_on=found.expires_on,
        revoked_on=uk_date(found.revoked_at) if found.revoked_at else None,
        superseded_on=uk_date(found.superseded_at) if found.superseded_at else None,
        # Only on a valid certificate, whatever the holder chose: a revoked, replaced or
        # expired one must not keep vouching for (or exposing) the person (issue 18).
        holder_name=found.holder_name
        if found.show_name_on_verification and status == CertificateStatus.VALID
        else None,
    )
