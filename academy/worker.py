"""Where an RQ worker runs a queued job: inside an application context.

Kept apart from `academy.jobs` (which every service imports to queue work) because
it needs the app factory, and the factory imports the services: the queue is named
by this module's path, so nothing has to import it.
"""

from __future__ import annotations

from flask import g

from academy import create_app, jobs
from academy.links import JOB_BASE_URL


def run_job(
    path: str,
    args: tuple,
    kwargs: dict,
    base_url: str | None = None,
    give_up: str | None = None,
    attempts: int = 1,
) -> object:
    """Run `path(*args, **kwargs)` in the worker's app (`flask academy worker` sets it in
    `jobs.worker_app`; a bare `rq worker` builds one per process).

    `base_url` is the site address captured when the job was queued (jobs queued
    before it existed have none). When the job raises and RQ has no retry left,
    `give_up` records it before RQ marks the job failed.
    """
    if jobs.worker_app is None:
        jobs.worker_app = create_app()
    with jobs.worker_app.app_context():
        if base_url:
            g.setdefault(JOB_BASE_URL, base_url)
        try:
            return jobs.resolve(path)(*args, **kwargs)
        except Exception as error:
            if _last_attempt():
                jobs.gave_up(path, error, attempts, give_up, args, kwargs)
            raise


def _last_attempt() -> bool:
    from rq import get_current_job

    job = get_current_job()
    # RQ counts a retry down after the failed run: none left means this run was the last.
    return job is None or not job.retries_left
