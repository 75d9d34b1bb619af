"""The dashboard's figures for a scope: the headline counts, month by month over the
last year, and per course, cohort and trainer.

Every figure is an aggregate computed in the database with GROUP BY, so a page
runs the same number of queries whatever the amount of data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select

from academy import formatting
from academy.extensions import db
from academy.models import (
    Academy,
    Certificate,
    Cohort,
    CohortMember,
    CohortTrainer,
    Course,
    Enrolment,
    TrainerLineage,
    TrainerPromotion,
    User,
)
from academy.models.certificates import CertificateStatus, PromotionDecision
from academy.services.reports.scope import Scope, certificates_in, cohorts_in, enrolments_in
from academy.services.reports.tables import Row, Table
from academy.timeutil import utcnow

ACTIVE_DAYS = 30
MONTHS = 12


# Months ---------------------------------------------------------------------------------


def month_of(column: sa.ColumnElement) -> sa.ColumnElement[str]:
    """'YYYY-MM' of a UTC datetime column, on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.strftime("%Y-%m", column)
    return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")


def last_months(today: date, n: int = MONTHS) -> list[str]:
    """The n months up to and including this one, oldest first, as 'YYYY-MM'."""
    months = []
    year, month = today.year, today.month
    for _ in range(n):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def month_label(key: str) -> str:
    """'2026-09' as a chart's axis shows it: Sept 2026 (academy.formatting)."""
    year, month = key.split("-")
    return formatting.month_label(int(year), int(month))


# The dashboard --------------------------------------------------------------------------


@dataclass
class Summary:
    members_enrolled: int
    active_recently: int
    courses_completed: int
    members_completed: int
    certificates_issued: int
    trainers: int
    members_trained: int


def summary(scope: Scope, now: datetime | None = None) -> Summary:
    """The headline figures, in one query."""
    now = now or utcnow()
    e = enrolments_in(scope)
    c = certificates_in(scope)
    cutoff = now - timedelta(days=ACTIVE_DAYS)
    members = sa.func.count(sa.distinct(e.c.user_id))
    in_scope = CohortTrainer.cohort_id.in_(cohorts_in(scope))
    row = db.session.execute(
        select(
            select(members).scalar_subquery(),
            select(members).where(e.c.last_activity_at >= cutoff).scalar_subquery(),
            select(sa.func.count()).where(e.c.completed_at.is_not(None)).scalar_subquery(),
            select(members).where(e.c.completed_at.is_not(None)).scalar_subquery(),
            select(sa.func.count()).select_from(c).scalar_subquery(),
            select(sa.func.count(sa.distinct(CohortTrainer.user_id)))
            .where(in_scope)
            .scalar_subquery(),
            select(sa.func.count(sa.distinct(CohortMember.user_id)))
            .where(CohortMember.cohort_id.in_(cohorts_in(scope)))
            .scalar_subquery(),
        )
    ).one()
    return Summary(*(int(v or 0) for v in row))


def monthly(scope: Scope, today: date | None = None) -> Table:
    """Per month over the last year: enrolments, completions, certificates, members joining
    cohorts and trainers promoted (5 queries)."""
    today = today or utcnow().date()
    months = last_months(today)
    start = datetime.fromisoformat(months[0] + "-01").replace(tzinfo=utcnow().tzinfo)
    e = enrolments_in(scope)
    c = certificates_in(scope)
    joined = (
        select(CohortMember.joined_at)
        .where(CohortMember.cohort_id.in_(cohorts_in(scope)))
        .subquery("j")
    )
    promotions = select(TrainerPromotion.decided_at).where(
        TrainerPromotion.decision == PromotionDecision.PROMOTED
    )
    if not scope.national:
        promotions = promotions.where(TrainerPromotion.academy_id == scope.academy.id)
    promoted = promotions.subquery("p")

    def per_month(column, source) -> dict[str, int]:
        month = month_of(column).label("month")
        rows = db.session.execute(
            select(month, sa.func.count())
            .select_from(source)
            .where(column >= start)
            .group_by(month)
        )
        return {m: n for m, n in rows}

    series = [
        per_month(e.c.enrolled_at, e),
        per_month(e.c.completed_at, e),
        per_month(c.c.issued_at, c),
        per_month(joined.c.joined_at, joined),
        per_month(promoted.c.decided_at, promoted),
    ]
    table = Table(
        "monthly",
        "Each month: enrolments, course completions, certificates issued, members joining "
        "cohorts and new trainers",
        ["Month", "Enrolments", "Completions", "Certificates", "Joined cohorts", "New trainers"],
    )
    for key in months:
        table.rows.append(Row(month_label(key), [counts.get(key, 0) for counts in series]))
    return table


