"""Badges already in holders' hands keep verifying now that every absolute URL is
built by one function (academy.links) from the routes.

tests/data/badges/ holds badges signed, with the throwaway key of `badge_fixture`,
by the code as it was before (when each URL was written out by hand). Ed25519
signatures are deterministic, so signing the same certificate again must give
the very same bytes: the issuer, the badge's id, its achievement and its place
in the revocation list have not moved by a character.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from academy.extensions import db
from academy.models.certificates import Certificate, CertificateStatus
from academy.services import certificates as service
from academy.services.academies import academy_by_slug
from academy.services.certificates import badge_status, badges, verification

from .badge_fixture import BASE, KEY_PEM, SALT, make_objects
from .conftest import course
from .test_badge_status import _bits, _is_set
from .test_badges import check_signature

ISSUED = Path(__file__).parents[1] / "data" / "badges"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "ACADEMY_BASE_URL": BASE, "ACADEMY_BADGE_SIGNING_KEY": KEY_PEM}


def _signed_again() -> str:
    certificate, holder, course_ = make_objects()
    with mock.patch("secrets.token_hex", return_value=SALT):
        return badges.signed_credential(certificate, holder, course_)


@pytest.mark.parametrize(
    ("base", "issued"),
    [
        (BASE, "issued-plain.jwt"),
        # A trailing slash, and the site served under a path: both as before.
        ("https://example.org/academy/", "issued-prefix.jwt"),
    ],
)
def test_the_same_certificate_is_signed_to_the_same_bytes_as_before(app, base, issued):
    app.config["ACADEMY_BASE_URL"] = base
    assert _signed_again() == (ISSUED / issued).read_text().strip()


def test_the_links_printed_and_published_read_as_before(app):
    # The QR code and link on every stored PDF, and the revocation lists' own ids.
    assert verification.verify_url("AbC-123_xyz") == f"{BASE}/verify/AbC-123_xyz"
    assert badge_status.list_url(2) == f"{BASE}/verify/status/2"
    profile = badges.issuer_profile()
    assert profile["id"] == f"{BASE}/verify/issuer.json"
    assert profile["url"] == f"{BASE}/"


def test_a_badge_issued_before_still_verifies_and_can_still_be_revoked(app, client, member, staff):
    """A relying party holding the old file: its signature checks against the key the
    issuer publishes now, and the list it names is served and follows a revocation."""
    token = (ISSUED / "issued-plain.jwt").read_text().strip()
    profile = client.get("/verify/issuer.json").get_json()
    jwk = profile["verificationMethod"][0]["publicKeyJwk"]
    header, badge = check_signature(token, jwk)
    assert header["kid"] == profile["verificationMethod"][0]["id"]
    assert badge["iss"] == badge["issuer"]["id"] == profile["id"]

    # The certificate it was signed from, in the database under the same id.
    fixed, _, _ = make_objects()
    certificate = Certificate(
        id=fixed.id,
        number=fixed.number,
        code_hash="f" * 64,
        user_id=member.id,
        course_id=course("leading-campaigns").id,
        academy_id=academy_by_slug("north-west").id,
        holder_name=fixed.holder_name,
        course_title=fixed.course_title,
        level=fixed.level,
        credit_hours=fixed.credit_hours,
        academy_name=fixed.academy_name,
        issuer_name=fixed.issuer_name,
        issued_at=fixed.issued_at,
        expires_on=fixed.expires_on,
        status=CertificateStatus.VALID,
    )
    db.session.add(certificate)
    db.session.commit()

    def revoked() -> bool:
        status = badge["credentialStatus"]
        response = client.get(status["statusListCredential"].removeprefix(BASE))
        assert response.status_code == 200
        _, published = check_signature(response.get_data(as_text=True), jwk)
        assert published["id"] == status["statusListCredential"]
        bits = _bits(published["credentialSubject"]["encodedList"])
        return _is_set(bits, int(status["statusListIndex"]))

    assert not revoked()
    service.revoke(certificate, actor=staff, reason="Issued in error")
    db.session.commit()
    assert revoked()
