"""Encrypting backups with age (https://age-encryption.org, Debian package `age`).

A backup holds special category data: who is a party member, their equality
answers. It is encrypted to public keys ("recipients", `age1…`) named in
`ACADEMY_BACKUP_RECIPIENTS`, so the machine that takes backups cannot read
them; only the holder of a matching identity (private key), kept off the
servers, can restore one. age is a small, audited, well-kept tool: we run it,
we do not write our own format.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUFFIX = ".age"


class EncryptionError(RuntimeError):
    """age could not encrypt or decrypt; the message says why."""


def _age() -> str:
    path = shutil.which("age")
    if path is None:
        raise EncryptionError("age is not installed (Debian: apt-get install age)")
    return path


def recipients_from(setting: str | list[str] | None) -> list[str]:
    """The age recipients of ACADEMY_BACKUP_RECIPIENTS (spaces or commas between them)."""
    if not setting:
        return []
    words = setting if isinstance(setting, list) else setting.replace(",", " ").split()
    bad = [word for word in words if not word.startswith("age1")]
    if bad:
        raise EncryptionError(
            f"ACADEMY_BACKUP_RECIPIENTS: {bad[0]!r} is not an age public key (age1…; "
            "make a pair with age-keygen)"
        )
    return list(words)


def encrypt(plain: Path, target: Path, recipients: list[str]) -> None:
    """Write `plain` encrypted to every recipient into `target`."""
    command = [_age()]
    for recipient in recipients:
        command += ["--recipient", recipient]
    _run([*command, "--output", str(target), str(plain)])


@contextmanager
def decrypted(source: Path, identity: Path) -> Iterator[Path]:
    """The plaintext of an encrypted backup, in a private folder removed afterwards."""
    with private_folder(source.parent) as folder:
        plain = folder / source.name.removesuffix(SUFFIX)
        command = [_age(), "--decrypt", "--identity", str(identity), "--output", str(plain)]
        _run([*command, str(source)])
        yield plain


@contextmanager
def private_folder(near: Path) -> Iterator[Path]:
    """A folder only this user can read, beside `near` (same disk: no copy to /tmp)."""
    near.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".academy-backup-", dir=near))
    os.chmod(folder, 0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str]) -> None:
    # A list of arguments we built (no shell).
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise EncryptionError(f"age failed: {result.stderr.strip()}")
