"""A shared Open Badge names a bit in a signed revocation list (W3C Bitstring Status
List), which a relying party fetches and checks as it checks the badge: 0 while the
certificate stands, 1 from the moment it is revoked or superseded."""

from __future__ import annotations

import gzip

import pytest

from academy.extensions import db
from academy.services import certificates as service
from academy.services.academies import academy_by_slug
from academy.services.certificates import badge_status

from .conftest import complete, course
from .test_badges import b64decode, check_signature


@pytest.fixture
def two_certificates(app, staff, member, make_user):
    other = make_user(name="Other Holder")
    issued = []
    for holder in (member, other):
        complete(holder)
        complete(holder, "leading-campaigns")
        issued.append(
            service.issue(
                holder,
                course("leading-campaigns"),
                actor=staff,
                academy=academy_by_slug("north-west"),
            )
        )
    db.session.commit()
    return issued


def _bits(encoded: str) -> bytes:
    assert encoded.startswith("u")  # multibase: base64url, no padding
    return gzip.decompress(b64decode(encoded[1:]))


def _is_set(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _relying_party_check(client, login, holder, certificate) -> bool:
    """What a relying party given this holder's badge learns: is it revoked?

    The badge and the list are both checked against the issuer's published key."""
    login(client, holder)
    token = client.get(f"/certificates/{certificate.id}/badge.jwt").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    jwk = _issuer_key(client)
    _, badge = check_signature(token, jwk)
    status = badge["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    response = client.get(status["statusListCredential"].removeprefix("http://localhost"))
    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    header, status_list = check_signature(response.get_data(as_text=True), jwk)
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["id"] == status_list["jti"] == status["statusListCredential"]
    assert status_list["issuer"] == badge["issuer"]["id"]
    subject = status_list["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    bits = _bits(subject["encodedList"])
    assert len(bits) * 8 == badge_status.LIST_SIZE
    return _is_set(bits, int(status["statusListIndex"]))


def _revoked_in_list(client, certificate) -> bool:
    """The certificate's bit in its list as fetched now, signature checked."""
    number, bit = badge_status.position(certificate.id)
    token = client.get(f"/verify/status/{number}").get_data(as_text=True)
    _, status_list = check_signature(token, _issuer_key(client))
    return _is_set(_bits(status_list["credentialSubject"]["encodedList"]), bit)


def _issuer_key(client) -> dict:
    return client.get("/verify/issuer.json").get_json()["verificationMethod"][0]["publicKeyJwk"]


def test_a_badge_stands_until_its_certificate_is_revoked(
    app, client, login, staff, member, two_certificates
):
    app.config["ACADEMY_BASE_URL"] = "http://localhost"
    mine, theirs = two_certificates
    assert _relying_party_check(client, login, member, mine) is False

    service.revoke(mine, actor=staff, reason="Issued in error")
    db.session.commit()

    # The badge shared before points at the same bit, now set: the list kept was
    # forgotten when the revocation committed. The other holder's still stands.
    assert _revoked_in_list(client, mine)
    assert not _revoked_in_list(client, theirs)


def test_a_superseded_certificate_s_badge_no_longer_stands(
    app, client, login, staff, member, two_certificates
):
    app.config["ACADEMY_BASE_URL"] = "http://localhost"
    mine, _ = two_certificates
    assert _relying_party_check(client, login, member, mine) is False
    replacement = service.reissue(mine, actor=staff)
    db.session.commit()
    assert _revoked_in_list(client, mine)
    assert _relying_party_check(client, login, member, replacement) is False


def test_the_list_is_kept_until_a_status_changes_and_a_rollback_keeps_it(
    client, staff, two_certificates, count_queries
):
    mine, _ = two_certificates
    number = badge_status.position(mine.id)[0]
    first = client.get(f"/verify/status/{number}").get_data(as_text=True)
    with count_queries() as queries:
        again = client.get(f"/verify/status/{number}").get_data(as_text=True)
    assert again == first
    assert not [q for q in queries if "certificates" in q]

    service.revoke(mine, actor=staff, reason="Changed mind")
    db.session.rollback()
    assert client.get(f"/verify/status/{number}").get_data(as_text=True) == first

    service.revoke(mine, actor=staff, reason="Issued in error")
    db.session.commit()
    assert client.get(f"/verify/status/{number}").get_data(as_text=True) != first


def test_lists_that_hold_no_certificate_are_not_found(client, two_certificates):
    in_use = badge_status.lists_in_use()
    assert in_use == 1
    for number in (0, in_use + 1, 10**9):
        assert client.get(f"/verify/status/{number}").status_code == 404
    assert client.get("/verify/status/x").status_code == 404


def test_the_bitstring_puts_the_first_position_in_the_leftmost_bit():
    bits = _bits(badge_status.encode([0, 9, badge_status.LIST_SIZE - 1]))
    assert bits[0] == 0b1000_0000
    assert bits[1] == 0b0100_0000
    assert bits[-1] == 0b0000_0001
    assert sum(bin(byte).count("1") for byte in bits) == 3
    assert badge_status.position(badge_status.LIST_SIZE) == (2, 0)
