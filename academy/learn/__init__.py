"""The member's learning journey: catalogue, courses, lessons, quizzes and dashboard.

Its URLs are the ones rendered lessons link to (academy.content.urls): change
them together or not at all.
"""

from flask import Blueprint

bp = Blueprint("learn", __name__)

from academy.learn import preview, routes  # noqa: E402, F401
