"""Signing members off once they have completed the course: one at a time, or many at
once, and what holds a member back.

A trainer of a few hundred members should not have to press a button per member
at the end of a course. `waiting` lists who has completed the course and is not
signed off yet (with whether the cohort's attendance rule lets them be), and
`sign_off_members` signs off the trainer's choice among them in one transaction:
all of them, or, if any cannot be signed off, none, with the reason for each.

The rules are those of `sign_off`, one member at a time; for many they are checked
with a fixed number of queries whatever the number of members.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func, select

from academy.extensions import db
from academy.models import Cohort, CohortMember, Enrolment, User
from academy.services import ServiceError
from academy.services.audit import record, record_many
from academy.services.cohorts.attendance import AttendanceSummary, attendance_summaries
from academy.services.cohorts.roster import membership_of
from academy.timeutil import utcnow

# One member --------------------------------------------------------------------------


def sign_off_problem(cohort: Cohort, user_id: int) -> str | None:
    """Why this member cannot be signed off yet, or None."""
    enrolment = db.session.scalar(
        select(Enrolment).where(
            Enrolment.user_id == user_id, Enrolment.course_id == cohort.course_id
        )
    )
    if enrolment is None or enrolment.completed_at is None:
        return "They have not completed the course yet."
    if cohort.min_attendance_percent:
        summary = attendance_summaries(cohort, user_ids=[user_id])[user_id]
        if summary.short_of(cohort.min_attendance_percent):
            return (
                f"They attended {summary.percent}% of sessions; this cohort asks for at least "
                f"{cohort.min_attendance_percent}%."
            )
    return None


def sign_off(cohort: Cohort, user_id: int, actor: User) -> CohortMember:
    membership = membership_of(cohort, user_id)
    if membership is None:
        raise ServiceError("That person is not in this cohort.")
    if membership.signed_off_at is not None:
        return membership
    problem = sign_off_problem(cohort, user_id)
    if problem:
        raise ServiceError(f"Cannot sign off yet. {problem}")
    membership.signed_off_at = utcnow()
    membership.signed_off_by_id = actor.id
    db.session.flush()
    record(
        "cohort.sign_off",
        actor=actor,
        subject=db.session.get(User, user_id),
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )
    return membership


def withdraw_sign_off(cohort: Cohort, user_id: int, actor: User) -> None:
    membership = membership_of(cohort, user_id)
    if membership is None or membership.signed_off_at is None:
        raise ServiceError("That member has not been signed off.")
    membership.signed_off_at = None
    membership.signed_off_by_id = None
    db.session.flush()
    record(
        "cohort.sign_off.withdraw",
        actor=actor,
        subject=db.session.get(User, user_id),
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
    )


def attendance_blocker(cohort: Cohort, attendance: AttendanceSummary) -> str | None:
    """Why the cohort's attendance rule holds a member back from sign-off, or None."""
    needed = cohort.min_attendance_percent
    if attendance.short_of(needed):
        return f"Attendance {attendance.percent}%, below the {needed}% needed"
    return None


# Many members at once ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiting:
    """A member who has completed the course and is not signed off yet."""

    user_id: int
    display_name: str
    completed_at: datetime
    attendance: AttendanceSummary
    blocker: str | None  # why they cannot be signed off yet; None when they can

    @property
    def ready(self) -> bool:
        return self.blocker is None


class SignOffRefused(ServiceError):
    """Some of the chosen members cannot be signed off; nobody was."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems  # (name, why)
        count = len(problems)
        super().__init__(
            f"Nobody was signed off: {count} of the members you chose cannot be signed off yet."
        )


def _completed_rows(cohort: Cohort, user_ids: Collection[int] | None) -> sa.Select:
    """Members of the cohort not signed off yet, with when they completed the course
    (None when they have not), in the order the trainer reads them: by name."""
    query = (
        select(CohortMember.user_id, User.display_name, Enrolment.completed_at)
        .join(User, User.id == CohortMember.user_id)
        .outerjoin(
            Enrolment,
            sa.and_(
                Enrolment.user_id == CohortMember.user_id,
                Enrolment.course_id == cohort.course_id,
            ),
        )
        .where(CohortMember.cohort_id == cohort.id, CohortMember.signed_off_at.is_(None))
        .order_by(func.lower(User.display_name), CohortMember.user_id)
    )
    if user_ids is None:
        return query.where(Enrolment.completed_at.is_not(None))
    return query.where(CohortMember.user_id.in_(user_ids))


def waiting(cohort: Cohort, now: datetime | None = None) -> list[Waiting]:
    """Everyone who has completed the course and is not signed off yet, by name
    (three queries, whatever the size of the cohort)."""
    rows = db.session.execute(_completed_rows(cohort, None)).all()
    attendance = attendance_summaries(cohort, now, user_ids=[row.user_id for row in rows])
    return [
        Waiting(
            user_id=row.user_id,
            display_name=row.display_name,
            completed_at=row.completed_at,
            attendance=attendance[row.user_id],
            blocker=attendance_blocker(cohort, attendance[row.user_id]),
        )
        for row in rows
    ]


def sign_off_members(
    cohort: Cohort, user_ids: Collection[int], actor: User, now: datetime | None = None
) -> int:
    """Sign off every one of `user_ids`, or nobody: returns how many were signed off.

    Members already signed off (by a co-trainer, since the page was shown) are left
    as they are, as `sign_off` does. Anyone who is not in the cohort, has not
    completed the course or falls short of its attendance rule makes the whole
    request fail with `SignOffRefused`, which names them: a trainer who ticked a
    box for someone expects that person signed off, not a partial result to
    untangle. Each sign-off is audited, as a single one is.
    """
    chosen = set(user_ids)
    if not chosen:
        raise ServiceError("Choose at least one member to sign off.")
    now = now or utcnow()
    # Lock the chosen places (PostgreSQL; SQLite's write lock is held already), so that
    # a co-trainer's sign-off or a removal in between waits for this one. Loaded as
    # objects, so that the commit forgets the cohort's kept figures (`summaries`).
    places = {
        place.user_id: place
        for place in db.session.scalars(
            select(CohortMember)
            .where(CohortMember.cohort_id == cohort.id, CohortMember.user_id.in_(chosen))
            .with_for_update()
        )
    }
    problems = [(f"Member {user_id}", "Not in this cohort") for user_id in chosen - set(places)]
    pending = sorted(user_id for user_id, place in places.items() if not place.signed_off)
    attendance = attendance_summaries(cohort, now, user_ids=pending)
    for row in db.session.execute(_completed_rows(cohort, pending)):
        if row.completed_at is None:
            problems.append((row.display_name, "Course not complete yet"))
        elif blocker := attendance_blocker(cohort, attendance[row.user_id]):
            problems.append((row.display_name, blocker))
    if problems:
        raise SignOffRefused(sorted(problems, key=lambda problem: problem[0].lower()))
    for user_id in pending:
        places[user_id].signed_off_at = now
        places[user_id].signed_off_by_id = actor.id
    record_many(
        "cohort.sign_off",
        actor=actor,
        subject_ids=pending,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        together=len(pending),
    )
    db.session.flush()
    return len(pending)
