"""Admin pages: academies, staff and trainer roles, data requests, access log, retention."""

from academy.admin import routes, security  # noqa: F401 - they register their views on bp
from academy.admin.blueprint import bp

__all__ = ["bp"]
