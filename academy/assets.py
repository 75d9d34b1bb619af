"""Static files with a content hash in the URL, so they can be cached for a year."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, url_for


def init_app(app: Flask) -> None:
    static = Path(app.static_folder)

    @cache
    def version(filename: str) -> str:
        return hashlib.sha256((static / filename).read_bytes()).hexdigest()[:12]

    @app.template_global()
    def asset(filename: str) -> str:
        return url_for("static", filename=filename, v=version(filename))
