"""Academy staff: issuing and revoking certificates, promoting trainers, the audit log,
the item analysis of quizzes."""

from academy.staff import item_analysis, routes  # noqa: F401 - they register their views on bp
from academy.staff.blueprint import bp

__all__ = ["bp"]
