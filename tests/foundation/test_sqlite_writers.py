"""Writers on SQLite queue for the write lock instead of failing (academy.database).

These use a SQLite file of their own, whatever database the rest of the suite
runs on: the embedded default must hold under concurrent writers everywhere.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from academy import create_app, database
from academy.extensions import db


@pytest.fixture
def sqlite_app(tmp_path):
    path = tmp_path / "writers.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE writes (id INTEGER PRIMARY KEY, who TEXT NOT NULL)")
    raw.commit()
    raw.close()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": "x" * 32,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "ACADEMY_CHECK_CURRICULUM": False,
        }
    )
    with app.app_context():
        yield app, path
        db.engine.dispose()


def hold_write_lock(path, holding: threading.Event, release: threading.Event) -> None:
    """Another process's writer: takes the lock, writes, waits to be told, commits."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO writes (who) VALUES ('first')")
    holding.set()
    release.wait(10)
    other.execute("COMMIT")
    other.close()


def test_a_writer_waits_for_the_lock_and_then_writes(sqlite_app):
    _app, path = sqlite_app
    holding, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(path, holding, release))
    holder.start()
    assert holding.wait(5)
    threading.Timer(0.2, release.set).start()
    with db.engine.begin() as connection:  # outside a request: BEGIN IMMEDIATE
        connection.execute(text("INSERT INTO writes (who) VALUES ('second')"))
        assert release.is_set()  # it could only begin once the first writer let go
    holder.join(5)
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT who FROM writes ORDER BY id")).scalars().all()
        # The busy handler is back for the statements inside transactions.
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == database.BUSY_TIMEOUT_MS
    assert rows == ["first", "second"]


def test_a_writer_gives_up_with_database_is_locked_after_the_wait(sqlite_app, monkeypatch):
    _app, path = sqlite_app
    monkeypatch.setattr(database, "WRITE_LOCK_WAIT_SECONDS", 0.05)
    holding, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(path, holding, release))
    holder.start()
    try:
        assert holding.wait(5)
        with pytest.raises(OperationalError, match="database is locked"):
            with db.engine.begin() as connection:
                connection.execute(text("INSERT INTO writes (who) VALUES ('never')"))
    finally:
        release.set()
        holder.join(5)
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT who FROM writes")).scalars().all()
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == database.BUSY_TIMEOUT_MS
    assert rows == ["first"]  # nothing of the writer that gave up


def test_pages_that_write_when_viewed_begin_as_writers(app, monkeypatch):
    """Pages that log who looked at a member's data write on GET: they take the lock first."""
    began = []

    class Connection:
        def exec_driver_sql(self, sql):
            began.append(sql)

    monkeypatch.setattr(database, "_begin_immediate", lambda _connection: began.append("IMMEDIATE"))
    for path, method in [
        ("/admin/people/1", "GET"),  # logs the member page in the access log
        ("/staff/certificates/1", "GET"),  # logs the certificate's holder
        ("/cohorts/1/export.csv", "GET"),  # logs every member exported
        ("/courses", "GET"),
        ("/courses/organising-basics/enrol", "POST"),
    ]:
        with app.test_request_context(path, method=method):
            database._sqlite_begin(Connection())
    assert began == ["IMMEDIATE", "IMMEDIATE", "IMMEDIATE", "BEGIN", "IMMEDIATE"]
