"""The start-up guard: the app refuses to run on a curriculum that fails the check."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from academy.content.problems import CurriculumError
from academy.content.validate import check


def curriculum_root(app: Flask) -> Path:
    return Path(app.config["ACADEMY_CURRICULUM_DIR"])


def verify_curriculum(app: Flask) -> None:
    """Raise `CurriculumError`, listing every problem, unless the configured curriculum is clean."""
    root = curriculum_root(app)
    problems = check(root)
    if problems:
        raise CurriculumError(problems, root=root)
