"""Background work: RQ on Redis where REDIS_URL is set, otherwise in-process.

Jobs are named by dotted path and take plain arguments, so the same call
works in a web process, an RQ worker and a test. `ACADEMY_JOBS_INLINE` (tests)
runs them in the caller's process instead of queueing them.

A job queued while a transaction is doing work starts only once it commits, and
not at all if it rolls back (`academy.database.when_committed`): callers queue
where the work arises, before or after their commit, and never need to care.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable

from flask import Flask, current_app

from academy.database import when_committed

log = logging.getLogger("academy.jobs")

# What an RQ worker calls (named, not imported: it needs the app factory).
RUN_JOB = "academy.worker.run_job"
# A queued job that fails is tried again after these many seconds (so a mail server
# or a renderer that is briefly down loses nothing); after the last, it is kept
# among the failed jobs admins see (services/background_jobs.py).
RETRY_INTERVALS = (30, 120, 600)
# The app jobs run in, in a worker process (set by `flask academy worker`).
worker_app: Flask | None = None


def resolve(path: str) -> Callable:
    """The function a job's dotted path names."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def enqueue(path: str, *args: object, **kwargs: object) -> str | None:
    """Run `path(*args, **kwargs)` in the background once the caller's transaction commits
    (at once if it has nothing to commit). The RQ job id if it was queued at once; None
    if it waits for the commit, or runs in this process."""
    app = current_app._get_current_object()
    return when_committed(lambda: _start(app, path, args, kwargs))


def _start(app: Flask, path: str, args: tuple, kwargs: dict) -> str | None:
    if app.config.get("ACADEMY_JOBS_INLINE"):
        resolve(path)(*args, **kwargs)
        return None
    if app.config.get("REDIS_URL"):
        from rq import Retry

        intervals = list(app.config.get("JOB_RETRY_INTERVALS", RETRY_INTERVALS))
        retry = Retry(max=len(intervals), interval=intervals) if intervals else None
        job = queue(app).enqueue(RUN_JOB, path, args, kwargs, job_timeout=600, retry=retry)
        return job.id

    def in_thread() -> None:
        with app.app_context():
            try:
                resolve(path)(*args, **kwargs)
            except Exception:
                log.exception("background job %s failed", path)

    threading.Thread(target=in_thread, name=f"job:{path}", daemon=True).start()
    return None


def queue(app: Flask):
    """The RQ queue jobs go to (REDIS_URL must be set)."""
    from redis import Redis
    from rq import Queue

    connection = app.extensions.get("academy_redis")
    if connection is None:
        connection = app.extensions["academy_redis"] = Redis.from_url(app.config["REDIS_URL"])
    return Queue("academy", connection=connection)
