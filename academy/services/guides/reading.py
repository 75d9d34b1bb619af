"""Finding guides: one module's, a course's list, and the modules sessions teach."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Load

from academy.extensions import db
from academy.models import Course, Module
from academy.models.guides import Guide


def current_course(slug: str) -> Course | None:
    return db.session.scalar(
        sa.select(Course).where(Course.slug == slug, Course.retired_at.is_(None))
    )


def guide_of(course: Course, module_slug: str) -> tuple[Module, Guide] | None:
    """The module and its current guide, body included, or None."""
    found = db.session.execute(
        sa.select(Module, Guide)
        .join(Guide, Guide.module_id == Module.id)
        .options(Load(Guide).undefer_group("body"))
        .where(
            Module.course_id == course.id,
            Module.slug == module_slug,
            Module.retired_at.is_(None),
            Guide.retired_at.is_(None),
        )
    ).first()
    return (found[0], found[1]) if found else None


def guided_module_ids(module_ids: Iterable[int | None]) -> set[int]:
    """Which of these modules have a current guide (one query, for session lists)."""
    wanted = {i for i in module_ids if i}
    if not wanted:
        return set()
    return set(
        db.session.scalars(
            sa.select(Guide.module_id).where(
                Guide.module_id.in_(wanted), Guide.retired_at.is_(None)
            )
        )
    )


def guides_of_courses(course_ids: set[int] | None) -> list[tuple[Course, list[Module]]]:
    """Courses (all when None) with their modules that have a guide, in catalogue order."""
    query = (
        sa.select(Module)
        .join(Guide, Guide.module_id == Module.id)
        .join(Course, Course.id == Module.course_id)
        .where(Guide.retired_at.is_(None), Module.retired_at.is_(None), Course.retired_at.is_(None))
        .order_by(Course.position, Module.position)
    )
    if course_ids is not None:
        query = query.where(Module.course_id.in_(course_ids or {-1}))
    grouped: dict[int, list[Module]] = {}
    for module in db.session.scalars(query):
        grouped.setdefault(module.course_id, []).append(module)
    courses = {c.id: c for c in db.session.scalars(sa.select(Course).where(Course.id.in_(grouped)))}
    return [(courses[course_id], modules) for course_id, modules in grouped.items()]


def modules_by_id(ids: set[int]) -> list[Module]:
    return list(db.session.scalars(sa.select(Module).where(Module.id.in_(ids or {-1}))))
