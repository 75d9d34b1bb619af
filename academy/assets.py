"""Static files with a content hash in the URL, so they can be cached for a year."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, has_request_context, request, url_for


def init_app(app: Flask) -> None:
    static = Path(app.static_folder)

    @cache
    def version(filename: str) -> str:
        return hashlib.sha256((static / filename).read_bytes()).hexdigest()[:12]

    urls: dict[tuple[str, str], str] = {}

    @app.template_global()
    def asset(filename: str) -> str:
        # Built once per file (and mount point): a page asks for several on every view.
        key = (filename, request.script_root if has_request_context() else "")
        found = urls.get(key)
        if found is None:
            found = urls[key] = url_for("static", filename=filename, v=version(filename))
        return found
