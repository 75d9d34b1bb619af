"""Where the folders that ship beside the code are found.

`migrations/`, `curriculum/` and `certificates/` live at the top of the
repository, where staff edit courses and Alembic writes migrations. A wheel
carries copies of them under `academy/_shipped/` (setup.py puts them there), so
an installation made from the wheel alone can migrate, sync the curriculum and
render certificates. A checkout has no `_shipped/`, and reads the originals.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED_DIR = PACKAGE_DIR / "_shipped"


def shipped(name: str) -> Path:
    """The top-level folder `name`: its copy in an installed wheel, else the checkout's."""
    installed = SHIPPED_DIR / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name


MIGRATIONS_DIR = shipped("migrations")
CURRICULUM_DIR = shipped("curriculum")
CERTIFICATES_DIR = shipped("certificates")
