"""Public verification of certificates (`verify`) and the holder's own
certificates page (`certificates`)."""

from academy.verify import holder, routes  # noqa: F401 - they register their views
from academy.verify.blueprint import bp, holder_bp

__all__ = ["bp", "holder_bp"]
