"""A dropped database connection never reaches anyone as a 500 (issues 18 and 23).

On PostgreSQL every server process serving the app is ended (pg_terminate_backend,
what a restart or failover does), right before a request and while requests are in
flight: each request answers as it would have, its work run again on a new
connection when nothing had been committed. The app runs with its shipped
settings (the idle ping after 5 s included), on its own committed database, so
its connections are real ones the server can drop. SQLite has no server to drop
a connection: the tests say so as a skip, and CI runs them on PostgreSQL.
"""

from __future__ import annotations

import http.client
import threading
import uuid
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from academy import create_app
from academy.extensions import db
from academy.services import accounts
from tests.certificates.test_concurrency import signed_in_cookie
from tests.conftest import PASSWORD, LiveServer, base_config, make_database, migrate_and_seed

PAGES = ["/", "/courses", "/courses/organising-basics", "/account/", "/healthz"]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The app on its own committed PostgreSQL schema, its connections named so that
    only they are ended (other test runs share the server)."""
    database = make_database(tmp_path_factory)
    if database.schema is None:
        pytest.skip(
            "SQLite has no server that could drop a connection: these tests run on "
            "PostgreSQL (TEST_DATABASE_URL), as CI does"
        )
    name = f"academy-drop-{uuid.uuid4().hex[:8]}"
    options = database.engine_options["connect_args"]["options"]
    database.engine_options = {"connect_args": {"options": options, "application_name": name}}
    tmp = tmp_path_factory.mktemp("dropped")
    app = create_app(base_config(tmp, database, ACADEMY_BASE_URL="http://127.0.0.1"))
    migrate_and_seed(app)
    assert app.config["DATABASE_IDLE_PING_SECONDS"] == 5  # the shipped default
    with app.app_context():
        email = f"m-{uuid.uuid4().hex[:8]}@example.org"
        member = accounts.create_user(email, "Dropped Member", PASSWORD, check_password=False)
        db.session.commit()
        cookie, _token = signed_in_cookie(app, member)
        db.session.remove()
    with LiveServer(app) as server:
        yield app, server, name, cookie
    with app.app_context():
        db.engine.dispose()
    database.drop()


def _end_every_backend(app, name: str) -> int:
    """End every server process the app is connected with; how many there were."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as other:
            return len(
                other.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).all()
            )
    finally:
        engine.dispose()


def _get(server, path: str, cookie: str) -> int:
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_the_first_request_after_the_server_drops_every_connection_answers(served):
    app, server, name, cookie = served
    for page in PAGES:
        assert _get(server, page, cookie) == 200, page  # the pool holds used connections
    for page in PAGES:
        assert _end_every_backend(app, name) >= 1
        # Used a moment ago, so not pinged: the request itself meets the dropped connection.
        assert _get(server, page, cookie) == 200, page


def test_a_page_view_meets_a_dropped_connection_and_is_run_again(served):
    """The retry is what answered (the page did meet the dead connection), and says so."""
    import logging

    app, server, name, cookie = served
    said: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())
    logger = logging.getLogger("academy.database")
    logger.addHandler(handler)
    try:
        assert _get(server, "/courses", cookie) == 200
        assert said == []
        assert _end_every_backend(app, name) >= 1
        assert _get(server, "/courses", cookie) == 200
    finally:
        logger.removeHandler(handler)
    assert said == ["The database connection was dropped; running /courses again"]


def test_no_500_when_every_connection_is_dropped_under_requests_in_flight(served):
    """Four members' browsers keep asking for pages while, round after round, every
    connection is ended: as a restart would, once per round, with time between rounds
    for the requests caught by one to finish (a request is run again once, not forever)."""
    app, server, name, cookie = served
    statuses: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def browse() -> None:
        while not stop.is_set():
            for page in PAGES:
                status = _get(server, page, cookie)
                with lock:
                    statuses.append(status)

    clients = [threading.Thread(target=browse) for _ in range(4)]
    for thread in clients:
        thread.start()
    ended = 0
    try:
        for _ in range(15):
            stop.wait(0.4)
            ended += _end_every_backend(app, name)
    finally:
        stop.set()
        for thread in clients:
            thread.join()
    assert ended >= 15  # connections really were ended under the requests
    assert len(statuses) > 30
    assert set(statuses) == {200}, sorted(set(statuses))
