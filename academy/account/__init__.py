"""A member's own account: their details, data export, equality monitoring, erasure."""

from academy.account import routes, two_factor  # noqa: F401 - they register their views on bp
from academy.account.blueprint import bp

__all__ = ["bp"]
