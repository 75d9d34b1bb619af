"""Helpers for processes that fork: gunicorn workers and the RQ worker's work horses."""

from __future__ import annotations

from flask import Flask

from academy.extensions import db


def dispose_engines(app: Flask, *, close: bool = False) -> None:
    """Forget every pooled database connection of `app`.

    After a fork, parent and child would otherwise share one socket to the
    database and interleave their conversations on it. In the child, call with
    close=False (SQLAlchemy's advice): the connections are dropped from the
    pool without being closed, so the parent's stay usable.
    """
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=close)
