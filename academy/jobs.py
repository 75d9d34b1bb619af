"""Background work: RQ on Redis where REDIS_URL is set, otherwise in-process.

Jobs are named by dotted path and take plain arguments, so the same call
works in a web process, an RQ worker and a test. `ACADEMY_JOBS_INLINE` (tests)
runs them in the caller's process instead of queueing them.

A job queued while a transaction is doing work starts only once it commits, and
not at all if it rolls back (`academy.database.when_committed`): callers queue
where the work arises, before or after their commit, and never need to care.

Every job runs with the site address of the place that queued it
(`links.base_url()` at enqueue time), so that in development, where the address
follows the host and port served, a link written by a job points where the
person who caused it was browsing.

A job queued with `retries` is tried again after each of its delays when it
raises (RQ's Retry on Redis, which needs the worker's scheduler: `flask academy
worker` runs it; a loop with sleeps in-process); on Redis any other job is tried
again after RETRY_INTERVALS. When the last attempt fails,
`retries.give_up` (a dotted path) is called with the error, the number of
attempts and the job's own arguments, so the failure is recorded, never silent;
the exception never reaches the code that queued the job.

Redis is a dependency the site survives (issue 23). When the queue cannot be
reached, `enqueue` runs the job in a thread of this process instead, as it
does where there is no Redis at all (an e-mail still goes); a caller whose work
must not run in a web process (a certificate batch) passes `in_process=False`
and gets `QueueUnavailable`, and leaves its work marked as waiting for the
queue. The outage is logged once, and its end once.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g

from academy.database import when_committed
from academy.links import JOB_BASE_URL, base_url

log = logging.getLogger("academy.jobs")

# What an RQ worker calls (named, not imported: it needs the app factory).
RUN_JOB = "academy.worker.run_job"
# A queued job that fails is tried again after these many seconds (so a mail server
# or a renderer that is briefly down loses nothing); after the last, it is kept
# among the failed jobs admins see (services/background_jobs.py).
RETRY_INTERVALS = (30, 120, 600)
# The app jobs run in, in a worker process (set by `flask academy worker`).
worker_app: Flask | None = None
# Seconds to wait for Redis before counting it as down: a page must not hang on it.
REDIS_TIMEOUT = 2.0


class QueueUnavailable(RuntimeError):
    """The job queue (Redis) cannot be reached: nothing was queued."""


@dataclass(frozen=True)
class Retries:
    """Try again after each of `delays` seconds; then call `give_up` (a dotted path)."""

    delays: tuple[int, ...]
    give_up: str | None = None

    @property
    def attempts(self) -> int:
        return len(self.delays) + 1


def resolve(path: str) -> Callable:
    """The function a job's dotted path names."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def enqueue(
    path: str,
    *args: object,
    retries: Retries | None = None,
    in_process: bool = True,
    **kwargs: object,
) -> str | None:
    """Run `path(*args, **kwargs)` in the background once the caller's transaction commits
    (at once if it has nothing to commit; never if it rolls back). The RQ job id if it
    was queued at once; None if it waits for the commit, or runs in this process.

    With the queue down: run in a thread here, or (`in_process=False`) raise
    QueueUnavailable, nothing having been queued. Such a caller queues with nothing
    left to commit (after its unit of work), so that the error reaches it.
    """
    app = current_app._get_current_object()
    base = base_url()  # now: the request that queues it may be over by the commit
    return when_committed(lambda: _start(app, base, path, args, kwargs, retries, in_process))


