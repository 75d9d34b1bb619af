"""Public pages: home, privacy notice, health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from academy.main import routes  # noqa: E402, F401
