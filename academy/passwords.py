"""Password hashing (Argon2id) and the password policy.

Hashing parameters
------------------
OWASP's Password Storage Cheat Sheet asks for Argon2id with at least 19 MiB of
memory, 2 iterations and 1 degree of parallelism (or 12 MiB with 3, 9 MiB with
4 …); they are equivalent in cost to an attacker. We use exactly the first
line. argon2-cffi's own default (RFC 9106's "low memory" profile: 64 MiB, 3
iterations, 4 lanes) costs about eight times the CPU per sign-in; on the
2-core machines the Academy runs on, 64 members signing in at the same moment
after a training session waited up to ~6 s for it (issue 23). With these
parameters `bench/signin_burst.py` measures the same burst well under 2 s at
the 99th percentile (numbers in bench/findings.md).

A stored hash made with other parameters is replaced at the person's next
successful sign-in (`needs_rehash`, used by `accounts.authenticate`), so a
change here reaches every active account without anyone noticing.

The common-password list
------------------------
`academy/data/common-passwords-100k.txt.gz` is the 100,000 most common
passwords of the "10 million passwords" list (Mark Burnett, released into the
public domain), as published in the SecLists project
(Passwords/Common-Credentials/10-million-password-list-top-100000.txt, MIT
licence: see common-passwords-100k.LICENSE beside it), gzip-compressed (370 KB).
`common-passwords-local.txt` adds words people here are likely to choose (the
party, the Academy). Both are read once per process.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # long passphrases are welcome; this only stops abuse of the hasher

# OWASP's minimum for Argon2id (see the module docstring for why not more).
TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)
# Verified against when no account matches, so that a log-in for an unknown
# e-mail costs the same time as one for a registered e-mail.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time and say no."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return False


@cache
def common_passwords() -> frozenset[str]:
    """The blocked passwords, case-folded. Read once per process (about 40,000 strings).

    Entries shorter than MIN_LENGTH are left out of the set: the length rule
    refuses them before the list is asked.
    """
    data = resources.files("academy.data")
    text = gzip.decompress(data.joinpath("common-passwords-100k.txt.gz").read_bytes())
    lines = text.decode("utf-8", "replace").splitlines()
    lines += data.joinpath("common-passwords-local.txt").read_text().splitlines()
    return frozenset(
        folded for line in lines if len(folded := line.strip().casefold()) >= MIN_LENGTH
    )


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is not acceptable, in plain words, or None if it is."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. A few ordinary words together work well."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    folded = password.casefold()
    if folded in common_passwords() or len(set(folded)) < 3:
        return "That password is too common and easy to guess. Try a few unrelated words."
    if email and folded == email.casefold():
        return "Your password must not be your e-mail address."
    local = email.split("@")[0].casefold() if email else ""
    if local and len(local) >= 4 and folded == local:
        return "Your password must not be your e-mail address."
    if name and folded == name.casefold():
        return "Your password must not be your name."
    return None
