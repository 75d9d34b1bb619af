"""Engine settings per database: SQLite pragmas and locking for the embedded default."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from sqlalchemy import event

from academy.extensions import db

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_connect(dbapi_connection, connection_record):  # noqa: ARG001
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin
    # (the module's own handling breaks SAVEPOINT and locking upgrades).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers carry on while one writer writes; the busy timeout makes
    # a writer wait for the lock instead of failing; foreign keys are off by
    # default in SQLite and we rely on them.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_begin(connection):
    """Writers take the write lock when they begin, so they queue instead of failing.

    A deferred transaction that reads and then writes cannot wait for the lock
    if another writer committed in between: SQLite answers "database is
    locked" at once. Requests that may write (POST…), CLI commands and jobs
    therefore begin IMMEDIATE; page views begin deferred and read in parallel.
    """
    if has_request_context() and request.method in READ_ONLY_METHODS:
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def configure_engines(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
