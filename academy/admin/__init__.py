"""Admin pages: academies, staff and trainer roles, data requests, access log, retention."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from academy.admin import routes, security  # noqa: E402, F401
