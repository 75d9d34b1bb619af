"""Problems found in the curriculum, reported as `path:line: message`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True, slots=True)
class Problem:
    """One thing wrong with one file, at one line (1-based)."""

    path: Path
    line: int
    message: str

    def format(self, relative_to: Path | None = None) -> str:
        """`path:line: message`, with the path relative to `relative_to` when it is inside it."""
        return f"{display_path(self.path, relative_to)}:{self.line}: {self.message}"


def display_path(path: Path, relative_to: Path | None = None) -> str:
    """The path relative to `relative_to` (default: the current directory) if below it."""
    base = Path.cwd() if relative_to is None else relative_to
    try:
        return str(path.relative_to(base))
    except ValueError:
        rel = os.path.relpath(path, base)
        # A short `../x` beats a long absolute path, but not a climb out of the tree.
        return rel if not rel.startswith(os.pardir * 1 + os.sep + os.pardir) else str(path)


class CurriculumError(RuntimeError):
    """The curriculum fails the check; the message lists every problem."""

    def __init__(self, problems: Iterable[Problem], *, root: Path | None = None) -> None:
        self.problems = sorted(problems)
        self.root = root
        lines = [p.format() for p in self.problems]
        where = f" in {root}" if root is not None else ""
        count = len(self.problems)
        super().__init__(
            f"the curriculum{where} has {count} problem{'s' if count != 1 else ''} "
            "(fix them, then run `flask academy curriculum check`):\n" + "\n".join(lines)
        )
