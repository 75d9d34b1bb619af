"""Fixtures for the curriculum engine: a writable copy of the test curriculum."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from academy.content.problems import Problem

VALID = Path(__file__).parent.parent / "data" / "curriculum"


@pytest.fixture
def curriculum(tmp_path: Path) -> Path:
    """A copy of tests/data/curriculum that a test may break."""
    root = tmp_path / "curriculum"
    shutil.copytree(VALID, root)
    return root


def formatted(problems: list[Problem], root: Path) -> list[str]:
    """Problems as `path:line: message` with paths relative to `root`."""
    return [problem.format(relative_to=root) for problem in problems]


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old` (which must be there) with `new` in `path`."""
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1))
