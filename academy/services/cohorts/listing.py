""" "Find training": the open cohorts anyone may see, a page at a time.

A listing says what the course is, who runs it (trainers' display names only),
when and where, and how many places are left: never who has joined or how many
are waiting. Online cohorts are listed whatever region is asked for. One query
reads a page (places and the next session come as correlated subqueries) and
one more its trainers' names, however many cohorts there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload

from academy.extensions import db
from academy.models import (
    Cohort,
    CohortMember,
    CohortSession,
    CohortTrainer,
    Course,
    Enrolment,
    User,
    WaitingPlace,
)
from academy.models.cohorts import CohortMode
from academy.paging import Page, Window
from academy.timeutil import utcnow


@dataclass(frozen=True)
class Filters:
    """What a visitor narrowed the list to (None: everything)."""

    academy_id: int | None = None
    course_id: int | None = None
    mode: str | None = None
    month: date | None = None  # the first day of the month


@dataclass(frozen=True)
class Listing:
    cohort: Cohort
    places_left: int
    next_session_at: datetime | None
    trainers: tuple[str, ...]

    @property
    def full(self) -> bool:
        return self.places_left <= 0


def _taken(now: datetime) -> sa.ScalarSelect:
    members = (
        select(func.count())
        .select_from(CohortMember)
        .where(CohortMember.cohort_id == Cohort.id)
        .correlate(Cohort)
        .scalar_subquery()
    )
    offers = (
        select(func.count())
        .select_from(WaitingPlace)
        .where(WaitingPlace.cohort_id == Cohort.id, WaitingPlace.offer_expires_at > now)
        .correlate(Cohort)
        .scalar_subquery()
    )
    return members + offers


def _next_session(now: datetime) -> sa.ScalarSelect:
    return (
        select(func.min(CohortSession.starts_at))
        .where(CohortSession.cohort_id == Cohort.id, CohortSession.starts_at > now)
        .correlate(Cohort)
        .scalar_subquery()
    )


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


# The course as a listing shows it: not its rendered introduction, nor its modules.
_COURSE_SHOWN = (
    joinedload(Cohort.course)
    .load_only(Course.id, Course.slug, Course.title, Course.summary, Course.retired_at)
    .lazyload(Course.modules)
)


def _matching(filters: Filters, now: datetime):
    """The ids of the open cohorts that match (a query to narrow further and page)."""
    query = (
        select(Cohort.id)
        .join(Course, Course.id == Cohort.course_id)
        .where(
            Cohort.is_open.is_(True),
            Cohort.signup_closed.is_(False),
            Cohort.ends_on >= now.date(),
            Course.retired_at.is_(None),
        )
    )
    if filters.academy_id is not None:
        query = query.where(
            sa.or_(Cohort.academy_id == filters.academy_id, Cohort.mode == CohortMode.ONLINE)
        )
    if filters.course_id is not None:
        query = query.where(Cohort.course_id == filters.course_id)
    if filters.mode is not None:
        query = query.where(Cohort.mode == filters.mode)
    if filters.month is not None:
        query = query.where(
            Cohort.starts_on <= _month_end(filters.month), Cohort.ends_on >= filters.month
        )
    return query


def _with_places(ids, now: datetime):
    """The cohorts among `ids` (at most a page), with places taken and next session."""
    return (
        select(Cohort, _taken(now).label("taken"), _next_session(now).label("next_at"))
        .where(Cohort.id.in_(ids))
        .options(_COURSE_SHOWN, lazyload(Cohort.trainer_links))
        .order_by(Cohort.starts_on, Cohort.id)
    )


def _trainer_names(cohort_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    if not cohort_ids:
        return {}
    rows = db.session.execute(
        select(CohortTrainer.cohort_id, User.display_name)
        .join(User, User.id == CohortTrainer.user_id)
        .where(CohortTrainer.cohort_id.in_(cohort_ids), User.disabled_at.is_(None))
        .order_by(CohortTrainer.cohort_id, CohortTrainer.added_at, User.id)
    )
    names: dict[int, list[str]] = {}
    for cohort_id, name in rows:
        names.setdefault(cohort_id, []).append(name)
    return {key: tuple(value) for key, value in names.items()}


def _listings(rows, *, trainers: bool = True) -> list[Listing]:
    names = _trainer_names([cohort.id for cohort, _taken, _next in rows]) if trainers else {}
    return [
        Listing(
            cohort=cohort,
            places_left=max(0, cohort.capacity - taken),
            next_session_at=next_at,
            trainers=names.get(cohort.id, ()),
        )
        for cohort, taken, next_at in rows
    ]


def find_training(filters: Filters, number: int = 1, *, size: int = 20) -> Page[Listing]:
    """One page of open cohorts, soonest first."""
    window = Window(number, size)
    now = utcnow()
    page = (
        _matching(filters, now)
        .order_by(Cohort.starts_on, Cohort.id)
        .offset(window.offset)
        .limit(window.limit)
    )
    # The page's ids first (one cheap indexed read), then their places and next session:
    # the correlated counts run for the page's rows only, not for every match.
    ids = list(db.session.scalars(page))
    rows = db.session.execute(_with_places(ids, now)).all() if ids else []
    return Page(
        items=_listings(rows[: window.size]),
        number=number,
        has_next=len(rows) > window.size,
    )


def listing(cohort_id: int) -> Listing | None:
    """One open cohort's listing (even when sign-up has closed or it has ended), or None."""
    now = utcnow()
    row = db.session.execute(
        _with_places([cohort_id], now).where(Cohort.is_open.is_(True))
    ).one_or_none()
    if row is None:
        return None
    return _listings([row])[0]


def near_you(user: User, *, limit: int = 5) -> list[Listing]:
    """For the dashboard: open cohorts in the member's region and online ones, for
    courses they have not completed, soonest first."""
    now = utcnow()
    completed = select(Enrolment.course_id).where(
        Enrolment.user_id == user.id, Enrolment.completed_at.is_not(None)
    )
    mine = select(CohortMember.cohort_id).where(CohortMember.user_id == user.id)
    where = [Cohort.mode == CohortMode.ONLINE]
    if user.home_academy_id is not None:
        where.append(Cohort.academy_id == user.home_academy_id)
    nearest = (
        _matching(Filters(), now)
        .where(sa.or_(*where), Cohort.course_id.not_in(completed), Cohort.id.not_in(mine))
        .order_by(Cohort.starts_on, Cohort.id)
        .limit(limit)
    )
    ids = list(db.session.scalars(nearest))
    rows = db.session.execute(_with_places(ids, now)).all() if ids else []
    # The dashboard shows no trainers' names: one query, whatever is listed.
    return _listings(rows, trainers=False)


def course_choices() -> list[tuple[int, str]]:
    """(id, title) of the courses offered, for the course filter (nothing else loaded)."""
    rows = db.session.execute(
        select(Course.id, Course.title)
        .where(Course.retired_at.is_(None))
        .order_by(Course.position, Course.title)
    )
    return [(course_id, title) for course_id, title in rows]
