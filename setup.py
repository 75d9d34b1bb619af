"""The build step pyproject.toml cannot declare: ship the top-level folders in the wheel.

`migrations/`, `curriculum/` and `certificates/` stay at the top of the
repository (Alembic writes migrations there, staff edit courses there). A wheel
copies them to `academy/_shipped/`, where `academy/paths.py` finds them, so an
installation made from the wheel alone can `flask db upgrade`, `flask academy
curriculum sync` and render certificates. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("migrations", "curriculum", "certificates")


class BuildPyWithShippedFolders(build_py):
    def run(self) -> None:
        super().run()
        # An editable install imports the checkout, which has the folders already.
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "academy" / "_shipped"
        # A copy left by an earlier build could hold files deleted since.
        shutil.rmtree(target, ignore_errors=True)
        for name in SHIPPED:
            shutil.copytree(
                ROOT / name,
                target / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"),
            )


setup(cmdclass={"build_py": BuildPyWithShippedFolders})
