"""Public pages: home, privacy notice, health check."""

from academy.main import routes  # noqa: F401 - they register their views on bp
from academy.main.blueprint import bp

__all__ = ["bp"]
