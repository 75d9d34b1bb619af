"""The member's learning journey: catalogue, courses, lessons, quizzes and dashboard.

Its URLs are the ones rendered lessons link to (academy.content.urls): change
them together or not at all.
"""

from academy.learn import preview, routes  # noqa: F401 - they register their views on bp
from academy.learn.blueprint import bp

__all__ = ["bp"]
