"""Verification: what a certificate's code is, and what the public learns from it.

The verification code is random and only its sha256 is stored; the link to
check it (`verify_url`) is printed on the PDF, with the code itself, and e-mailed
to the holder. Anyone may ask about a code and learn no more than the holder
chose, and nothing about a person once the certificate is no longer valid.

Codes are made to be typed from paper: 28 characters of Crockford's base32
(140 bits; no I, L, O or U), printed in groups of four. What someone types is
normalised before it is looked up: case, spaces and dashes do not matter, and
O is read as 0, I and L as 1. Codes issued before (32 URL-safe characters, case
sensitive) were stored as the hash of the text itself, and keep verifying.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from academy.extensions import db
from academy.formatting import uk_date
from academy.links import absolute_url
from academy.models import User
from academy.models.certificates import Certificate, CertificateStatus, RevocationCategory

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 28  # 28 x 5 = 140 bits
CODE_GROUP = 4
MAX_CODE_LENGTH = 64  # anything longer is not one of ours: answered as "not found"

# What people type for what they see: Crockford's reading of look-alikes.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-]+")
_CANONICAL = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")


def new_code() -> str:
    """A fresh verification code, grouped for reading: XXXX-XXXX-…-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalise_code(text: str) -> str | None:
    """The canonical form of a typed code (upper case, no separators), or None if what
    was typed cannot be a code of the current format."""
    canonical = _SEPARATORS.sub("", text or "").upper().translate(_READ_AS)
    return canonical if _CANONICAL.fullmatch(canonical) else None


def grouped_code(code: str) -> str:
    """A code as printed: the canonical form in groups of four (older codes as they are)."""
    canonical = normalise_code(code)
    if canonical is None:
        return code
    return "-".join(canonical[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def hash_code(code: str) -> str:
    """What is stored of a code, and looked up: the sha256 of its canonical form
    (of the text itself for a code of the old format)."""
    return hashlib.sha256((normalise_code(code) or code).encode("utf-8")).hexdigest()


def _digests(text: str) -> list[str]:
    """The stored hashes `text` may stand for: as a current code, and as an old one."""
    text = (text or "").strip()
    if len(text) > MAX_CODE_LENGTH:
        return ["-"]  # compared anyway, found never
    legacy = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return list(dict.fromkeys([hash_code(text), legacy]))


def verify_url(code: str) -> str:
    """The public link that checks the certificate with this code."""
    return absolute_url("verify.certificate", code=grouped_code(code))


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
    holder_name: str | None  # only if the holder opted in, and only while it is valid
    revoked_category: str | None = None  # a RevocationCategory, never the staff's words

    @property
    def revoked_because(self) -> str | None:
        """The public reason for a revocation, in words."""
        if self.status != CertificateStatus.REVOKED:
            return None
        return RevocationCategory(self.revoked_category or RevocationCategory.WITHDRAWN).label

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
        if self.revoked_because:
            data["revoked_because"] = {
                "category": self.revoked_category or RevocationCategory.WITHDRAWN.value,
                "text": self.revoked_because,
            }
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
        _certificates.c.revoked_category,
        _certificates.c.superseded_at,
        _certificates.c.holder_name,
        _users.c.show_name_on_verification,
    )
    .select_from(_certificates.outerjoin(_users, _users.c.id == _certificates.c.user_id))
    .where(_certificates.c.code_hash.in_(sa.bindparam("digests", expanding=True)))
    .limit(1)
)


def verify(code: str) -> Verification | None:
    """The certificate with this code, as the public may see it; None if there is none.

    Looked up by the code's hash (as a current code and as an old one, in one
    statement), so the time taken says nothing about how close a guess was, and a
    malformed code costs the same as a wrong one.
    """
    found = db.session.execute(_VERIFY, {"digests": _digests(code)}).first()
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
        # A name is shown only on a valid certificate whose holder chose to show it: a
        # revoked, replaced or expired one says nothing about the person.
        holder_name=(
            found.holder_name
            if found.show_name_on_verification and status == CertificateStatus.VALID
            else None
        ),
        revoked_category=found.revoked_category,
    )
