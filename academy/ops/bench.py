"""The benchmark's references: a bare Flask page, and an empty signed-in page.

Registered only when ACADEMY_BENCH=1 (see academy.ops.init_app). Every other
page of the run is measured as a ratio to the bare page, so that the numbers
say what the Academy's own work costs on top of Flask, the middleware and
gunicorn. The signed-in page does only what every member's page must do (read
the session, load the member and their roles, render the shared layout with
its sign-out form), so that a page's own work can be told from that floor.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from academy.access import public, signed_in

bp = Blueprint("bench", __name__, url_prefix="/_bench")


@bp.get("/bare")
@public
def bare():
    return "<!doctype html><title>Bare</title><p>Hello.</p>"


@bp.get("/signed-in")
@signed_in
def signed_in_page():
    return render_template("bench/signed_in.html")
