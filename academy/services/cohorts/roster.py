"""Who is in which cohort: the cohorts a person runs or belongs to, member counts,
and one cohort's memberships. Read-only; the other concerns build on it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, raiseload

from academy.extensions import db
from academy.models import Cohort, CohortMember, User


def cohorts_managed_by(user: User) -> list[Cohort]:
    return list(
        db.session.scalars(
            select(Cohort)
            .where(Cohort.managed_by(user))
            .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        ).unique()
    )


def cohorts_of_member(user: User) -> list[Cohort]:
    return list(
        db.session.scalars(
            select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user.id)
            .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        ).unique()
    )


def member_counts(cohort_ids: Iterable[int]) -> dict[int, int]:
    ids = list(cohort_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(CohortMember.cohort_id, func.count())
        .where(CohortMember.cohort_id.in_(ids))
        .group_by(CohortMember.cohort_id)
    )
    return {cohort_id: count for cohort_id, count in rows}


def member_count(cohort: Cohort) -> int:
    return member_counts([cohort.id]).get(cohort.id, 0)


def membership_of(cohort: Cohort, user_id: int) -> CohortMember | None:
    return db.session.get(CohortMember, (cohort.id, user_id))


def members_of(cohort: Cohort) -> list[CohortMember]:
    """Memberships with their people loaded, by name."""
    return list(
        db.session.scalars(
            select(CohortMember)
            .join(User, User.id == CohortMember.user_id)
            .where(CohortMember.cohort_id == cohort.id)
            # One query: the accounts come with the rows, without their roles.
            .options(
                contains_eager(CohortMember.user).options(
                    raiseload(User.role_grants), raiseload(User.academy_roles)
                )
            )
            .order_by(func.lower(User.display_name), User.id)
        )
    )
