"""What a report covers: one academy or the whole country, who may read which,
and the rows (enrolments, certificates, cohorts) that belong to each.

What belongs to an academy: members who joined one of its cohorts (and their
enrolment in that cohort's course), the certificates it issued, and the
trainers of its cohorts. Self-study enrolments belong to no academy; they count
in the national figures. Erased accounts keep counting (their rows stay,
anonymised), so figures do not change when a member leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import select

from academy.extensions import db
from academy.models import (
    Academy,
    Certificate,
    Cohort,
    CohortMember,
    Enrolment,
    Role,
    User,
    within_academies,
)
from academy.models.certificates import CertificateStatus


@dataclass(frozen=True)
class Scope:
    """One academy, or (academy None) every academy: the whole country."""

    academy: Academy | None

    @property
    def slug(self) -> str:
        return self.academy.slug if self.academy else "national"

    @property
    def label(self) -> str:
        return self.academy.full_name if self.academy else "All academies"

    @property
    def national(self) -> bool:
        return self.academy is None


def scopes_for(user: User) -> list[Scope]:
    """The scopes this person may report on: admins everything, staff their academies."""
    query = within_academies(select(Academy).order_by(Academy.name), Academy.id, user, Role.STAFF)
    academies = db.session.scalars(query).all()
    national = [Scope(None)] if user.acts_everywhere else []
    return [*national, *(Scope(a) for a in academies)]


def scope_by_slug(slug: str) -> Scope | None:
    if slug == "national":
        return Scope(None)
    academy = db.session.scalar(select(Academy).where(Academy.slug == slug))
    return Scope(academy) if academy else None


def can_report_on(user: User, scope: Scope) -> bool:
    """The whole country is for admins; an academy for its staff (and admins)."""
    if scope.national:
        return user.acts_everywhere
    return user.acts_in(scope.academy, Role.STAFF)


# What belongs to a scope -----------------------------------------------------------------


def enrolments_in(scope: Scope, course_id: int | None = None) -> sa.Subquery:
    """One row per enrolment in scope (in one course if given): user_id, course_id, cohort_id,
    dates."""
    if scope.national:
        query = select(
            Enrolment.user_id,
            Enrolment.course_id,
            sa.null().label("cohort_id"),
            Enrolment.enrolled_at,
            Enrolment.completed_at,
            Enrolment.last_activity_at,
        )
    else:
        query = (
            select(
                CohortMember.user_id,
                Cohort.course_id,
                Cohort.id.label("cohort_id"),
                Enrolment.enrolled_at,
                Enrolment.completed_at,
                Enrolment.last_activity_at,
            )
            .join(Cohort, Cohort.id == CohortMember.cohort_id)
            .join(
                Enrolment,
                sa.and_(
                    Enrolment.user_id == CohortMember.user_id,
                    Enrolment.course_id == Cohort.course_id,
                ),
            )
            .where(Cohort.academy_id == scope.academy.id)
        )
    if course_id is not None:
        query = query.where(Enrolment.course_id == course_id)
    return query.subquery("e")


def certificates_in(scope: Scope, course_id: int | None = None) -> sa.Subquery:
    """Certificates issued in scope (re-issues that replaced another are not counted twice)."""
    query = select(
        Certificate.id,
        Certificate.user_id,
        Certificate.course_id,
        Certificate.cohort_id,
        Certificate.issued_at,
    ).where(Certificate.status != CertificateStatus.SUPERSEDED)
    if not scope.national:
        query = query.where(Certificate.academy_id == scope.academy.id)
    if course_id is not None:
        query = query.where(Certificate.course_id == course_id)
    return query.subquery("c")


def cohorts_in(scope: Scope) -> sa.Select:
    query = select(Cohort.id)
    if not scope.national:
        query = query.where(Cohort.academy_id == scope.academy.id)
    return query
