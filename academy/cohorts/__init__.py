"""Cohorts: trainers run a cohort from invitation to sign-off; members join and see it."""

from flask import Blueprint

bp = Blueprint("cohorts", __name__)

from academy.cohorts import routes  # noqa: E402, F401
