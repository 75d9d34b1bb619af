"""Background work: RQ on Redis where REDIS_URL is set, otherwise in-process.

Jobs are named by dotted path and take plain arguments, so the same call
works in a web process, an RQ worker and a test. `ACADEMY_JOBS_INLINE` (tests)
runs them at once, in the caller's transaction-free context.

Redis is a dependency the site survives (issue 23). When the queue cannot be
reached, `enqueue` runs the job in a thread of this process instead, as it
does where there is no Redis at all (an e-mail still goes); a caller whose work
must not run in a web process (a certificate batch) passes `in_process=False`
and gets `QueueUnavailable`, and leaves its work marked as waiting for the
queue. The outage is logged once, and its end once.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable

from flask import Flask, current_app

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


def resolve(path: str) -> Callable:
    """The function a job's dotted path names."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def enqueue(path: str, *args: object, in_process: bool = True, **kwargs: object) -> str | None:
    """Run `path(*args, **kwargs)` in the background; return the RQ job id if queued.

    With the queue down: run in a thread here, or (`in_process=False`) raise
    QueueUnavailable, nothing having been queued.
    """
    app = current_app._get_current_object()
    if app.config.get("ACADEMY_JOBS_INLINE"):
        resolve(path)(*args, **kwargs)
        return None
    if app.config.get("REDIS_URL"):
        from redis import RedisError
        from rq import Retry

        intervals = list(app.config.get("JOB_RETRY_INTERVALS", RETRY_INTERVALS))
        retry = Retry(max=len(intervals), interval=intervals) if intervals else None
        try:
            job = queue(app).enqueue(RUN_JOB, path, args, kwargs, job_timeout=600, retry=retry)
        except RedisError as error:
            _note_down(app, error)
            if not in_process:
                raise QueueUnavailable(str(error)) from error
        else:
            _note_up(app)
            return job.id

    def in_thread() -> None:
        with app.app_context():
            try:
                resolve(path)(*args, **kwargs)
            except Exception:
                log.exception("background job %s failed", path)

    threading.Thread(target=in_thread, name=f"job:{path}", daemon=True).start()
    return None


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
