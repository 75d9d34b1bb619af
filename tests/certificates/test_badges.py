"""The holder's Open Badges 3.0 credential: a VC-JWT signed with the issuer's
Ed25519 key, checked here with that public key as a relying party would."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from academy.extensions import db
from academy.services import certificates as service


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def check_signature(token: str, jwk: dict) -> tuple[dict, dict]:
    header, payload, signature = token.split(".")
    key = Ed25519PublicKey.from_public_bytes(b64decode(jwk["x"]))
    key.verify(b64decode(signature), f"{header}.{payload}".encode())  # raises if forged
    return json.loads(b64decode(header)), json.loads(b64decode(payload))


@pytest.fixture
def certificate(issued_certificate):
    return issued_certificate


def test_the_holder_downloads_a_signed_open_badge(client, login, member, certificate):
    login(client, member)
    assert f"/certificates/{certificate.id}/badge.jwt" in client.get("/certificates/").get_data(
        as_text=True
    )

    response = client.get(f"/certificates/{certificate.id}/badge.jwt")
    issuer = client.get("/verify/issuer.json").get_json()

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    jwk = issuer["verificationMethod"][0]["publicKeyJwk"]
    header, badge = check_signature(response.get_data(as_text=True), jwk)
    assert header["alg"] == "EdDSA"
    assert header["jwk"] == jwk
    assert header["kid"] == issuer["verificationMethod"][0]["id"]
    assert badge["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert badge["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert badge["iss"] == badge["issuer"]["id"] == issuer["id"]
    assert badge["jti"] == badge["id"]
    assert badge["nbf"] == int(certificate.issued_at.timestamp())
    assert badge["validUntil"].startswith(certificate.expires_on.isoformat())
    achievement = badge["credentialSubject"]["achievement"]
    assert achievement["name"] == "Leading campaigns"
    assert achievement["achievementType"] == "Certificate"
    assert achievement["creditsAvailable"] == 6.5
    email, name = badge["credentialSubject"]["identifier"]
    # The e-mail only as a salted hash a relying party can check against an address.
    assert member.email not in response.get_data(as_text=True)
    assert (
        email["identityHash"]
        == "sha256$" + hashlib.sha256((member.email + email["salt"]).encode()).hexdigest()
    )
    assert name["identityHash"] == "Siân O'Connell-Adebayo"


def test_a_changed_badge_fails_the_signature_check(client, login, member, certificate):
    login(client, member)
    token = client.get(f"/certificates/{certificate.id}/badge.jwt").get_data(as_text=True)
    jwk = client.get("/verify/issuer.json").get_json()["verificationMethod"][0]["publicKeyJwk"]
    header, payload, signature = token.split(".")
    claims = json.loads(b64decode(payload))
    claims["credentialSubject"]["achievement"]["name"] = "Something grander"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    with pytest.raises(InvalidSignature):
        check_signature(f"{header}.{forged}.{signature}", jwk)


def test_only_the_holder_and_only_while_valid(client, login, make_user, staff, member, certificate):
    login(client, make_user(name="Someone Else"))
    assert client.get(f"/certificates/{certificate.id}/badge.jwt").status_code == 404
    login(client, staff)
    assert client.get(f"/certificates/{certificate.id}/badge.jwt").status_code == 404

    service.revoke(certificate, actor=staff, reason="Withdrawn")
    db.session.commit()
    login(client, member)
    assert client.get(f"/certificates/{certificate.id}/badge.jwt").status_code == 404
