"""Joining and leaving courses, and the prerequisites that gate them."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from academy.extensions import db
from academy.models import Course, Enrolment, User
from academy.services import ServiceError
from academy.services.audit import record
from academy.timeutil import utcnow

# Asked by every lesson completion and quiz submission: built once.
_ENROLMENT = select(Enrolment).where(
    Enrolment.user_id == bindparam("user_id"), Enrolment.course_id == bindparam("course_id")
)


class NotEnrolled(ServiceError):
    """The member is not taking the course (never enrolled, or left it): nothing is shown
    and nothing is stored. Routes answer it as they answer every not-enrolled case."""


def is_taking(enrolment: Enrolment | None) -> bool:
    """The enrolment rule, written once: enrolled and not left (a completed course counts).

    Takes anything with `left_at` (an Enrolment, or the facts progress reads).
    """
    return enrolment is not None and enrolment.left_at is None


def require_enrolment(
    user: User, course_id: int, message: str = "Enrol in this course to continue."
) -> Enrolment:
    """The member's enrolment in the course, if they are taking it; NotEnrolled otherwise.

    Every lesson and quiz action asks this first (reading a lesson, opening a quiz,
    starting, answering and reviewing an attempt, completing a lesson), in this
    package rather than in the routes, so the web, the CLI and jobs cannot drift apart.
    """
    enrolment = enrolment_for(user.id, course_id)
    if not is_taking(enrolment):
        raise NotEnrolled(message)
    return enrolment


def enrolment_for(user_id: int, course_id: int) -> Enrolment | None:
    """The member's enrolment in the course, active, left or completed; None if never."""
    return db.session.scalar(_ENROLMENT, {"user_id": user_id, "course_id": course_id})


def active_enrolment(user_id: int, course_id: int) -> Enrolment | None:
    """The enrolment if the member is taking the course now (not left)."""
    enrolment = enrolment_for(user_id, course_id)
    return enrolment if is_taking(enrolment) else None


def completed_course_slugs(user_id: int) -> set[str]:
    """Slugs of the courses this member has completed (what prerequisites ask for)."""
    return set(
        db.session.scalars(
            select(Course.slug)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .where(Enrolment.user_id == user_id, Enrolment.completed_at.is_not(None))
        )
    )


def missing_prerequisites(user: User, course: Course) -> list[Course]:
    """The prerequisite courses this member has not completed yet, in catalogue order."""
    if not course.prerequisites:
        return []
    done = (
        select(Enrolment.course_id)
        .where(Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None))
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            select(Course)
            .where(Course.slug.in_(course.prerequisites), Course.id.not_in(done))
            .order_by(Course.position, Course.title)
        )
    )


def _titles(courses: list[Course]) -> str:
    titles = [f"“{course.title}”" for course in courses]
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]


def enrol(user: User, course: Course, *, check_prerequisites: bool = True) -> Enrolment:
    """Enrol `user` in `course`; idempotent, and re-activates an enrolment left earlier.

    Progress made before leaving is kept. Raises ServiceError for a retired course or,
    unless `check_prerequisites=False` (a trainer enrolling a cohort), unmet prerequisites.
    """
    if course.retired:
        raise ServiceError("This course is no longer offered.")
    enrolment = enrolment_for(user.id, course.id)
    if enrolment is not None and enrolment.left_at is None:
        return enrolment
    if check_prerequisites and enrolment is None:
        missing = missing_prerequisites(user, course)
        if missing:
            raise ServiceError(f"Complete {_titles(missing)} before you start this course.")
    now = utcnow()
    if enrolment is not None:  # coming back after leaving
        enrolment.left_at = None
        enrolment.last_activity_at = now
        db.session.flush()
        record("learning.rejoined", actor=user, subject=user, target=f"course:{course.slug}")
        return enrolment
    enrolment = Enrolment(
        user_id=user.id, course_id=course.id, enrolled_at=now, last_activity_at=now
    )
    try:
        # A savepoint: two requests enrolling at once meet the unique constraint,
        # and the loser takes the winner's row instead of failing.
        with db.session.begin_nested():
            db.session.add(enrolment)
    except IntegrityError:
        existing = enrolment_for(user.id, course.id)
        if existing is None:  # pragma: no cover - the constraint was something else
            raise
        return existing
    record("learning.enrolled", actor=user, subject=user, target=f"course:{course.slug}")
    return enrolment


def leave(user: User, course: Course) -> Enrolment:
    """Stop taking a course. Progress is kept, so enrolling again carries on from it."""
    enrolment = active_enrolment(user.id, course.id)
    if enrolment is None:
        raise ServiceError("You are not enrolled in this course.")
    if enrolment.completed_at is not None:
        raise ServiceError("You have completed this course: it stays on your record.")
    enrolment.left_at = utcnow()
    db.session.flush()
    record("learning.left", actor=user, subject=user, target=f"course:{course.slug}")
    return enrolment
