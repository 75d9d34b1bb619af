"""Background work: RQ on Redis where REDIS_URL is set, otherwise in-process.

Jobs are named by dotted path and take plain arguments, so the same call
works in a web process, an RQ worker and a test. `ACADEMY_JOBS_INLINE` (tests)
runs them at once, in the caller's transaction-free context.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable

from flask import Flask, current_app

log = logging.getLogger("academy.jobs")

_worker_app: Flask | None = None


def _resolve(path: str) -> Callable:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def run_job(path: str, args: tuple, kwargs: dict) -> object:
    """Entry point in an RQ worker: run the job inside an application context."""
    global _worker_app
    from academy import create_app

    if _worker_app is None:
        _worker_app = create_app()
    with _worker_app.app_context():
        return _resolve(path)(*args, **kwargs)


def enqueue(path: str, *args: object, **kwargs: object) -> str | None:
    """Run `path(*args, **kwargs)` in the background; return the RQ job id if queued."""
    app = current_app._get_current_object()
    if app.config.get("ACADEMY_JOBS_INLINE"):
        _resolve(path)(*args, **kwargs)
        return None
    if app.config.get("REDIS_URL"):
        queue = _queue(app)
        job = queue.enqueue(run_job, path, args, kwargs, job_timeout=600)
        return job.id

    def in_thread() -> None:
        with app.app_context():
            try:
                _resolve(path)(*args, **kwargs)
            except Exception:
                log.exception("background job %s failed", path)

    threading.Thread(target=in_thread, name=f"job:{path}", daemon=True).start()
    return None


def _queue(app: Flask):
    from redis import Redis
    from rq import Queue

    connection = app.extensions.get("academy_redis")
    if connection is None:
        connection = app.extensions["academy_redis"] = Redis.from_url(app.config["REDIS_URL"])
    return Queue("academy", connection=connection)
