"""Running the Academy in production: proxies, the RQ worker, backups, benchmark data.

`init_app` is called by the app factory. It trusts `X-Forwarded-*` headers only
from as many reverse proxies as `ACADEMY_PROXIES` says (so that rate limits see
the member's address, not the proxy's), and adds the bare reference page of the
benchmark only when `ACADEMY_BENCH=1`: never in a normal run.
"""

from __future__ import annotations

import os

from flask import Flask


def _setting(app: Flask, name: str, default: str = "") -> str:
    value = app.config.get(name)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def init_app(app: Flask) -> None:
    proxies = int(_setting(app, "ACADEMY_PROXIES", "0") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    from academy.ops import sweep

    sweep.init_app(app)  # batches that waited for the job queue, started when it is back
    if _setting(app, "ACADEMY_BENCH").lower() in {"1", "true", "yes"}:
        from academy.ops.bench import bp

        app.register_blueprint(bp)
