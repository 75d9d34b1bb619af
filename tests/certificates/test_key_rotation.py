"""Rotating the keys: badges signed before a badge-key rotation still verify against the
issuer profile, and what SECRET_KEY signed or sealed still opens while the old key is
listed in SECRET_KEY_FALLBACKS (and not once it is dropped)."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidSignature

from academy import create_app
from academy.config import ConfigError
from academy.services import ServiceError, accounts, two_factor
from tests.conftest import base_config, new_badge_key

from .test_badges import b64decode, check_signature


def use_badge_key(app, pem: str, key_id: str, retired: list[tuple[str, str]]) -> None:
    """What a restart with new settings does: the key is read afresh."""
    app.config.update(
        ACADEMY_BADGE_SIGNING_KEY=pem,
        ACADEMY_BADGE_SIGNING_KEY_ID=key_id,
        ACADEMY_BADGE_RETIRED_KEYS=retired,
    )
    app.extensions.pop("academy_badge_key", None)


def key_for(token: str, issuer: dict) -> dict:
    """The published key a relying party picks for a credential: by the kid it names."""
    header = json_header(token)
    methods = {method["id"]: method["publicKeyJwk"] for method in issuer["verificationMethod"]}
    return methods[header["kid"]]


def json_header(token: str) -> dict:
    import json

    return json.loads(b64decode(token.split(".")[0]))


def test_a_badge_signed_with_a_retired_key_still_verifies(
    app, client, login, member, issued_certificate
):
    certificate = issued_certificate
    old_pem, new_pem = new_badge_key(), new_badge_key()
    use_badge_key(app, old_pem, "key-1", [])
    login(client, member)
    old_badge = client.get(f"/certificates/{certificate.id}/badge.jwt").get_data(as_text=True)
    old_x = client.get("/verify/issuer.json").get_json()["verificationMethod"][0]["publicKeyJwk"][
        "x"
    ]

    use_badge_key(app, new_pem, "key-2", [("key-1", old_x)])
    new_badge = client.get(f"/certificates/{certificate.id}/badge.jwt").get_data(as_text=True)
    issuer = client.get("/verify/issuer.json").get_json()

    # The current key first, then the retired one.
    assert [m["id"].rsplit("#", 1)[1] for m in issuer["verificationMethod"]] == ["key-2", "key-1"]
    assert json_header(old_badge)["kid"].endswith("#key-1")
    assert json_header(new_badge)["kid"].endswith("#key-2")
    # Each verifies with the key its kid names, and not with the other.
    check_signature(old_badge, key_for(old_badge, issuer))
    check_signature(new_badge, key_for(new_badge, issuer))
    with pytest.raises(InvalidSignature):
        check_signature(old_badge, key_for(new_badge, issuer))

    # Once the old key is no longer published, its badges no longer verify.
    use_badge_key(app, new_pem, "key-2", [])
    issuer = client.get("/verify/issuer.json").get_json()
    with pytest.raises(KeyError):
        key_for(old_badge, issuer)


def test_a_malformed_retired_key_setting_stops_the_start(tmp_path, database):
    with pytest.raises(ConfigError, match="ACADEMY_BADGE_RETIRED_KEYS: 'key-1:short'"):
        create_app(base_config(tmp_path, database, ACADEMY_BADGE_RETIRED_KEYS="key-1:short"))
    good = base64.urlsafe_b64encode(bytes(32)).rstrip(b"=").decode()
    app = create_app(base_config(tmp_path, database, ACADEMY_BADGE_RETIRED_KEYS=f"key-0:{good}"))
    assert app.config["ACADEMY_BADGE_RETIRED_KEYS"] == [("key-0", good)]


def test_secret_key_rotation_keeps_sessions_links_and_sealed_secrets(app, client, login, member):
    login(client, member)
    assert client.get("/account/").status_code == 200
    with app.test_request_context():
        # The token of a reset link, as request_password_reset e-mails it.
        reset_link_token = accounts._serializer("reset").dumps(
            {"u": member.id, "h": accounts._hash_fingerprint(member)}
        )
        sealed = two_factor.seal("JBSWY3DPEHPK3PXP")
    old_key = app.config["SECRET_KEY"]

    app.config.update(SECRET_KEY="a-new-key-" + "0" * 54, SECRET_KEY_FALLBACKS=[old_key])
    assert client.get("/account/").status_code == 200  # still signed in
    with app.test_request_context():
        assert accounts.user_for_reset_token(reset_link_token) == member
        assert two_factor.unseal(sealed) == "JBSWY3DPEHPK3PXP"
        # What is written now is sealed under the new key alone.
        resealed = two_factor.seal("JBSWY3DPEHPK3PXP")

    app.config.update(SECRET_KEY_FALLBACKS=[])
    response = client.get("/account/")
    assert response.status_code == 302  # the old session cookie is no longer accepted
    with app.test_request_context():
        with pytest.raises(ServiceError, match="not valid"):
            accounts.user_for_reset_token(reset_link_token)
        assert two_factor.unseal(sealed) is None
        assert two_factor.unseal(resealed) == "JBSWY3DPEHPK3PXP"


def test_fallbacks_are_read_from_the_environment(tmp_path, database, monkeypatch):
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "old-one, older-one")
    config = base_config(tmp_path, database)
    app = create_app(config)
    assert app.config["SECRET_KEY_FALLBACKS"] == ["old-one", "older-one"]
