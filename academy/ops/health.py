"""What `/healthz` reports: each component the site depends on, checked now.

For a load balancer or a monitor: 200 when every component answers, 503 when
one does not (the JSON says which). The database and, where REDIS_URL is set,
Redis (the job queue, the shared cache and rate limits) are components. The
queue's workers are reported (how many are registered, from their heartbeats in
Redis) but do not make the answer 503: with no worker the web pages still work
and queued jobs only wait, and a load balancer that took every web process out
of service for it would turn a background delay into an outage. Nothing is
cached: each call checks afresh, with short timeouts.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from academy.extensions import db


def _database() -> dict[str, Any]:
    # Twice at most: a connection the server dropped is replaced, as for any page
    # (academy/database.py); a database that is down fails both.
    for _ in range(2):
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as error:
            db.session.rollback()
            problem = type(error).__name__
            if not (isinstance(error, DBAPIError) and error.connection_invalidated):
                break
        else:
            return {"ok": True}
    return {"ok": False, "error": problem}


def _redis(app: Flask) -> tuple[dict[str, Any], dict[str, Any] | None]:
    from redis import RedisError
    from rq import Worker

    from academy import jobs

    connection = jobs.redis_connection(app)
    try:
        connection.ping()
    except RedisError as error:
        return {"ok": False, "error": type(error).__name__}, None
    try:
        workers = Worker.count(connection=connection)
    except RedisError as error:
        return {"ok": False, "error": type(error).__name__}, None
    return {"ok": True}, {"ok": workers > 0, "workers": workers}


def report(app: Flask) -> tuple[dict[str, Any], int]:
    """The JSON `/healthz` answers, and its status code."""
    components: dict[str, Any] = {"database": _database()}
    workers = None
    if app.config.get("REDIS_URL"):
        components["redis"], workers = _redis(app)
    down = sorted(name for name, state in components.items() if not state["ok"])
    body: dict[str, Any] = {"status": "down" if down else "ok", "components": components}
    if workers is not None:
        body["workers"] = workers
    if down:
        body["down"] = down
    return body, 503 if down else 200
