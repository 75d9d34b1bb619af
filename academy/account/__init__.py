"""A member's own account: their details, data export, equality monitoring, erasure."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from academy.account import routes, two_factor  # noqa: E402, F401
