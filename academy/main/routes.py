from flask import current_app, jsonify, render_template

from academy.access import public
from academy.main.blueprint import bp
from academy.ops.health import report


@bp.get("/")
@public
def home():
    return render_template("main/home.html")


@bp.get("/privacy")
@public
def privacy():
    return render_template("main/privacy.html")


@bp.get("/healthz")
@public
def health():
    """For load balancers and monitors: each component, and 503 when one is down."""
    body, status = report(current_app._get_current_object())
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
