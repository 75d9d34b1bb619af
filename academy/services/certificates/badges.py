"""Open Badges 3.0: a holder's certificate as a signed, portable credential, and the
public profile of its issuer.

The credential is an `OpenBadgeCredential` (a W3C Verifiable Credential),
signed by the issuer (`signing`) as a VC-JWT with `nbf` (and `exp` when it
expires). It names its bit in a published revocation list (`badge_status`),
so a relying party can find out whether it has been revoked since.

The holder's e-mail appears only as a salted hash, and their name only
because they chose to download and share the credential.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, time

from academy.formatting import iso_utc
from academy.links import absolute_url, base_url
from academy.models import Course, User
from academy.models.certificates import Certificate
from academy.services import ServiceError
from academy.services.certificates import badge_status
from academy.services.certificates.signing import (
    CONTEXT,
    ISSUER_NAME,
    issuer_id,
    sign,
    verification_methods,
)


def _valid_until(certificate: Certificate) -> datetime:
    """The last second of the certificate's last day (UTC, as the badge has always said)."""
    return datetime.combine(certificate.expires_on, time(23, 59, 59), tzinfo=UTC)


def issuer_profile() -> dict:
    """The public issuer profile, with the key that signs every credential."""
    return {
        "@context": CONTEXT,
        "id": issuer_id(),
        "type": ["Profile"],
        "name": ISSUER_NAME,
        "url": absolute_url("main.home"),
        "description": "The Labour Organising Academies: training members to organise "
        "their communities.",
        "verificationMethod": verification_methods(),
    }


def credential(certificate: Certificate, holder: User, course: Course) -> dict:
    """The OpenBadgeCredential of a valid certificate (unsigned)."""
    salt = secrets.token_hex(16)
    identity = "sha256$" + hashlib.sha256((holder.email + salt).encode()).hexdigest()
    # The same id whenever the holder downloads it again (a name, not a page: the
    # public address and the number, as every badge issued so far was given).
    same = uuid.uuid5(uuid.NAMESPACE_URL, base_url() + "/" + certificate.number)
    data = {
        "@context": CONTEXT,
        "id": f"urn:uuid:{same}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{certificate.course_title}: certificate {certificate.number}",
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": ISSUER_NAME, "url": base_url()},
        "validFrom": iso_utc(certificate.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity,
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                },
                {
                    "type": "IdentityObject",
                    "identityHash": certificate.holder_name,
                    "identityType": "name",
                    "hashed": False,
                },
            ],
            "creditsEarned": certificate.credit_hours,
            "achievement": {
                "id": absolute_url("learn.course", course_slug=course.slug, _anchor="certificate"),
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": certificate.course_title,
                "description": (
                    f"{certificate.level.capitalize()} level course of the Labour Organising "
                    f"Academies: {course.summary}"
                ),
                "criteria": {
                    "narrative": "Completed every lesson and passed every quiz of the course "
                    "(and, in a cohort, signed off by its trainer), then certified by "
                    f"{certificate.academy_name}."
                },
                "creditsAvailable": certificate.credit_hours,
            },
        },
    }
    if certificate.expires_on:
        data["validUntil"] = iso_utc(_valid_until(certificate))
    # Where a relying party finds out whether it has been revoked since.
    data["credentialStatus"] = badge_status.entry(certificate)
    return data


def signed_credential(certificate: Certificate, holder: User, course: Course) -> str:
    """The credential as a compact VC-JWT signed with EdDSA."""
    if not certificate.is_current:
        raise ServiceError("Only a valid certificate can be shared as an Open Badge.")
    payload = credential(certificate, holder, course)
    payload["nbf"] = int(certificate.issued_at.timestamp())
    if certificate.expires_on:
        payload["exp"] = int(_valid_until(certificate).timestamp())
    return sign(payload)
