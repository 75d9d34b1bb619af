"""Engine settings per database: SQLite pragmas and locking for the embedded default;
on PostgreSQL, page views that read without a transaction around them, and a ping
only for connections that have sat idle. Also the unit of work views commit through,
and the one hook that holds e-mail and background jobs until the commit."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from academy.extensions import db

F = TypeVar("F", bound=Callable)
T = TypeVar("T")
log = logging.getLogger("academy.database")

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_MS = 15000


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
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


# How long a writer waits for SQLite's write lock before giving up ("database is
# locked"), and how often it asks for it meanwhile.
WRITE_LOCK_WAIT_SECONDS = BUSY_TIMEOUT_MS / 1000
WRITE_LOCK_POLL_SECONDS = 0.001


def _sqlite_begin(connection):
    """Writers take the write lock when they begin, so they queue instead of failing.

    A deferred transaction that reads and then writes cannot wait for the lock
    if another writer committed in between: SQLite answers "database is
    locked" at once. Requests that may write (POST…), CLI commands and jobs
    therefore begin IMMEDIATE; page views begin deferred and read in parallel.
    """
    if has_request_context() and request.method in READ_ONLY_METHODS and not _view_writes():
        connection.exec_driver_sql("BEGIN")
    else:
        _begin_immediate(connection)


def writes(view: F) -> F:
    """Mark a page that writes even when it is only looked at (an access-log entry).

    On SQLite its GET requests then begin as writers: a read transaction that
    later writes cannot wait for the lock and would fail with "database is
    locked" whenever another writer got in first.
    """
    view.writes_when_read = True  # type: ignore[attr-defined]
    return view


def _view_writes() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes_when_read", False))


def _begin_immediate(connection) -> None:
    """BEGIN IMMEDIATE, asking for the lock every millisecond until it is free.

    SQLite's own busy handler sleeps between tries for longer and longer, up to
    100 ms at a time: under a queue of writers a waiter that has backed off keeps
    losing the lock to newcomers, and some wait seconds (quiz submissions had a
    p99 of 1.7 s at 16 connections, bench/findings.md). Asking often, with the
    busy handler off for this one statement, hands the lock on within about a
    millisecond of its release.
    """
    deadline = time.monotonic() + WRITE_LOCK_WAIT_SECONDS
    connection.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as error:
                if not _is_busy(error) or time.monotonic() >= deadline:
                    raise
            time.sleep(WRITE_LOCK_POLL_SECONDS)
    finally:
        # Statements inside the transaction (a checkpoint, say) may still meet a
        # busy database: they wait as before.
        connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _is_busy(error: OperationalError) -> bool:
    return "database is locked" in str(error.orig) or "database is busy" in str(error.orig)


# PostgreSQL: page views read without a transaction ---------------------------------------
#
# Under READ COMMITTED, PostgreSQL's default, every statement sees the data as of its
# own start whether or not a transaction surrounds it, so a page view that only reads
# gains nothing from BEGIN and ROLLBACK but two round trips (of four for a
# verification page, of six for a lesson: bench/findings.md). Page views therefore
# run in autocommit. The first statement that writes or locks ends that: the
# connection leaves autocommit before it, so psycopg begins a transaction and
# everything from that statement on commits or rolls back together, as in any
# other request. (What was read before it was read as it would have been.)

_READING = "academy.reading_without_transaction"
_PLAIN_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_LOCKING = re.compile(r"\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)


def _postgres_begin(connection) -> None:
    """A page view (not one marked `writes`) starts reading in autocommit."""
    if has_request_context() and request.method in READ_ONLY_METHODS and not _view_writes():
        connection.connection.dbapi_connection.autocommit = True
        connection.info[_READING] = True


def _postgres_before_execute(connection, _cursor, statement, *_args) -> None:
    if not connection.info.get(_READING):
        return
    if _PLAIN_READ.match(statement) and not _LOCKING.search(statement):
        return
    # A write, a lock or a savepoint: from here on, one transaction.
    connection.connection.dbapi_connection.autocommit = False
    connection.info[_READING] = False


def _postgres_checkin(dbapi_connection, connection_record) -> None:
    """Back in the pool, the connection is transactional again for whoever is next,
    and remembers when it was last used (`_ping_if_idle`)."""
    connection_record.info[_LAST_USED] = time.monotonic()
    if connection_record.info.pop(_READING, None) is not None and dbapi_connection is not None:
        dbapi_connection.autocommit = False


# PostgreSQL: a pooled connection is pinged only after it has sat idle ---------------------
#
# pool_pre_ping asks the server "SELECT 1" at every checkout, so that a connection the
# server dropped (a restart, a failover, a firewall's idle timeout) is replaced instead
# of failing a request. That is a round trip on every request: half of what a
# verification page costs with the database on the same machine (bench/findings.md).
# A connection given back moments ago was working moments ago, so only one that has
# been idle for DATABASE_IDLE_PING_SECONDS is pinged. If the server goes away while
# connections are busy (or were used moments ago), the statement using each fails, as
# it would with pool_pre_ping; SQLAlchemy then discards the whole pool, and the request
# is run again on a new connection if it had committed nothing (`retry_on_disconnect`,
# below).

_LAST_USED = "academy.last_used"


def _postgres_connect(_dbapi_connection, connection_record) -> None:
    connection_record.info[_LAST_USED] = time.monotonic()  # just opened: it works


def _ping_if_idle(engine, idle_seconds: float) -> Callable:
    def checkout(dbapi_connection, connection_record, _proxy) -> None:
        last_used = connection_record.info.get(_LAST_USED)
        if last_used is not None and time.monotonic() - last_used < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                # Every pooled connection is as old: the pool is emptied, and this
                # checkout (up to twice more) gets a new connection.
                raise InvalidatePoolError("the server dropped an idle connection") from error
            raise
        connection_record.info[_LAST_USED] = time.monotonic()

    return checkout


def configure_engines(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        elif engine.dialect.name == "postgresql":
            event.listen(engine, "begin", _postgres_begin)
            event.listen(engine, "before_cursor_execute", _postgres_before_execute)
            event.listen(engine, "connect", _postgres_connect)
            event.listen(engine, "checkin", _postgres_checkin)
            idle = float(app.config["DATABASE_IDLE_PING_SECONDS"])
            event.listen(engine, "checkout", _ping_if_idle(engine, idle))


def after_commit(key: str, act: Callable[[Any], None]) -> None:
    """Once a transaction that set `session.info[key]` commits, `act(that value)`.

    For work that must follow the data, not precede it (forgetting what was kept
    about it): done before the commit, another request could read the old data
    and keep it again. A rollback of the whole transaction drops the value.
    """

    @event.listens_for(Session, "after_commit")
    def _act(session: Session) -> None:
        value = session.info.pop(key, None)
        if value:
            act(value)

    @event.listens_for(Session, "after_soft_rollback")
    def _drop(session: Session, previous) -> None:
        if previous.parent is None:  # the whole transaction, not a savepoint within it
            session.info.pop(key, None)


# One unit of work per action ---------------------------------------------------------
#
# A view does its work inside `with unit_of_work():` and maps the domain errors it
# expects to a message after the block, where the rollback has already happened:
#
#     try:
#         with unit_of_work():
#             cohort = service.create_cohort(...)
#     except ServiceError as error:
#         form.name.errors.append(str(error))     # nothing was kept
#     else:
#         flash(...)                              # committed
#
# Not a commit at the end of every request (indico's RH.process): here views catch
# ServiceError to show it on the form, so a request-level hook could not tell a
# failed action from a finished one, and the success message must follow the commit.

_UNITS = "academy.units_of_work"  # how many unit_of_work() blocks are open on the session


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll all of it back if it raised (and re-raise).

    A unit inside another joins it: only the outermost commits. E-mail and jobs queued
    in the block wait for its commit (`when_committed`), and a rollback drops them.
    """
    session = db.session()
    depth = session.info.get(_UNITS, 0)
    session.info[_UNITS] = depth + 1
    try:
        yield
    except BaseException:
        session.info[_UNITS] = depth
        if not depth:
            session.rollback()
        raise
    session.info[_UNITS] = depth
    if depth:
        return
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise


