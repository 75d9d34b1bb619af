"""Open Badges 3.0: a holder's certificate as a signed, portable credential.

The credential is an `OpenBadgeCredential` (a W3C Verifiable Credential),
signed as a VC-JWT (Open Badges 3.0 §8.2): the JWT payload is the credential
itself, with `iss`, `jti` and `nbf` (and `exp` when it expires); the JOSE
header names the EdDSA (Ed25519) key and carries its public JWK, which the
public issuer profile (/verify/issuer.json) publishes too.

The signing key comes from `ACADEMY_BADGE_SIGNING_KEY` (a PEM Ed25519 private
key) or, failing that, is generated once into the instance folder. Every web
process and machine must share it: set the variable in production.

The holder's e-mail appears only as a salted hash, and their name only
because they chose to download and share the credential.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import uuid
from datetime import UTC, datetime, time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from academy.models import Course, User
from academy.models.certificates import Certificate
from academy.services import ServiceError

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
KEY_FILE = "badge_signing_key.pem"
ISSUER_NAME = "Labour Organising Academy"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _base() -> str:
    return current_app.config["ACADEMY_BASE_URL"].rstrip("/")


def signing_key() -> Ed25519PrivateKey:
    """This app's badge signing key (loaded once per process)."""
    app = current_app._get_current_object()
    key = app.extensions.get("academy_badge_key")
    if key is None:
        # The environment variable, or FLASK_ACADEMY_BADGE_SIGNING_KEY / instance config.
        pem = app.config.get("ACADEMY_BADGE_SIGNING_KEY") or os.environ.get(
            "ACADEMY_BADGE_SIGNING_KEY"
        )
        data = pem.encode() if isinstance(pem, str) else pem
        if not data:
            data = _instance_key(Path(app.instance_path))
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise RuntimeError("ACADEMY_BADGE_SIGNING_KEY must be an Ed25519 private key")
        app.extensions["academy_badge_key"] = key
    return key


def _instance_key(instance: Path) -> bytes:
    """A key generated once into the instance folder (development, one machine)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / KEY_FILE
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    return path.read_bytes()


def public_jwk() -> dict:
    raw = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def issuer_id() -> str:
    return _base() + "/verify/issuer.json"


def issuer_profile() -> dict:
    """The public issuer profile, with the key that signs every credential."""
    return {
        "@context": CONTEXT,
        "id": issuer_id(),
        "type": ["Profile"],
        "name": ISSUER_NAME,
        "url": _base() + "/",
        "description": "The Labour Organising Academies: training members to organise "
        "their communities.",
        "verificationMethod": [
            {
                "id": issuer_id() + "#key-1",
                "type": "JsonWebKey",
                "controller": issuer_id(),
                "publicKeyJwk": public_jwk(),
            }
        ],
    }


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def credential(certificate: Certificate, holder: User, course: Course) -> dict:
    """The OpenBadgeCredential of a valid certificate (unsigned)."""
    salt = secrets.token_hex(16)
    identity = "sha256$" + hashlib.sha256((holder.email + salt).encode()).hexdigest()
    data = {
        "@context": CONTEXT,
        "id": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, _base() + "/" + certificate.number)),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{certificate.course_title}: certificate {certificate.number}",
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": ISSUER_NAME, "url": _base()},
        "validFrom": iso(certificate.issued_at),
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
                "id": f"{_base()}/courses/{course.slug}#certificate",
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
        end = datetime.combine(certificate.expires_on, time(23, 59, 59), tzinfo=UTC)
        data["validUntil"] = iso(end)
    # Where a relying party finds out whether it has been revoked since (badge_status).
    from academy.services import badge_status

    data["credentialStatus"] = badge_status.entry(certificate)
    return data


def signed_credential(certificate: Certificate, holder: User, course: Course) -> str:
    """The credential as a compact VC-JWT signed with EdDSA."""
    if not certificate.is_current:
        raise ServiceError("Only a valid certificate can be shared as an Open Badge.")
    payload = credential(certificate, holder, course)
    payload["nbf"] = int(certificate.issued_at.timestamp())
    if "validUntil" in payload:
        end = datetime.strptime(payload["validUntil"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        payload["exp"] = int(end.timestamp())
    return sign(payload)


def sign(claims: dict) -> str:
    """A credential of this issuer as a compact VC-JWT signed with EdDSA by its key (named,
    with its public JWK, in the header); `iss` and `jti` are the issuer and the id."""
    payload = {**claims, "iss": issuer_id(), "jti": claims["id"]}
    header = {"alg": "EdDSA", "typ": "JWT", "kid": issuer_id() + "#key-1", "jwk": public_jwk()}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    )
    signature = signing_key().sign(signing_input.encode("ascii"))
    return signing_input + "." + _b64url(signature)
