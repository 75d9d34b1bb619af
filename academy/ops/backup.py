"""Backups: SQLite's online backup API, or pg_dump/pg_restore for PostgreSQL.

Both work while the app is serving. A SQLite backup is itself a SQLite file,
checked with `PRAGMA integrity_check` before it is kept; a PostgreSQL backup is
pg_dump's custom format (compressed, restorable with pg_restore). Backups are
written to a temporary name and renamed into place, so a half-written file
never looks like a backup.

Where `ACADEMY_BACKUP_RECIPIENTS` names age public keys the backup is encrypted
to them (academy/ops/backup_encryption.py; production takes no other kind): the
plain copy exists only while it is encrypted, in a folder only this user can
read, beside the target.

A restore brings back the members erased since the backup was taken. So before
it replaces anything it reads the erasure ledger (the `erasures` table) of the
database it is about to overwrite, and of any ledger file exported since
(`flask academy erasure-ledger`), and afterwards erases again every account the
backup still holds (services/privacy/erasure.py, reapply_erasures).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import URL

from academy.database import unit_of_work
from academy.extensions import db
from academy.ops import backup_encryption as encryption


class BackupError(RuntimeError):
    """The backup or restore could not be done; the message says why."""


def recipients(app: Flask) -> list[str]:
    """The age public keys backups are encrypted to; BackupError if production has none."""
    try:
        keys = encryption.recipients_from(app.config.get("ACADEMY_BACKUP_RECIPIENTS"))
    except encryption.EncryptionError as error:
        raise BackupError(str(error)) from error
    if not keys and app.config["ACADEMY_ENV"] == "production":
        raise BackupError(
            "ACADEMY_BACKUP_RECIPIENTS must be set in production: a backup holds members' "
            "special category data and is only written encrypted (make a key pair with "
            "age-keygen; keep the private key off the servers)"
        )
    return keys


def _url(app: Flask) -> URL:
    with app.app_context():
        return db.engine.url


def _pg_schema(app: Flask) -> str | None:
    """The schema the app works in, when it is not PostgreSQL's default.

    Asked of the database itself, however search_path was set (URL options,
    connect_args, the role's default); None means the whole database.
    """
    with app.app_context():
        schema = db.session.scalar(text("SELECT current_schema()"))
        db.session.remove()
    return None if schema in (None, "public") else schema


def default_name(app: Flask, *, encrypted: bool = False) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "sqlite3" if _url(app).get_backend_name() == "sqlite" else "pgdump"
    return f"academy-{stamp}.{suffix}" + (encryption.SUFFIX if encrypted else "")


def backup(app: Flask, target: Path) -> Path:
    """Write a consistent copy of the database to `target` (a file, or a folder for it),
    encrypted where ACADEMY_BACKUP_RECIPIENTS is set (always, in production)."""
    keys = recipients(app)
    target = Path(target)
    if target.is_dir():
        target = target / default_name(app, encrypted=bool(keys))
    elif keys and not target.name.endswith(encryption.SUFFIX):
        target = target.with_name(target.name + encryption.SUFFIX)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        if keys:
            with encryption.private_folder(target.parent) as folder:
                plain = folder / target.name.removesuffix(encryption.SUFFIX)
                _dump(app, plain)
                try:
                    encryption.encrypt(plain, partial, keys)
                except encryption.EncryptionError as error:
                    raise BackupError(str(error)) from error
        else:
            _dump(app, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _dump(app: Flask, target: Path) -> None:
    url = _url(app)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(url, target)
    elif url.get_backend_name() == "postgresql":
        _pg_dump(url, target, _pg_schema(app))
    else:
        raise BackupError(f"backups of {url.get_backend_name()} are not supported")


def restore(
    app: Flask,
    source: Path,
    *,
    identity: Path | None = None,
    ledger_files: tuple[Path, ...] = (),
) -> int:
    """Replace the database's contents with the backup in `source` (decrypted with the age
    `identity` if it is encrypted), then erase again every member erased since; return
    how many that was."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    encrypted = source.name.endswith(encryption.SUFFIX)
    if encrypted and identity is None:
        raise BackupError(
            f"{source.name} is encrypted: give the age identity (private key) file that "
            "matches ACADEMY_BACKUP_RECIPIENTS with --identity"
        )
    from academy.services.privacy import erasure

    ledger = _live_ledger(app)
    for path in ledger_files:
        try:
            ledger += erasure.read_ledger(Path(path).read_text())
        except ValueError as error:
            raise BackupError(f"{path}: {error}") from error
    if encrypted:
        try:
            with encryption.decrypted(source, identity) as plain:
                _replace_contents(app, plain)
        except encryption.EncryptionError as error:
            raise BackupError(str(error)) from error
    else:
        _replace_contents(app, source)
    with app.app_context():
        with unit_of_work():
            reapplied = erasure.reapply_erasures(ledger)
        db.session.remove()
    return reapplied


def _live_ledger(app: Flask) -> list:
    """The erasures the database about to be replaced knows of (none if it is unreadable:
    lost, or never migrated)."""
    from academy.services.privacy import erasure

    with app.app_context():
        try:
            return erasure.erasure_ledger()
        except sa_exc.DBAPIError:
            return []
        finally:
            db.session.remove()


def _replace_contents(app: Flask, source: Path) -> None:
    url = _url(app)
    schema = _pg_schema(app) if url.get_backend_name() == "postgresql" else None
    # Our own pooled connections would keep reading the old contents' cache.
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        _sqlite_restore(url, source)
    elif url.get_backend_name() == "postgresql":
        _pg_restore(url, source, schema)
    else:
        raise BackupError(f"restoring {url.get_backend_name()} is not supported")


# SQLite ---------------------------------------------------------------------------


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return url.database


def _sqlite_backup(url: URL, target: Path) -> None:
    # The backup API copies a consistent snapshot page by page while other
    # connections go on reading and writing (it restarts if they write).
    source = sqlite3.connect(_sqlite_path(url), timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"the backup failed its integrity check: {result}")
    finally:
        copy.close()
        source.close()


def _sqlite_restore(url: URL, source: Path) -> None:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            result = backup_db.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not a SQLite backup: {error}") from error
        if result != "ok":
            raise BackupError(f"{source} is not a sound SQLite backup: {result}")
        live = sqlite3.connect(_sqlite_path(url), timeout=30)
        try:
            # Copying into the live file under SQLite's own locks: other
            # processes see either the old contents or the restored ones.
            backup_db.backup(live)
        finally:
            live.close()
    finally:
        backup_db.close()


# PostgreSQL -------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _pg_connection(url: URL) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for the pg tools."""
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # never on the command line
    sslmode = url.query.get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    # A list of arguments we built (no shell); the URL parts are passed as options.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def _pg_dump(url: URL, target: Path, schema: str | None) -> None:
    args, env = _pg_connection(url)
    command = [_pg_tool("pg_dump"), *args, "--format=custom", "--no-owner", f"--file={target}"]
    if schema:
        command.append(f"--schema={schema}")
    _run([*command, url.database or "postgres"], env)


def _pg_restore(url: URL, source: Path, schema: str | None) -> None:
    args, env = _pg_connection(url)
    command = [
        _pg_tool("pg_restore"),
        *args,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={url.database or 'postgres'}",
    ]
    if schema:
        command.append(f"--schema={schema}")
    _run([*command, str(source)], env)