def _start(
    app: Flask,
    base: str,
    path: str,
    args: tuple,
    kwargs: dict,
    retries: Retries | None,
    in_process: bool,
) -> str | None:
    if app.config.get("ACADEMY_JOBS_INLINE"):
        run_with_retries(path, args, kwargs, retries)
        return None
    if app.config.get("REDIS_URL"):
        from redis import RedisError
        from rq import Retry

        if retries is not None:
            delays = list(retries.delays)
            give_up, attempts = retries.give_up, retries.attempts
        else:
            delays = list(app.config.get("JOB_RETRY_INTERVALS", RETRY_INTERVALS))
            give_up, attempts = None, len(delays) + 1
        retry = Retry(max=len(delays), interval=delays) if delays else None
        try:
            job = queue(app).enqueue(
                RUN_JOB, path, args, kwargs, base, give_up, attempts, job_timeout=600, retry=retry
            )
        except RedisError as error:
            _note_down(app, error)
            if not in_process:
                raise QueueUnavailable(str(error)) from error
        else:
            _note_up(app)
            return job.id

    def in_thread() -> None:
        try:
            with app.app_context():
                g.setdefault(JOB_BASE_URL, base)
                run_with_retries(path, args, kwargs, retries)
        finally:
            _running.discard(threading.current_thread())

    thread = threading.Thread(target=in_thread, name=f"job:{path}", daemon=True)
    _running.add(thread)
    thread.start()
    return None


# Jobs running in threads of this process. A CLI command (`flask academy certificates
# remind` without Redis) exits as soon as it has queued its e-mails: at exit they are
# given a while to finish rather than cut off (daemon threads, so a job waiting to
# retry never holds a stopping server for long).
_running: set[threading.Thread] = set()
FINISH_AT_EXIT_SECONDS = 60


@atexit.register
def _finish_running_jobs() -> None:
    deadline = time.monotonic() + FINISH_AT_EXIT_SECONDS
    for thread in list(_running):
        thread.join(max(0.0, deadline - time.monotonic()))


def _sleep(seconds: float) -> None:
    """Wait between attempts (a test replaces it to see the delays without waiting)."""
    time.sleep(seconds)


def run_with_retries(path: str, args: tuple, kwargs: dict, retries: Retries | None) -> None:
    """The in-process runner: attempt, wait, attempt again; give up as `retries` says.

    Without `retries` an error is logged (as before: a job's failure never fails the
    request that queued it, except inline, where tests want to see it).
    """
    function = resolve(path)
    if retries is None:
        if current_app.config.get("ACADEMY_JOBS_INLINE"):
            function(*args, **kwargs)
            return
        try:
            function(*args, **kwargs)
        except Exception:
            log.exception("background job %s failed", path)
        return
    for attempt in range(1, retries.attempts + 1):
        try:
            function(*args, **kwargs)
            return
        except Exception as error:  # noqa: BLE001 - any failure is retried, then recorded
            if attempt < retries.attempts:
                delay = retries.delays[attempt - 1]
                log.warning(
                    "background job %s failed (attempt %d of %d: %s); trying again in %ss",
                    path,
                    attempt,
                    retries.attempts,
                    error,
                    delay,
                )
                _sleep(delay)
                continue
            gave_up(path, error, attempt, retries.give_up, args, kwargs)


def gave_up(
    path: str, error: BaseException, attempts: int, give_up: str | None, args, kwargs
) -> None:
    """The last attempt failed: log it, and hand it to the job's `give_up`."""
    log.error("background job %s failed %d times; giving up: %s", path, attempts, error)
    if give_up:
        try:
            resolve(give_up)(error, attempts, *args, **kwargs)
        except Exception:
            log.exception("recording the failure of %s failed too", path)


def redis_connection(app: Flask):
    """The process's connection to REDIS_URL, with timeouts (made once)."""
    from redis import Redis

    connection = app.extensions.get("academy_redis")
    if connection is None:
        connection = app.extensions["academy_redis"] = Redis.from_url(
            app.config["REDIS_URL"],
            socket_connect_timeout=REDIS_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
        )
    return connection


def queue(app: Flask):
    """The RQ queue jobs go to (REDIS_URL must be set)."""
    from rq import Queue

    return Queue("academy", connection=redis_connection(app))


_DOWN = "academy_queue_down"


def _note_down(app: Flask, error: Exception) -> None:
    if not app.extensions.get(_DOWN):
        app.extensions[_DOWN] = True
        log.warning("The job queue (Redis) cannot be reached, degraded until it is: %s", error)


def _note_up(app: Flask) -> None:
    if app.extensions.pop(_DOWN, None):
        log.info("The job queue (Redis) is reachable again")
