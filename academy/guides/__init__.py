"""Teaching: facilitators' guides and session packs for trainers, member workbooks,
and recording a candidate trainer's observed practice."""

from academy.guides import observing, routes  # noqa: F401 - they register their views on bp
from academy.guides.blueprint import bp

__all__ = ["bp"]
