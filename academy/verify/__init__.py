"""Public verification of certificates (`verify`) and the holder's own
certificates page (`certificates`)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("verify", __name__, url_prefix="/verify")
holder_bp = Blueprint("certificates", __name__, url_prefix="/certificates")


from academy.verify import holder, routes  # noqa: E402, F401
