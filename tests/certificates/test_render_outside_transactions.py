"""No certificate is rendered while a database transaction of ours is open.

On a committed database (not the rolled-back one of the other tests, whose outer
transaction never ends): while the child renders, another connection writes
without waiting (SQLite: BEGIN IMMEDIATE with no busy timeout succeeds; PostgreSQL:
none of the app's connections is inside a transaction), for a single issue, a
re-issue and every member of a cohort's batch; and a member's write over HTTP
answers normally while a render runs past its limit.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from academy import create_app
from academy.extensions import db
from academy.models import User
from academy.models.certificates import BatchStatus, CertificateBatch
from academy.services import accounts
from academy.services import certificates as service
from academy.services.academies import academy_by_slug
from academy.services.certificates import issuing
from tests.conftest import (
    PASSWORD,
    BrowserLikeClient,
    base_config,
    give_second_factor,
    make_database,
    migrate_and_seed,
)

from .conftest import complete, course, hostile_template, make_cohort, pdf_text


@pytest.fixture
def committed(tmp_path_factory):
    """An app on its own database where commits are real, and the app's backend pids."""
    database = make_database(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("committed")
    app = create_app(base_config(tmp, database))
    app.test_client_class = BrowserLikeClient
    migrate_and_seed(app)
    pids: set[int] = set()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":

            @sa.event.listens_for(db.engine, "connect")
            def _remember(dbapi_connection, _record):
                pids.add(dbapi_connection.info.backend_pid)

    yield app, database, pids
    with app.app_context():
        db.engine.dispose()
    database.drop()


def _person(name: str, *roles: str) -> User:
    user = accounts.create_user(
        f"{name.lower().replace(' ', '.')}@example.org", name, PASSWORD, check_password=False
    )
    for role in roles:
        accounts.grant_role(user, role, academy=academy_by_slug("north-west"))
    if user.must_have_second_factor:
        give_second_factor(user)
    return user


def another_connection_writes(app, database, pids: set[int]) -> bool:
    """Whether a write from outside the app goes through at once, and (PostgreSQL) none
    of the app's own connections sits in a transaction."""
    if database.schema is None:
        path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # the write lock, or "database is locked"
            other.execute("UPDATE users SET show_name_on_verification = show_name_on_verification")
            other.execute("COMMIT")
            return True
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            return False
        finally:
            other.close()
    engine = sa.create_engine(database.url, **database.engine_options)
    try:
        with engine.begin() as other:
            other.execute(sa.text("SET LOCAL lock_timeout = '1s'"))
            other.execute(
                sa.text("UPDATE users SET show_name_on_verification = show_name_on_verification")
            )
            in_transaction = other.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE pid = ANY(:pids) AND xact_start IS NOT NULL"
                ),
                {"pids": list(pids)},
            )
        return in_transaction == 0
    finally:
        engine.dispose()


@pytest.fixture
def watched(committed, monkeypatch):
    """Every render first checks that the database is free; returns the checks made."""
    app, database, pids = committed
    checks: list[bool] = []
    real = issuing.render_pdf

    def render_when_free(content):
        checks.append(another_connection_writes(app, database, pids))
        return real(content)

    monkeypatch.setattr(issuing, "render_pdf", render_when_free)
    return checks


def test_issuing_and_reissuing_render_with_no_transaction_open(committed, watched):
    app, _, pids = committed
    with app.app_context():
        staff = _person("Staff Member", "staff")
        member = _person("Rita Render")
        complete(member)
        db.session.commit()
        certificate = service.issue(
            member, course("organising-basics"), actor=staff, academy=academy_by_slug("north-west")
        )
        db.session.commit()
        assert watched == [True]
        if db.engine.dialect.name == "postgresql":
            assert pids  # the check looked at the app's real connections
        assert "Rita Render" in pdf_text(service.pdf_bytes(certificate))

        member.display_name = "Rita Rendered"
        db.session.commit()
        new = service.reissue(certificate, actor=staff)
        db.session.commit()
        assert watched == [True, True]
        assert "Rita Rendered" in pdf_text(service.pdf_bytes(new))


def test_a_batch_renders_each_certificate_with_no_transaction_open(committed, watched):
    app, _, _ = committed
    with app.app_context():
        staff = _person("Staff Member", "staff")
        trainer = _person("Tom Trainer", "trainer")
        people = [_person(f"Batch Member {i}") for i in range(3)]
        for person in people:
            complete(person)
        cohort = make_cohort(trainers=[trainer], members=people)
        db.session.commit()
        batch = service.start_batch(cohort, actor=staff)
        db.session.commit()
        service.run_batch(batch.id)
        batch = db.session.get(CertificateBatch, batch.id)
        assert (batch.status, batch.issued) == (BatchStatus.DONE, 3)
        assert watched == [True, True, True]


def test_a_member_writes_while_a_render_runs_past_its_limit(committed, monkeypatch, tmp_path):
    """The render waits until the member's write has answered, then times out: were it
    inside a write transaction, the member's request would wait for the lock (and on
    SQLite fail with "database is locked") instead of answering."""
    app, _, _ = committed
    app.config.update(
        CERTIFICATE_TEMPLATE_DIR=str(hostile_template(tmp_path, "slow")),
        CERTIFICATE_RENDER_SECONDS=3,
    )
    with app.app_context():
        staff = _person("Staff Member", "staff")
        member = _person("Mo Member")
        holder = _person("Hope Holder")
        complete(holder)
        db.session.commit()
        staff_id, holder_id, member_id = staff.id, holder.id, member.id
        member_session = member.get_id()

    rendering, member_done = threading.Event(), threading.Event()
    real = issuing.render_pdf

    def render_after_the_member(content):
        rendering.set()
        assert member_done.wait(60)
        return real(content)

    monkeypatch.setattr(issuing, "render_pdf", render_after_the_member)
    outcome: list[object] = []

    def issue_in_background():
        with app.app_context():
            try:
                service.issue(
                    db.session.get(User, holder_id),
                    course("organising-basics"),
                    actor=db.session.get(User, staff_id),
                    academy=academy_by_slug("north-west"),
                )
                db.session.commit()
                outcome.append("issued")
            except service.CertificateRenderError as error:
                db.session.rollback()
                outcome.append(error.reason)

    worker = threading.Thread(target=issue_in_background)
    worker.start()
    try:
        assert rendering.wait(60)
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = member_session
            session["_fresh"] = True
        response = client.post("/certificates/privacy", data={"show_name": "y"})
        assert response.status_code == 302
    finally:
        member_done.set()
        worker.join(120)
    assert len(outcome) == 1
    assert "longer than 3 seconds" in str(outcome[0])
    with app.app_context():
        assert db.session.get(User, member_id).show_name_on_verification is True
        assert service.certificates_of(db.session.get(User, holder_id)) == []
