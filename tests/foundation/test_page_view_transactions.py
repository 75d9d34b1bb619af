"""What a page view runs in (academy.database), on the database the suite runs on.

On PostgreSQL a page view reads in autocommit (no BEGIN, no ROLLBACK: two round trips
fewer) until its first write or lock, from which on it is one transaction again. On
SQLite a page view reads in a deferred transaction. On both, what a request writes
commits or rolls back as a whole. These tests use a table and an app of their own,
with the app's real engine (the rest of the suite binds every session to one
connection in a rolled-back transaction, which would hide all of this).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import jsonify

from academy import create_app
from academy.access import public
from academy.database import writes
from academy.extensions import db
from tests.conftest import SECRET, make_database


def _in_transaction() -> bool:
    """Whether the request's database connection is inside a transaction now."""
    dbapi = db.session.connection().connection.dbapi_connection
    if db.engine.dialect.name == "sqlite":
        return dbapi.in_transaction
    from psycopg.pq import TransactionStatus

    return dbapi.info.transaction_status != TransactionStatus.IDLE


def _count() -> int:
    return db.session.execute(sa.text("SELECT count(*) FROM page_view_notes")).scalar_one()


def _add(text: str) -> None:
    db.session.execute(sa.text("INSERT INTO page_view_notes (text) VALUES (:t)"), {"t": text})


@public
def read():
    return jsonify(count=_count(), in_transaction=_in_transaction())


@public
def write_and_commit():
    before = _in_transaction()
    _count()
    _add("kept")
    after = _in_transaction()
    db.session.commit()
    return jsonify(before=before, after=after)


@public
def write_then_fail():
    _count()
    _add("first")
    _add("second")
    raise RuntimeError("the page fails after writing")


@public
def lock():
    # FOR UPDATE on PostgreSQL (SQLite, which has none, serialises writers instead).
    notes = sa.table("page_view_notes", sa.column("id"))
    db.session.execute(sa.select(notes.c.id).with_for_update())
    return jsonify(in_transaction=_in_transaction())


@public
@writes
def marked_writer():
    _count()
    return jsonify(in_transaction=_in_transaction())


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    database = make_database(tmp_path_factory)
    app = create_app(
        {
            **database.config,
            "SECRET_KEY": SECRET,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "ACADEMY_CHECK_CURRICULUM": False,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    for rule, view, methods in (
        ("/t/read", read, ["GET", "POST"]),
        ("/t/write-and-commit", write_and_commit, ["GET"]),
        ("/t/write-then-fail", write_then_fail, ["GET"]),
        ("/t/lock", lock, ["GET"]),
        ("/t/marked-writer", marked_writer, ["GET"]),
    ):
        app.add_url_rule(rule, view.__name__, view, methods=methods)
    serial = "INTEGER PRIMARY KEY" if database.url.startswith("sqlite") else "SERIAL PRIMARY KEY"
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"CREATE TABLE page_view_notes (id {serial}, text TEXT)"))
    yield app
    with app.app_context():
        db.engine.dispose()
    database.drop()


@pytest.fixture
def own_client(own_app):
    with own_app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM page_view_notes"))
    return own_app.test_client()


def _postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def _notes(app) -> list[str]:
    with app.app_context():
        with db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT text FROM page_view_notes ORDER BY id"))
            return list(rows.scalars())


def test_a_page_view_that_reads(own_app, own_client):
    page = own_client.get("/t/read").get_json()
    assert page["count"] == 0
    # PostgreSQL: no transaction around the reads; SQLite: a deferred one.
    assert page["in_transaction"] is not _postgres(own_app)


def test_a_form_that_is_posted_runs_in_one_transaction(own_client):
    assert own_client.post("/t/read").get_json()["in_transaction"] is True


def test_a_page_view_that_writes_commits_what_it_wrote(own_app, own_client):
    page = own_client.get("/t/write-and-commit").get_json()
    assert page["after"] is True  # the write began a transaction
    assert page["before"] is not _postgres(own_app)
    assert _notes(own_app) == ["kept"]
    # And the connection goes back to the pool as it came: the next page view reads
    # without a transaction again (PostgreSQL), a form in one.
    assert own_client.get("/t/read").get_json()["in_transaction"] is not _postgres(own_app)
    assert own_client.post("/t/read").get_json()["in_transaction"] is True


def test_a_page_view_that_fails_after_writing_leaves_nothing(own_app, own_client):
    own_app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert own_client.get("/t/write-then-fail").status_code == 500
    finally:
        own_app.config["PROPAGATE_EXCEPTIONS"] = None
    assert _notes(own_app) == []
    assert own_client.get("/t/read").get_json()["count"] == 0


def test_locking_rows_happens_inside_a_transaction(own_client):
    assert own_client.get("/t/lock").get_json()["in_transaction"] is True


def test_a_page_marked_as_writing_runs_in_a_transaction_from_the_start(own_client):
    assert own_client.get("/t/marked-writer").get_json()["in_transaction"] is True
