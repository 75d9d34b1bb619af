"""Whether this database holds demo data: the banner every page shows while it does.

`flask academy seed-demo` writes a marker in the instance folder naming the
database it seeded; a page shows the banner when the marker names the database
the app is using. A file, not a query: the check costs a `stat` per page, and
pages keep their query budgets. Never in production (where seeding is refused).
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask, current_app

from academy.extensions import db

MARKER = "demo-data.json"


def marker_path() -> Path:
    return Path(current_app.instance_path) / MARKER


def database_key() -> str:
    """Which database a marker is about (its URL without the password)."""
    return db.engine.url.render_as_string(hide_password=True)


def holds_demo_data() -> bool:
    """True while the database this app uses was seeded with demo data."""
    if current_app.config.get("ACADEMY_ENV") == "production":
        return False
    path = marker_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return False
    cache = current_app.extensions.setdefault("academy_demo_marker", {})
    if cache.get("mtime") != mtime:
        try:
            seeded = json.loads(path.read_text()).get("database")
        except (OSError, ValueError, AttributeError):
            seeded = None
        cache.update(mtime=mtime, present=seeded == database_key())
    return cache["present"]


def init_app(app: Flask) -> None:
    app.add_template_global(holds_demo_data, "holds_demo_data")
