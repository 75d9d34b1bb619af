"""Accounts: register, confirm, sign in and out, passwords."""

from academy.auth import routes  # noqa: F401 - they register their views on bp
from academy.auth.blueprint import bp

__all__ = ["bp"]
