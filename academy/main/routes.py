from flask import jsonify, render_template
from sqlalchemy import text

from academy.access import public
from academy.extensions import db
from academy.main.blueprint import bp


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
    """For load balancers: the process answers and the database is reachable."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
