"""Shared fixtures: a real database (SQLite, or PostgreSQL where TEST_DATABASE_URL
is set), the app on a temporary instance folder, an HTTP client that sends CSRF
tokens like a browser, factories, a live server and a real Chromium."""

from __future__ import annotations

import os
import random
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.serving import make_server

from academy import create_app
from academy.extensions import db
from academy.models import User
from academy.passwords import hash_password
from academy.services import accounts
from academy.services.academies import academy_by_slug, ensure_academies
from academy.services.learning import outline

TESTS = Path(__file__).parent
TEST_CURRICULUM = TESTS / "data" / "curriculum"
SECRET = "test-secret-key-not-used-anywhere-else"
PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: Argon2 is slow on purpose
# The authenticator secret and recovery codes of every account made with a second factor.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
RECOVERY_CODES = tuple(f"TEST-CODE-{n:04d}-ABCD" for n in range(10))


def totp_code(offset_steps: int = 0) -> str:
    """The code an authenticator app holding TOTP_SECRET shows now (or steps away)."""
    import time

    import pyotp

    return pyotp.TOTP(TOTP_SECRET).at(time.time() + 30 * offset_steps)


def give_second_factor(user: User) -> None:
    """Set up two-step sign-in as the account page would, with TOTP_SECRET and RECOVERY_CODES."""
    from academy.services import two_factor
    from academy.timeutil import utcnow

    user.totp_secret = two_factor.seal(TOTP_SECRET)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = None
    user.recovery_code_hashes = " ".join(two_factor._recovery_hash(c) for c in RECOVERY_CODES)


# Databases -------------------------------------------------------------------------


class Database:
    """One empty database: a SQLite file, or a fresh schema in the PostgreSQL under test."""

    def __init__(self, tmp: Path):
        self.url = os.environ.get("TEST_DATABASE_URL")
        self.schema = None
        if self.url:
            self.schema = f"t_{uuid.uuid4().hex[:12]}"
            engine = sa.create_engine(self.url)
            with engine.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))
            engine.dispose()
            self.engine_options = {"connect_args": {"options": f"-csearch_path={self.schema}"}}
        else:
            self.url = f"sqlite:///{tmp / 'test.sqlite3'}"
            self.engine_options = {}

    @property
    def config(self) -> dict:
        return {
            "SQLALCHEMY_DATABASE_URI": self.url,
            "SQLALCHEMY_ENGINE_OPTIONS": self.engine_options,
        }

    def drop(self) -> None:
        if self.schema:
            engine = sa.create_engine(self.url)
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            engine.dispose()


