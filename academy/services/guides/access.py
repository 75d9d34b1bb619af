"""Who may read the facilitators' guides and print the packs.

A guide is for the people who teach: the trainers of a cohort of its course (while
they are trainers in that cohort's academy), academy staff and admins. Members
never see one, not even by guessing its address: the routes answer 404. A member
workbook is for members enrolled in the course, and for whoever may read its guides.
"""

from __future__ import annotations

import sqlalchemy as sa

from academy.extensions import db
from academy.models import Cohort, CohortTrainer, Role, User
from academy.models.learning import Enrolment


def reads_all_guides(user: User) -> bool:
    """Admins and academy staff read every course's guides."""
    staff_in = user.academies_for(Role.STAFF)  # None: an admin, everywhere
    return staff_in is None or bool(staff_in)


def guide_course_ids(user: User) -> set[int] | None:
    """The courses whose guides `user` may read; None means every course."""
    if not user.is_authenticated:
        return set()
    if reads_all_guides(user):
        return None
    if not user.academies_for(Role.TRAINER):
        return set()
    return set(
        db.session.scalars(
            sa.select(Cohort.course_id)
            .join(CohortTrainer, CohortTrainer.cohort_id == Cohort.id)
            .where(
                CohortTrainer.user_id == user.id,
                user.academy_filter(Cohort.academy_id, Role.TRAINER),
            )
            .distinct()
        )
    )


def may_read_guides(user: User, course_id: int) -> bool:
    ids = guide_course_ids(user)
    return ids is None or course_id in ids


def may_print_workbook(user: User, course_id: int) -> bool:
    """Members enrolled in the course (and still in it), and guide readers."""
    if not user.is_authenticated:
        return False
    enrolled = db.session.scalar(
        sa.select(sa.literal(1)).where(
            Enrolment.user_id == user.id,
            Enrolment.course_id == course_id,
            Enrolment.left_at.is_(None),
        )
    )
    return enrolled is not None or may_read_guides(user, course_id)


def is_new_trainer(user: User) -> bool:
    """A trainer (somewhere) who runs no cohort yet: their first screen says what to do."""
    if not user.academies_held(Role.TRAINER):
        return False
    runs = db.session.scalar(
        sa.select(sa.literal(1)).where(CohortTrainer.user_id == user.id).limit(1)
    )
    return runs is None