# Work that follows the commit --------------------------------------------------------
#
# E-mail and background jobs (academy.jobs.enqueue, which academy.mail.send_email and
# every other sender go through) are registered here while a transaction that wrote
# something is open, run once it commits, and dropped if it rolls back: a rolled-back
# action e-mails no one, and a worker never looks for a row that is not there yet.
# They run when the committed transaction has ended, so that a job run at once (tests)
# may use the session itself.

_PENDING = "academy.pending_work"  # [(transaction it was queued in, act)]
_READY = "academy.committed_work"  # committed: run as the transaction ends
_WROTE = "academy.transaction_wrote"


def when_committed(act: Callable[[], T]) -> T | None:
    """Call `act()` once the current transaction commits; never if it rolls back.

    Inside `unit_of_work()`, or once the transaction has written something, the act
    waits (and None is returned). Otherwise there is nothing to wait for (no
    transaction, or one that only read, like a page view): it runs at once, and what it
    returns is returned.
    """
    session = db.session()
    if not _has_work_to_commit(session):
        return act()
    queued_in = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((queued_in, act))
    return None


def _has_work_to_commit(session: Session) -> bool:
    if session.info.get(_UNITS):
        return True
    if not session.in_transaction():
        return False
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _work_committed(session: Session) -> None:
    # A savepoint released: its work now waits for the transaction around it.
    if session.in_nested_transaction():
        return
    session.info[_READY] = session.info.pop(_PENDING, [])


