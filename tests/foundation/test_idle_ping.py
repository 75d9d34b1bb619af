"""PostgreSQL connections are pinged before use only after sitting idle (academy.database).

The rule is tested alone with a stand-in dialect (on any database), and with the app's
real engine on the database the suite runs on: on PostgreSQL, a connection the server
dropped while it sat idle in the pool is replaced without the request noticing, while
one dropped and reused at once fails that one request (the price of not pinging every
time) and the pool then recovers. SQLite has no server to lose and no ping.
"""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import InvalidatePoolError, OperationalError

from academy import create_app
from academy.database import _LAST_USED, _ping_if_idle
from academy.extensions import db
from tests.conftest import SECRET, make_database


class _Dialect:
    """Stands in for the engine's dialect: counts pings, fails them on request."""

    class loaded_dbapi:  # noqa: N801 (as the dialect names it)
        class Error(Exception):
            pass

    def __init__(self, failure: Exception | None = None, disconnect: bool = True):
        self.pings = 0
        self.failure = failure
        self.disconnect = disconnect

    def do_ping(self, _dbapi_connection) -> bool:
        self.pings += 1
        if self.failure is not None:
            raise self.failure
        return True

    def is_disconnect(self, _error, _connection, _cursor) -> bool:
        return self.disconnect


class _Record:
    def __init__(self, idle_for: float | None):
        self.info = {} if idle_for is None else {_LAST_USED: time.monotonic() - idle_for}


def _checkout(dialect: _Dialect, record: _Record, idle_seconds: float = 5) -> None:
    engine = type("Engine", (), {"dialect": dialect})()
    _ping_if_idle(engine, idle_seconds)(object(), record, None)


def test_a_connection_used_moments_ago_is_not_pinged():
    dialect = _Dialect()
    _checkout(dialect, _Record(idle_for=1))
    assert dialect.pings == 0


@pytest.mark.parametrize("idle_for", [6, None])
def test_an_idle_or_unknown_connection_is_pinged_and_counts_as_used(idle_for):
    dialect, record = _Dialect(), _Record(idle_for)
    _checkout(dialect, record)
    assert dialect.pings == 1
    assert time.monotonic() - record.info[_LAST_USED] < 1
    _checkout(dialect, record)  # used just now: not again
    assert dialect.pings == 1


def test_a_dropped_connection_empties_the_pool_and_other_errors_are_raised():
    with pytest.raises(InvalidatePoolError):
        _checkout(_Dialect(_Dialect.loaded_dbapi.Error("server closed")), _Record(idle_for=60))
    failure = _Dialect.loaded_dbapi.Error("permission denied")
    with pytest.raises(_Dialect.loaded_dbapi.Error):
        _checkout(_Dialect(failure, disconnect=False), _Record(idle_for=60))


def test_zero_pings_at_every_checkout_as_pool_pre_ping_would():
    dialect = _Dialect()
    for _ in range(3):
        _checkout(dialect, _Record(idle_for=0.001), idle_seconds=0)
    assert dialect.pings == 3


# With the real engine ---------------------------------------------------------------------


@pytest.fixture
def make_app(tmp_path_factory):
    database = make_database(tmp_path_factory)
    apps = []

    def make(idle_seconds: float):
        app = create_app(
            {
                **database.config,
                "SECRET_KEY": SECRET,
                "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
                "ACADEMY_CHECK_CURRICULUM": False,
                "DATABASE_IDLE_PING_SECONDS": idle_seconds,
            }
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    database.drop()


def _backend(app) -> int:
    """The server process of the pooled connection a request would use."""
    with app.app_context():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        db.session.commit()
        return pid


def _drop(app, pid: int) -> None:
    """What a server restart or a firewall does to one pooled connection."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    with engine.connect() as other:
        assert other.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    engine.dispose()


def test_a_connection_dropped_while_idle_is_replaced_unnoticed(make_app):
    app = make_app(idle_seconds=0.2)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # A file cannot drop a connection: nothing is pinged, ever.
            assert not db.engine.pool.dispatch.checkout
            assert db.engine.pool._pre_ping is False
            return
        assert db.engine.pool._pre_ping is False  # pinged only when idle, by our hook
    first = _backend(app)
    _drop(app, first)
    time.sleep(0.3)
    assert _backend(app) != first  # a new connection, and the request went through


def test_without_the_idle_ping_only_the_request_on_the_dropped_connection_fails(make_app):
    app = make_app(idle_seconds=3600)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            assert not db.engine.pool.dispatch.checkout
            return
    first = _backend(app)
    _drop(app, first)
    with app.app_context(), pytest.raises(OperationalError):
        db.session.execute(sa.text("SELECT 1"))
    # SQLAlchemy saw the disconnect and emptied the pool: the next request connects anew.
    assert _backend(app) != first
