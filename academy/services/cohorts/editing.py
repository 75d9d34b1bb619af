"""Creating a cohort and editing it: its details, its course and who trains it.

Functions flush and record audit events; the caller commits once. Permissions for
one cohort are on the model (`cohort.can_manage(user)`); routes check them before
calling.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from academy.extensions import db
from academy.models import (
    Academy,
    AcademyRole,
    Cohort,
    CohortTrainer,
    Course,
    Role,
    User,
    within_academies,
)
from academy.models.cohorts import CohortMode
from academy.services import ServiceError
from academy.services.audit import record
from academy.services.cohorts.roster import member_count

MAX_CAPACITY = 1000


def academies_for_new_cohort(user: User) -> list[Academy]:
    """Where `user` may create a cohort: every academy for an admin, else where they
    are a trainer or staff."""
    query = select(Academy).order_by(Academy.name)
    query = within_academies(query, Academy.id, user, Role.TRAINER, Role.STAFF)
    return list(db.session.scalars(query))


def offered_courses() -> list[Course]:
    return list(
        db.session.scalars(
            select(Course)
            .where(Course.retired_at.is_(None))
            .order_by(Course.position, Course.title)
        )
    )


def trainers_in(academy_ids: Iterable[int]) -> list[User]:
    """People who hold the trainer role in any of these academies (co-trainer choices)."""
    ids = set(academy_ids)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .join(AcademyRole, AcademyRole.user_id == User.id)
            .where(
                AcademyRole.role == Role.TRAINER,
                AcademyRole.academy_id.in_(ids),
                User.disabled_at.is_(None),
            )
            .distinct()
            .order_by(User.display_name, User.id)
        )
    )


@dataclass
class CohortDetails:
    name: str
    mode: str
    venue: str
    meeting_url: str
    starts_on: date
    ends_on: date
    capacity: int
    min_attendance_percent: int | None
    inactive_after_days: int
    # Listed on "Find training" for members to sign themselves up.
    is_open: bool = False
    signup_closed: bool = False
    region_only: bool = False
    town: str = ""

    def check(self) -> None:
        if not self.name.strip():
            raise ServiceError("Give the cohort a name.")
        if self.mode not in {m.value for m in CohortMode}:
            raise ServiceError("Choose online, in person or blended.")
        if self.ends_on < self.starts_on:
            raise ServiceError("The end date must be on or after the start date.")
        if not 1 <= self.capacity <= MAX_CAPACITY:
            raise ServiceError(f"Capacity must be between 1 and {MAX_CAPACITY}.")
        if self.min_attendance_percent is not None and not (
            0 <= self.min_attendance_percent <= 100
        ):
            raise ServiceError("Minimum attendance is a percentage from 0 to 100.")
        if not 1 <= self.inactive_after_days <= 365:
            raise ServiceError("Flag inactivity after 1 to 365 days.")
        if self.mode in (CohortMode.ONLINE, CohortMode.BLENDED) and not self.meeting_url:
            raise ServiceError("An online or blended cohort needs a meeting link.")
        if self.mode in (CohortMode.IN_PERSON, CohortMode.BLENDED) and not self.venue.strip():
            raise ServiceError("An in-person or blended cohort needs a venue.")
        if (
            self.is_open
            and self.mode in (CohortMode.IN_PERSON, CohortMode.BLENDED)
            and not self.town.strip()
        ):
            raise ServiceError("An open in-person or blended cohort needs its town or city.")
        if len(self.town.strip()) > 120:
            raise ServiceError("Use at most 120 characters for the town.")


def _check_co_trainers(academy: Academy, co_trainers: Iterable[User]) -> list[User]:
    allowed = {u.id for u in trainers_in([academy.id])}
    chosen = list({u.id: u for u in co_trainers}.values())
    for user in chosen:
        if user.id not in allowed:
            raise ServiceError(f"{user.display_name} is not a trainer in the {academy.full_name}.")
    return chosen


def create_cohort(
    actor: User,
    *,
    academy: Academy,
    course: Course,
    details: CohortDetails,
    co_trainers: Iterable[User] = (),
) -> Cohort:
    if not actor.acts_in(academy, Role.TRAINER, Role.STAFF):
        raise ServiceError("You can only create cohorts in your own academies.")
    if course.retired:
        raise ServiceError("This course is no longer offered.")
    details.check()
    cohort = Cohort(
        academy_id=academy.id,
        course_id=course.id,
        created_by_id=actor.id,
        **_columns(details),
    )
    db.session.add(cohort)
    db.session.flush()
    trainers = _check_co_trainers(academy, co_trainers)
    # The creator runs the cohort if they are a trainer there; staff create it for others.
    if academy.id in actor.academy_ids(Role.TRAINER) and actor.id not in {u.id for u in trainers}:
        trainers.insert(0, actor)
    for user in trainers:
        cohort.trainer_links.append(CohortTrainer(user_id=user.id))
    db.session.flush()
    record(
        "cohort.create",
        actor=actor,
        academy_id=academy.id,
        target=f"cohort:{cohort.id}",
        course=course.slug,
        trainers=[u.id for u in trainers],
    )
    return cohort


def _columns(details: CohortDetails) -> dict:
    return {
        "name": details.name.strip(),
        "mode": details.mode,
        "venue": details.venue.strip(),
        "meeting_url": details.meeting_url.strip(),
        "starts_on": details.starts_on,
        "ends_on": details.ends_on,
        "capacity": details.capacity,
        "min_attendance_percent": details.min_attendance_percent,
        "inactive_after_days": details.inactive_after_days,
        "is_open": details.is_open,
        "signup_closed": details.signup_closed,
        "region_only": details.region_only,
        "town": details.town.strip(),
    }


def update_cohort(
    actor: User, cohort: Cohort, details: CohortDetails, co_trainers: Iterable[User]
) -> Cohort:
    details.check()
    if details.capacity < member_count(cohort):
        raise ServiceError(
            f"The cohort already has {member_count(cohort)} members: "
            "the capacity cannot be lower than that."
        )
    for key, value in _columns(details).items():
        setattr(cohort, key, value)
    wanted = {u.id for u in _check_co_trainers(cohort.academy, co_trainers)}
    # The form lists the *other* trainers: the person editing keeps their own place.
    if actor.id in cohort.trainer_ids:
        wanted.add(actor.id)
    for link in list(cohort.trainer_links):
        if link.user_id not in wanted:
            cohort.trainer_links.remove(link)
    for user_id in wanted - cohort.trainer_ids:
        cohort.trainer_links.append(CohortTrainer(user_id=user_id))
    db.session.flush()
    record(
        "cohort.update",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        trainers=sorted(wanted),
    )
    return cohort
