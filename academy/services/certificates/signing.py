"""The issuer of Open Badges and their status lists: its id, its Ed25519 key, and
the VC-JWT signature both carry.

The signing key comes from `ACADEMY_BADGE_SIGNING_KEY` (a PEM Ed25519 private
key) or, in development only, is generated once into the instance folder. Every
web process and machine must share it: production refuses to start without it.

Keys rotate without breaking a badge already issued: each key has an id
(`ACADEMY_BADGE_SIGNING_KEY_ID`, "key-1" unless set), every credential names the
key that signed it (the JWT's `kid`), and the issuer profile publishes the
current key and every retired one listed in `ACADEMY_BADGE_RETIRED_KEYS` (as
"id:x" pairs, x being the key's public "x" as the profile published it). A
verifier finds the signing key by its id, so a badge signed before a rotation
still verifies after it.

A credential is signed as a VC-JWT (Open Badges 3.0 §8.2): the JWT payload is
the credential itself, with `iss` and `jti`; the JOSE header names the EdDSA
key and carries its public JWK, which the public issuer profile
(/verify/issuer.json) publishes too.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from academy.links import absolute_url

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
KEY_FILE = "badge_signing_key.pem"
ISSUER_NAME = "Labour Organising Academy"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


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
            if app.config["ACADEMY_ENV"] == "production":  # config.finalise refuses it too
                raise RuntimeError("ACADEMY_BADGE_SIGNING_KEY must be set in production")
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
    """The public half of the signing key, as a JWK."""
    raw = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return _jwk(_b64url(raw))


def _jwk(x: str) -> dict:
    return {"kty": "OKP", "crv": "Ed25519", "x": x}


def key_id() -> str:
    """The id of the current signing key within the issuer profile ("key-1" unless set)."""
    return current_app.config.get("ACADEMY_BADGE_SIGNING_KEY_ID") or "key-1"


def verification_methods() -> list[dict]:
    """Every key a badge of this issuer may have been signed with: the current one first."""
    keys = [(key_id(), public_jwk())]
    keys += [
        (key, _jwk(x))
        # (id, x) pairs, read and checked by academy.config
        for key, x in current_app.config.get("ACADEMY_BADGE_RETIRED_KEYS") or ()
        if key != key_id()
    ]
    return [
        {
            "id": f"{issuer_id()}#{key}",
            "type": "JsonWebKey",
            "controller": issuer_id(),
            "publicKeyJwk": jwk,
        }
        for key, jwk in keys
    ]


def issuer_id() -> str:
    """The issuer's id: the URL of its public profile."""
    return absolute_url("verify.issuer")


def sign(claims: dict) -> str:
    """A credential of this issuer as a compact VC-JWT signed with EdDSA by its key (named,
    with its public JWK, in the header); `iss` and `jti` are the issuer and the id."""
    payload = {**claims, "iss": issuer_id(), "jti": claims["id"]}
    header = {
        "alg": "EdDSA",
        "typ": "JWT",
        "kid": f"{issuer_id()}#{key_id()}",
        "jwk": public_jwk(),
    }
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    )
    signature = signing_key().sign(signing_input.encode("ascii"))
    return signing_input + "." + _b64url(signature)
