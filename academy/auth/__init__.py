"""Accounts: register, confirm, sign in and out, passwords."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from academy.auth import routes  # noqa: E402, F401
