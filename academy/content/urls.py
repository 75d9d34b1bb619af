"""The fixed URL scheme that rendered lesson HTML links to.

Rendered HTML is stored, so links inside it cannot use `url_for` at request
time: these paths are part of the contract with the learning blueprint, which
must serve exactly them.
"""

from __future__ import annotations

from urllib.parse import quote


def course_url(course: str) -> str:
    return f"/courses/{course}"


def module_url(course: str, module: str) -> str:
    """A module is a section of its course's page, with the id `module-<slug>`."""
    return f"/courses/{course}#module-{module}"


def lesson_url(course: str, lesson: str) -> str:
    return f"/courses/{course}/lessons/{lesson}"


def quiz_url(course: str, module: str) -> str:
    return f"/courses/{course}/quizzes/{module}"


def media_url(course: str, module: str, filename: str) -> str:
    """An image in a module's images/ folder (see `academy.content.media.image_path`)."""
    return f"/courses/{course}/media/{module}/{quote(filename)}"
