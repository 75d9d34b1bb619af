"""The public verification blueprint and the holder's certificates blueprint, on their own
so that the view modules can import them without a cycle through the package."""

from flask import Blueprint

bp = Blueprint("verify", __name__, url_prefix="/verify")
holder_bp = Blueprint("certificates", __name__, url_prefix="/certificates")
