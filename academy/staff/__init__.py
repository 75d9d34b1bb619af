"""Academy staff: issuing and revoking certificates, promoting trainers, the audit log."""

from academy.staff import routes  # noqa: F401 - they register their views on bp
from academy.staff.blueprint import bp

__all__ = ["bp"]
