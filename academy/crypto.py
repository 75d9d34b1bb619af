"""Encryption at rest with keys derived from SECRET_KEY.

`box(purpose)` is a Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`)
whose key is derived from the app's SECRET_KEY with HKDF-SHA256, a different key
for each purpose. What it encrypts (two-factor secrets in the database, the
half-finished sign-in in the session cookie) is therefore useless to someone
who has a copy of the database or a cookie but not the key, and a key leaked
for one purpose opens nothing else.

To rotate SECRET_KEY, put the old key in SECRET_KEY_FALLBACKS: what was
encrypted under it still opens, while everything written from then on is
encrypted under the new key.
Dropping a key from SECRET_KEY_FALLBACKS makes what only it encrypted
unreadable: an authenticator app set up under it stops working here (its owner
signs in with a recovery code, which is hashed, not encrypted, and sets the app
up again).
"""

from __future__ import annotations

from base64 import urlsafe_b64encode
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

__all__ = ["InvalidToken", "box"]


@lru_cache(maxsize=32)
def _box(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"organising-academy",
        info=f"academy:{purpose}".encode(),
    ).derive(secret_key.encode())
    return Fernet(urlsafe_b64encode(key))


def box(purpose: str) -> MultiFernet:
    """The Fernet for `purpose`: encrypts under SECRET_KEY, decrypts under it or any
    key in SECRET_KEY_FALLBACKS."""
    config = current_app.config
    keys = [config["SECRET_KEY"], *config.get("SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_box(key, purpose) for key in keys])
