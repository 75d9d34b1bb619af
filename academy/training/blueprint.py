"""The `training` blueprint, on its own so that its view modules can import it without a
cycle through the package."""

from flask import Blueprint

bp = Blueprint("training", __name__)
