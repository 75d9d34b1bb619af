"""Encryption at rest with keys derived from SECRET_KEY.

`box(purpose)` is a Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`)
whose key is derived from the app's SECRET_KEY with HKDF-SHA256, a different key
for each purpose. What it encrypts (two-factor secrets in the database, the
half-finished sign-in in the session cookie) is therefore useless to someone
who has a copy of the database or a cookie but not the key, and a key leaked
for one purpose opens nothing else.

Changing SECRET_KEY makes everything encrypted with the old one unreadable:
each person's authenticator app stops working here (they sign in with a
recovery code, which is hashed, not encrypted, and set the app up again), and
half-finished sign-ins start again. Rotate it only with that in mind.
"""

from __future__ import annotations

from base64 import urlsafe_b64encode
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
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


def box(purpose: str) -> Fernet:
    """The Fernet for `purpose` under this app's SECRET_KEY."""
    return _box(current_app.config["SECRET_KEY"], purpose)