@event.listens_for(Session, "after_soft_rollback")
def _savepoint_rolled_back(session: Session, previous: SessionTransaction) -> None:
    # (A rollback of the whole transaction has already dropped everything as it ended.)
    pending = session.info.get(_PENDING)
    if pending and previous.nested:
        session.info[_PENDING] = [
            (queued_in, act) for queued_in, act in pending if not _inside(queued_in, previous)
        ]


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    ready = session.info.pop(_READY, [])
    dropped = session.info.pop(_PENDING, [])
    session.info.pop(_WROTE, None)
    if dropped:
        log.info("%d e-mails or jobs dropped: their transaction was rolled back", len(dropped))
    failure = None
    for _queued_in, act in ready:
        try:
            act()
        except Exception as error:  # the others still run; the first failure is raised
            log.exception("work queued for after the commit failed")
            failure = failure or error
    if failure is not None:
        raise failure


# A dropped connection: the request tried again, once -------------------------------------
#
# PostgreSQL drops connections when it restarts, fails over, or an administrator ends
# them. The idle ping above catches a connection that sat idle; one dropped while in use,
# or moments after its last use, fails at its next statement. SQLAlchemy then marks it,
# and every connection pooled before it, as dead. If the request has committed nothing
# yet, nothing it did has happened: it is run again, once, on a fresh connection
# (`retry_on_disconnect`). If it had committed, running it again could do twice what
# it did once: the person is told the site could not finish and to check and retry
# (503, `disconnected`), never shown a 500.

_COMMITTED = "academy_committed"


def _note_commit(session: Session) -> None:  # noqa: ARG001
    if has_request_context():
        setattr(g, _COMMITTED, True)


def dropped(error: BaseException) -> bool:
    """Did this error come from a connection the database server dropped?"""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def retry_on_disconnect(step: Callable[[], Any]) -> Any:
    """Run `step` (a request's before-request hooks, or its view); if the database
    connection was dropped under it and nothing has been committed in this request,
    roll back and run it once more, on a new connection."""
    try:
        return step()
    except DBAPIError as error:
        if not dropped(error) or g.get(_COMMITTED, False):
            raise
        log.warning("The database connection was dropped; running %s again", request.path)
        db.session.rollback()
        return step()


DISCONNECTED = (
    "We lost our connection to the database while finishing this. If you were saving "
    "something, please check whether it was saved before trying again."
)


def install_retry(app: Flask) -> None:  # noqa: ARG001 - called as every extension is
    """Note each request's commits, so that `retry_on_disconnect` knows whether it may
    run the request again. (A dropped connection that cannot be retried answers 503:
    academy/errors.py.)"""
    if not event.contains(Session, "after_commit", _note_commit):
        event.listen(Session, "after_commit", _note_commit)
