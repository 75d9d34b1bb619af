"""Reports for staff (their academy) and admins (every academy and the whole country)."""

from academy.reports import routes  # noqa: F401 - they register their views on bp
from academy.reports.blueprint import bp

__all__ = ["bp"]
