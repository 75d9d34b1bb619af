"""A certificate, its holder and its course, fixed to the last byte, and the key that
signed a badge of them before the URLs were built in one place (tests/data/badges/)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from academy.models import Course, User
from academy.models.certificates import Certificate, CertificateStatus

BASE = "https://academy.example.org"
# A throwaway Ed25519 key, here only so that a signature made once can be made again.
KEY_PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIHiLITD5E7fzwa6Fs/ual+aEvnCfBGZTan8uL89xT1Nn\n"
    "-----END PRIVATE KEY-----\n"
)
SALT = "0" * 32
STATUS_AT = datetime(2026, 11, 21, 12, tzinfo=UTC)


def make_objects() -> tuple[Certificate, User, Course]:
    """Transient objects (never added to a session): what the badge is signed from."""
    certificate = Certificate(
        id=131_100,  # list 2, bit 28: past the first list, so its number is in the URLs
        number="OA-2026-000123",
        holder_name="Siân Wiśniewski",
        course_title="Leading campaigns",
        level="intermediate",
        credit_hours=6.5,
        academy_name="North West Organising Academy",
        issuer_name="Staff Member",
        issued_at=datetime(2026, 11, 21, 23, 30, tzinfo=UTC),
        expires_on=date(2099, 11, 21),
        status=CertificateStatus.VALID,
    )
    holder = User(email="sian@example.org", display_name="Siân Wiśniewski")
    course = Course(slug="leading-campaigns", title="Leading campaigns", summary="Lead them.")
    return certificate, holder, course
