"""Where an RQ worker runs a queued job: inside an application context.

Kept apart from `academy.jobs` (which every service imports to queue work) because
it needs the app factory, and the factory imports the services: the queue is named
by this module's path, so nothing has to import it.
"""

from __future__ import annotations

from academy import create_app, jobs


def run_job(path: str, args: tuple, kwargs: dict) -> object:
    """Run `path(*args, **kwargs)` in the worker's app (`flask academy worker` sets it in
    `jobs.worker_app`; a bare `rq worker` builds one per process)."""
    if jobs.worker_app is None:
        jobs.worker_app = create_app()
    with jobs.worker_app.app_context():
        return jobs.resolve(path)(*args, **kwargs)
