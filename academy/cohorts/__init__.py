"""Cohorts: trainers run a cohort from invitation to sign-off; members join and see it."""

from academy.cohorts import routes, sessions  # noqa: F401 - they register their views on bp
from academy.cohorts.blueprint import bp

__all__ = ["bp"]