def new_badge_key() -> str:
    """A new Ed25519 badge signing key, as PEM (what ACADEMY_BADGE_SIGNING_KEY holds)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


# A badge key for this test run: one value shared by every app (and server process)
# that the run starts, as production shares one between machines.
BADGE_KEY = os.environ.setdefault("ACADEMY_TEST_BADGE_SIGNING_KEY", new_badge_key())

# The settings production refuses to start without (academy.config.PRODUCTION_SETTINGS),
# for tests that build a production app. Redis is the real local one; the cache and rate
# limits stay in the process so that tests leave nothing behind in it.
PRODUCTION_SETTINGS = {
    "ACADEMY_ENV": "production",
    "ACADEMY_BADGE_SIGNING_KEY": BADGE_KEY,
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CACHE_TYPE": "SimpleCache",
    # No background sweep for batches waiting on the queue (academy/ops/sweep.py): its
    # thread would outlive the test and its database. tests/certificates/test_redis_down.py
    # runs it on purpose.
    "ACADEMY_QUEUE_SWEEP_SECONDS": 0,
}


def base_config(tmp: Path, database: Database, **overrides) -> dict:
    """The configuration of a test app; ACADEMY_ENV="production" brings every setting
    production requires (PRODUCTION_SETTINGS) unless overridden."""
    if overrides.get("ACADEMY_ENV") == "production":
        overrides = {**PRODUCTION_SETTINGS, **overrides}
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp / "instance"),
        "SECRET_KEY": SECRET,
        "ACADEMY_CURRICULUM_DIR": str(TEST_CURRICULUM),
        "ACADEMY_BASE_URL": "http://academy.test",
        "ACADEMY_JOBS_INLINE": True,
        "MAIL_BACKEND": "locmem",
        "RATELIMIT_STORAGE_URI": "memory://",
        **database.config,
    }
    config.update(overrides)
    return config


def migrate_and_seed(app: Flask) -> None:
    """Bring an empty database to the current schema with the migrations, then seed."""
    from academy.content.sync import sync_path

    with app.app_context():
        flask_migrate.upgrade()
        ensure_academies()
        sync_path(Path(app.config["ACADEMY_CURRICULUM_DIR"]), db.session)
        db.session.commit()
        db.engine.dispose()


def make_database(tmp_path_factory: pytest.TempPathFactory) -> Database:
    return Database(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def database(tmp_path_factory) -> Iterator[Database]:
    """The session's database, migrated once; each test runs in a rolled-back transaction."""
    database = make_database(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("migrate")
    migrate_and_seed(create_app(base_config(tmp, database)))
    yield database
    database.drop()


# The app and its clients ------------------------------------------------------------


class BrowserLikeClient(FlaskClient):
    """Sends the CSRF token a real form would, unless told `csrf=False`."""

    def csrf_token(self) -> str:
        """The token a form on this client's session would carry (as Flask-WTF makes it)."""
        serializer = self.application.session_interface.get_signing_serializer(self.application)
        name = self.application.config["SESSION_COOKIE_NAME"]
        cookie = self.get_cookie(name)
        data = serializer.loads(cookie.value) if cookie else {}
        if "csrf_token" not in data:
            data["csrf_token"] = uuid.uuid4().hex
            self.set_cookie(name, serializer.dumps(data))
        return URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(data["csrf_token"])

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf:
            data = kwargs.get("data", {})
            if isinstance(data, dict) and "csrf_token" not in data:
                kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        return super().post(*args, **kwargs)


@pytest.fixture(autouse=True)
def _fresh_outlines() -> None:
    """Each test starts without the previous test's in-memory course outlines.

    A test's curriculum edits are rolled back at its end, so the next test can
    reach the same curriculum version number with different content; a real
    database's version only ever goes up.
    """
    outline.clear()


class WrittenOrder(random.Random):
    """Draws a quiz's first questions in the order written and shuffles nothing."""

    def sample(self, population, k, *, counts=None):  # noqa: ARG002 - random.Random's API
        return list(population)[:k]

    def shuffle(self, x) -> None:  # noqa: ARG002
        return None


@pytest.fixture
def written_order(monkeypatch) -> None:
    """Quizzes ask their first questions, in order, unshuffled: for tests that name the
    questions they answer. The real random draw and shuffle are tested on their own
    (tests/learn/test_draws.py and the shuffle tests), without this fixture."""
    monkeypatch.setattr("academy.services.learning.quizzes._system_random", WrittenOrder())


@pytest.fixture
def app_config(tmp_path, database) -> dict:
    """Override keys here (in a test module's own fixture) before `app` is built."""
    return base_config(tmp_path, database)


@pytest.fixture
def app(app_config) -> Iterator[Flask]:
    app = create_app(app_config)
    app.test_client_class = BrowserLikeClient
    with app.app_context():
        # Every session of this test shares one connection inside a transaction
        # that is rolled back at the end; commits become savepoints.
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # A plain Session: Flask-SQLAlchemy's own would pick the engine, not this connection.
        db.session = scoped_session(
            sessionmaker(
                bind=connection, join_transaction_mode="create_savepoint", query_cls=db.Query
            ),
            scopefunc=_app_ctx_id,
        )

        # The test's app context stays pushed, so requests reuse it (Flask does not
        # push another). Forget per-request state as a fresh context would.
        @app.teardown_request
        def _like_a_new_context(exc):  # noqa: ARG001
            for key in list(g):
                g.pop(key)
            db.session.expire_all()

        try:
            yield app
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()
            db.engine.dispose()


@pytest.fixture
def client(app) -> BrowserLikeClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app) -> list:
    """E-mails sent during the test (Flask-Mailman's in-memory backend)."""
    mail = app.extensions["mailman"]
    mail.outbox = []
    return mail.outbox


# Factories ----------------------------------------------------------------------------


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    """make_user(roles=("trainer",), academy="north-west", name=..., email=...).

    Staff and admins get a second factor (TOTP_SECRET), as every real one must have
    before using their pages; `second_factor=False` makes one who has not set it up yet,
    `second_factor=True` gives one to anybody.
    """

    def make(
        *,
        email: str | None = None,
        name: str = "Test Member",
        roles: tuple[str, ...] = (),
        academy: str | None = None,
        second_factor: bool | None = None,
    ) -> User:
        user = accounts.create_user(
            email or f"user-{uuid.uuid4().hex[:10]}@example.org",
            name,
            PASSWORD,
            check_password=False,
        )
        user.password_hash = _PASSWORD_HASH
        place = academy_by_slug(academy) if academy else None
        for role in roles:
            accounts.grant_role(user, role, academy=place or academy_by_slug("north-west"))
        if second_factor is None:
            second_factor = user.must_have_second_factor
        if second_factor:
            give_second_factor(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login() -> Callable[[FlaskClient, User], FlaskClient]:
    """Sign a client in as `user` without going through the (rate-limited) form."""

    def sign_in(client: FlaskClient, user: User) -> FlaskClient:
        db.session.refresh(user)  # requests may have rotated the session version since
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client

    return sign_in


@pytest.fixture
def count_queries(app):
    """with count_queries() as queries: ...; len(queries) is the statements run."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, *args):  # noqa: ARG001
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append(statement)

        engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return counter


# A live server and a real browser --------------------------------------------------------


class LiveServer:
    def __init__(self, app: Flask):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The app on a real port with its own committed database, for browser tests."""
    database = make_database(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("live")
    app = create_app(base_config(tmp, database, ACADEMY_BASE_URL="http://127.0.0.1"))
    migrate_and_seed(app)
    app.extensions["mailman"].outbox = []  # e-mails the server sends, for the tests to read
    with LiveServer(app) as server:
        app.config["ACADEMY_BASE_URL"] = server.url
        yield server
    with app.app_context():
        db.engine.dispose()
    database.drop()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make test` (it installs Debian's "
            "chromium package) or set CHROMIUM_PATH.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page) -> list:
    """Run axe-core in the page; return its violations (empty when accessible)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return results.response["violations"]
