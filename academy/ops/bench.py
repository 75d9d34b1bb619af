"""The benchmark's reference: a bare Flask page served by the same app and gunicorn.

Registered only when ACADEMY_BENCH=1 (see academy.ops.init_app). Every other
page of the run is measured as a ratio to this one, so that the numbers say
what the Academy's own work costs on top of Flask, the middleware and gunicorn.
"""

from __future__ import annotations

from flask import Blueprint

from academy.access import public

bp = Blueprint("bench", __name__, url_prefix="/_bench")


@bp.get("/bare")
@public
def bare():
    return "<!doctype html><title>Bare</title><p>Hello.</p>"
