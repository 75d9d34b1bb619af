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
# The app jobs run in, in a worker process (set by `flask academy worker`).
worker_app: Flask | None = None


def resolve(path: str) -> Callable:
    """The function a job's dotted path names."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def enqueue(path: str, *args: object, **kwargs: object) -> None:
    """Run `path(*args, **kwargs)` in the background once the caller's transaction commits
    (at once if it has nothing to commit)."""
    app = current_app._get_current_object()
    when_committed(lambda: _start(app, path, args, kwargs))


def _start(app: Flask, path: str, args: tuple, kwargs: dict) -> None:
    if app.config.get("ACADEMY_JOBS_INLINE"):
        resolve(path)(*args, **kwargs)
        return
    if app.config.get("REDIS_URL"):
        queue = _queue(app)
        queue.enqueue(RUN_JOB, path, args, kwargs, job_timeout=600)
        return

    def in_thread() -> None:
        with app.app_context():
            try:
                resolve(path)(*args, **kwargs)
            except Exception:
                log.exception("background job %s failed", path)

    threading.Thread(target=in_thread, name=f"job:{path}", daemon=True).start()


def _queue(app: Flask):
    from redis import Redis
    from rq import Queue

    connection = app.extensions.get("academy_redis")
    if connection is None:
        connection = app.extensions["academy_redis"] = Redis.from_url(app.config["REDIS_URL"])
    return Queue("academy", connection=connection)
