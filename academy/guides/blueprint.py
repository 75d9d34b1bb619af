"""The `guides` blueprint, on its own so that its view modules can import it without a
cycle through the package."""

from flask import Blueprint

bp = Blueprint("guides", __name__)
