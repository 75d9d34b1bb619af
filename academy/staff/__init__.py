"""Academy staff: issuing and revoking certificates, promoting trainers, the audit log."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from academy.staff import item_analysis, routes  # noqa: E402, F401