def by_course(scope: Scope, now: datetime | None = None) -> Table:
    """Per course: enrolled, active in the last 30 days, completed, certified (2 queries)."""
    now = now or utcnow()
    e = enrolments_in(scope)
    c = certificates_in(scope)
    cutoff = now - timedelta(days=ACTIVE_DAYS)
    learning = db.session.execute(
        select(
            Course.id,
            Course.title,
            sa.func.count(sa.distinct(e.c.user_id)),
            sa.func.count(sa.distinct(sa.case((e.c.last_activity_at >= cutoff, e.c.user_id)))),
            sa.func.count(sa.distinct(sa.case((e.c.completed_at.is_not(None), e.c.user_id)))),
        )
        .join(e, e.c.course_id == Course.id)
        .group_by(Course.id, Course.title)
        .order_by(Course.position, Course.title)
    ).all()
    issued = dict(
        db.session.execute(
            select(c.c.course_id, sa.func.count()).select_from(c).group_by(c.c.course_id)
        ).all()
    )
    table = Table(
        "courses",
        "By course: members enrolled, active in the last 30 days, completed and certified",
        ["Course", "Enrolled", "Active (30 days)", "Completed", "Certificates"],
    )
    for course_id, title, enrolled, active, completed in learning:
        table.rows.append(Row(title, [enrolled, active, completed, issued.pop(course_id, 0)]))
    if issued:  # certificates for courses nobody in scope is enrolled in any more
        titles = dict(
            db.session.execute(select(Course.id, Course.title).where(Course.id.in_(issued))).all()
        )
        for course_id, n in issued.items():
            table.rows.append(Row(titles.get(course_id, "?"), [0, 0, 0, n]))
    return table


def by_cohort(scope: Scope, now: datetime | None = None) -> Table:
    """Per cohort: members, active, completed, signed off, certified (2 queries)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=ACTIVE_DAYS)
    query = (
        select(
            Cohort.id,
            Cohort.name,
            Course.title,
            Academy.name,
            sa.func.count(CohortMember.user_id),
            sa.func.count(sa.case((Enrolment.last_activity_at >= cutoff, CohortMember.user_id))),
            sa.func.count(sa.case((Enrolment.completed_at.is_not(None), CohortMember.user_id))),
            sa.func.count(CohortMember.signed_off_at),
        )
        .join(Course, Course.id == Cohort.course_id)
        .join(Academy, Academy.id == Cohort.academy_id)
        .outerjoin(CohortMember, CohortMember.cohort_id == Cohort.id)
        .outerjoin(
            Enrolment,
            sa.and_(
                Enrolment.user_id == CohortMember.user_id, Enrolment.course_id == Cohort.course_id
            ),
        )
        .group_by(Cohort.id, Cohort.name, Course.title, Academy.name, Cohort.starts_on)
        .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    )
    if not scope.national:
        query = query.where(Cohort.academy_id == scope.academy.id)
    rows = db.session.execute(query).all()
    c = certificates_in(scope)
    issued = dict(
        db.session.execute(
            select(c.c.cohort_id, sa.func.count())
            .select_from(c)
            .where(c.c.cohort_id.is_not(None))
            .group_by(c.c.cohort_id)
        ).all()
    )
    table = Table(
        "cohorts",
        "By cohort: members, active in the last 30 days, completed, signed off and certified",
        ["Cohort", "Members", "Active (30 days)", "Completed", "Signed off", "Certificates"],
    )
    for cohort_id, name, course, academy, members, active, completed, signed in rows:
        note = f"{course}" if not scope.national else f"{course}, {academy}"
        table.rows.append(
            Row(name, [members, active, completed, signed, issued.get(cohort_id, 0)], note)
        )
    return table


def by_trainer(scope: Scope) -> Table:
    """Per trainer: cohorts run, members trained, who completed, certified, became trainers."""
    cohorts = cohorts_in(scope)
    trained = (
        select(
            CohortTrainer.user_id.label("trainer_id"),
            CohortMember.user_id.label("member_id"),
            Cohort.course_id,
            Cohort.id.label("cohort_id"),
        )
        .join(Cohort, Cohort.id == CohortTrainer.cohort_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortTrainer.cohort_id.in_(cohorts), CohortMember.user_id != CohortTrainer.user_id)
        .subquery("t")
    )
    rows = db.session.execute(
        select(
            User.id,
            User.display_name,
            select(sa.func.count(sa.distinct(CohortTrainer.cohort_id)))
            .where(CohortTrainer.user_id == User.id, CohortTrainer.cohort_id.in_(cohorts))
            .scalar_subquery(),
            sa.func.count(sa.distinct(trained.c.member_id)),
            sa.func.count(
                sa.distinct(sa.case((Enrolment.completed_at.is_not(None), trained.c.member_id)))
            ),
            sa.func.count(sa.distinct(sa.case((Certificate.id.is_not(None), trained.c.member_id)))),
        )
        .join(trained, trained.c.trainer_id == User.id)
        .outerjoin(
            Enrolment,
            sa.and_(
                Enrolment.user_id == trained.c.member_id,
                Enrolment.course_id == trained.c.course_id,
            ),
        )
        .outerjoin(
            Certificate,
            sa.and_(
                Certificate.cohort_id == trained.c.cohort_id,
                Certificate.user_id == trained.c.member_id,
                Certificate.status != CertificateStatus.SUPERSEDED,
            ),
        )
        .group_by(User.id, User.display_name)
        .order_by(sa.func.count(sa.distinct(trained.c.member_id)).desc(), User.display_name)
    ).all()
    lineage = select(
        TrainerLineage.trainer_id, sa.func.count(sa.distinct(TrainerLineage.trainee_id))
    )
    if not scope.national:
        lineage = lineage.where(TrainerLineage.academy_id == scope.academy.id)
    became = dict(db.session.execute(lineage.group_by(TrainerLineage.trainer_id)).all())
    table = Table(
        "trainers",
        "By trainer: cohorts run, members trained, who completed, were certified, became trainers",
        ["Trainer", "Cohorts", "Members trained", "Completed", "Certified", "Became trainers"],
    )
    for user_id, name, cohort_count, members, completed, certified in rows:
        table.rows.append(
            Row(name, [cohort_count, members, completed, certified, became.get(user_id, 0)])
        )
    return table
