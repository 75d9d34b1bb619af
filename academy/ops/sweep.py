"""Start the work that waited for the job queue, once the queue answers again.

Where REDIS_URL is set, a certificate batch asked for while Redis was down is
marked WAITING (academy/services/certificates/queueing.py). Each web process
looks for such batches at most every ACADEMY_QUEUE_SWEEP_SECONDS, after a
request and in a thread of its own (the request that happens to trigger it
waits for nothing), and queues them. The worker does the same when it starts
(academy/ops/cli.py), and `flask academy certificates start-waiting` does it
by hand or from cron. Looking costs one indexed query; queueing only happens
when something waits.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from academy.extensions import db

log = logging.getLogger("academy.sweep")


def sweep(app: Flask) -> int:
    """Queue what waits for the queue; how many were queued. Never raises."""
    from academy.services import certificates

    with app.app_context():
        try:
            return certificates.start_waiting()
        except Exception:
            log.exception("Could not start the batches waiting for the queue")
            db.session.rollback()
            return 0
        finally:
            db.session.remove()


def init_app(app: Flask) -> None:
    seconds = float(app.config.get("ACADEMY_QUEUE_SWEEP_SECONDS") or 0)
    if not app.config.get("REDIS_URL") or seconds <= 0:
        return  # without a queue, nothing ever waits for one
    running = threading.Lock()
    due = [0.0]  # the first request of a process looks at once

    @app.after_request
    def _now_and_then(response):
        now = time.monotonic()
        if now >= due[0] and running.acquire(blocking=False):
            due[0] = now + seconds

            def run() -> None:
                try:
                    sweep(app)
                finally:
                    running.release()

            threading.Thread(target=run, name="academy-queue-sweep", daemon=True).start()
        return response
