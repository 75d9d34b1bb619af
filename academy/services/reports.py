"""Academy reports: members enrolled and active, completions, certificates, trainers.

Every figure is an aggregate computed in the database with GROUP BY, so a page
runs the same number of queries whatever the amount of data. A *scope* is one
academy (what its staff see) or the whole country (admins).

What belongs to an academy: members who joined one of its cohorts (and their
enrolment in that cohort's course), the certificates it issued, and the
trainers of its cohorts. Self-study enrolments belong to no academy; they count
in the national figures. Erased accounts keep counting (their rows stay,
anonymised), so figures do not change when a member leaves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select

from academy.extensions import db
from academy.models import (
    Academy,
    Certificate,
    Cohort,
    CohortMember,
    CohortTrainer,
    Course,
    Enrolment,
    Role,
    TrainerLineage,
    TrainerPromotion,
    User,
)
from academy.models.certificates import CertificateStatus, PromotionDecision
from academy.timeutil import utcnow

ACTIVE_DAYS = 30
MONTHS = 12


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
    academies = db.session.scalars(select(Academy).order_by(Academy.name)).all()
    if user.has_role(Role.ADMIN):
        return [Scope(None), *(Scope(a) for a in academies)]
    mine = user.academy_ids(Role.STAFF)
    return [Scope(a) for a in academies if a.id in mine]


def scope_by_slug(slug: str) -> Scope | None:
    if slug == "national":
        return Scope(None)
    academy = db.session.scalar(select(Academy).where(Academy.slug == slug))
    return Scope(academy) if academy else None


def can_report_on(user: User, scope: Scope) -> bool:
    if user.has_role(Role.ADMIN):
        return True
    return scope.academy is not None and scope.academy.id in user.academy_ids(Role.STAFF)


# Building blocks ------------------------------------------------------------------------


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
    year, month = key.split("-")
    return date(int(year), int(month), 1).strftime("%b %Y")


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


@dataclass
class Row:
    """One line of a table: a label and its numbers, in the column order of the table."""

    label: str
    values: list[int | None]
    note: str = ""


@dataclass
class Table:
    key: str
    caption: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)

    def csv_rows(self) -> list[list[object]]:
        return [[row.label, *row.values] for row in self.rows]


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


# The training cascade -------------------------------------------------------------------


@dataclass
class CascadeNode:
    user_id: int
    name: str
    members_trained: int
    children: list[CascadeNode] = field(default_factory=list)
    depth: int = 0

    @property
    def downstream_members(self) -> int:
        return self.members_trained + sum(child.downstream_members for child in self.children)

    @property
    def downstream_trainers(self) -> int:
        return len(self.children) + sum(child.downstream_trainers for child in self.children)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def cascade(scope: Scope) -> list[CascadeNode]:
    """Trees of who trained whom to become a trainer, with members each trained (3 queries)."""
    cohorts = cohorts_in(scope)
    trained = dict(
        db.session.execute(
            select(CohortTrainer.user_id, sa.func.count(sa.distinct(CohortMember.user_id)))
            .join(CohortMember, CohortMember.cohort_id == CohortTrainer.cohort_id)
            .where(
                CohortTrainer.cohort_id.in_(cohorts),
                CohortMember.user_id != CohortTrainer.user_id,
            )
            .group_by(CohortTrainer.user_id)
        ).all()
    )
    edges_query = select(TrainerLineage.trainer_id, TrainerLineage.trainee_id).where(
        TrainerLineage.trainer_id.is_not(None)
    )
    if not scope.national:
        edges_query = edges_query.where(TrainerLineage.academy_id == scope.academy.id)
    edges = sorted(set(db.session.execute(edges_query.distinct()).all()))
    people = set(trained) | {a for a, _ in edges} | {b for _, b in edges}
    names = (
        dict(
            db.session.execute(select(User.id, User.display_name).where(User.id.in_(people))).all()
        )
        if people
        else {}
    )
    children: dict[int, list[int]] = defaultdict(list)
    has_parent: set[int] = set()
    for trainer_id, trainee_id in edges:
        if trainee_id != trainer_id and trainee_id not in has_parent:
            # A trainee trained by several trainers sits under the first (by id); the
            # table still counts them once.
            children[trainer_id].append(trainee_id)
            has_parent.add(trainee_id)

    def build(user_id: int, depth: int, seen: frozenset[int]) -> CascadeNode:
        node = CascadeNode(user_id, names.get(user_id, "?"), trained.get(user_id, 0), depth=depth)
        for child in children.get(user_id, []):
            if child not in seen:
                node.children.append(build(child, depth + 1, seen | {child}))
        return node

    roots = sorted((p for p in people if p not in has_parent), key=lambda p: (names.get(p, ""), p))
    trees = [build(root, 0, frozenset({root})) for root in roots]
    trees.sort(key=lambda n: (-n.downstream_members, n.name))
    return trees


def cascade_table(trees: list[CascadeNode]) -> Table:
    table = Table(
        "cascade",
        "The training cascade: each trainer, who trained them, and everyone trained down the line",
        [
            "Trainer",
            "Generation",
            "Members trained",
            "Became trainers",
            "Trainers down the line",
            "Members trained down the line",
        ],
    )
    for tree in trees:
        parents: dict[int, str] = {}
        for node in tree.walk():
            for child in node.children:
                parents[child.user_id] = node.name
            table.rows.append(
                Row(
                    node.name,
                    [
                        node.depth + 1,
                        node.members_trained,
                        len(node.children),
                        node.downstream_trainers,
                        node.downstream_members,
                    ],
                    parents.get(node.user_id, ""),
                )
            )
    return table
