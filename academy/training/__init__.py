"""Find training: open cohorts anyone can browse, members' sign-up and waiting lists,
and the trainer's view of who signed up and who waits."""

from academy.training import feedback_routes, routes  # noqa: F401 - they register on bp
from academy.training.blueprint import bp

__all__ = ["bp"]
