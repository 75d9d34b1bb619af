"""The regional academies."""

from __future__ import annotations

from sqlalchemy import select

from academy.extensions import db
from academy.models import Academy

# The nine English regions, Scotland and Wales.
REGIONS = (
    ("north-east", "North East"),
    ("north-west", "North West"),
    ("yorkshire-and-the-humber", "Yorkshire and the Humber"),
    ("east-midlands", "East Midlands"),
    ("west-midlands", "West Midlands"),
    ("east-of-england", "East of England"),
    ("london", "London"),
    ("south-east", "South East"),
    ("south-west", "South West"),
    ("scotland", "Scotland"),
    ("wales", "Wales"),
)


def ensure_academies() -> list[Academy]:
    """Create any missing regional academy; idempotent."""
    existing = {a.slug: a for a in db.session.scalars(select(Academy))}
    for slug, name in REGIONS:
        if slug not in existing:
            existing[slug] = Academy(slug=slug, name=name)
            db.session.add(existing[slug])
    db.session.flush()
    return sorted(existing.values(), key=lambda a: a.name)


def academy_by_slug(slug: str) -> Academy | None:
    return db.session.scalar(select(Academy).where(Academy.slug == slug))


def all_academies() -> list[Academy]:
    """Every academy, by name (the regions a member or a list can choose)."""
    return list(db.session.scalars(select(Academy).order_by(Academy.name)))
