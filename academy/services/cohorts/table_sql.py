"""The cohort table's rules in SQL, so that the database sorts, pages and counts.

The cohort page shows one page of the table, and what that costs must not grow
with the cohort: the order (by name, progress, attendance, last activity, status
or one module) is decided in SQL, which returns only the page's members, and the
whole cohort's figures come from one aggregate. So a member's progress and
"falling behind" are written here as SQL expressions (`Columns`), following
`learning.MemberProgress.percent` and `table_rows.build_row`;
tests/cohorts/test_table_pages.py checks that both agree on every member of a
varied cohort.
"""

from __future__ import annotations

import functools
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func, select

from academy.models import (
    Attendance,
    CohortMember,
    CohortSession,
    Enrolment,
    LessonCompletion,
    QuizAttempt,
    User,
)
from academy.models.cohorts import AttendanceStatus
from academy.models.types import UTCDateTime
from academy.services import learning
from academy.services.cohorts.sessions import held_sessions
from academy.services.cohorts.table_rows import PAGE_SIZE

SORT_KEYS = ("name", "progress", "attendance", "last_active", "status")
# Sorting by one module's column is "module-<its id>"; the statement is the same for
# every module, which comes as parameters (`table.TableBuilder.sort_key`).
MODULE_SORT = "module"


# The statements are built once per shape and take the cohort's values as parameters
# (`table.TableBuilder.params`): building and keying them cost more than running them.
_COHORT = sa.bindparam("cohort_id", type_=sa.Integer)
_COURSE = sa.bindparam("course_id", type_=sa.Integer)
_NOW = sa.bindparam("now", type_=UTCDateTime())
_IDLE_SINCE = sa.bindparam("idle_since", type_=UTCDateTime())
_BEHIND_BELOW = sa.bindparam("behind_below", type_=sa.Integer)
_LESSON_IDS = sa.bindparam("lesson_ids", expanding=True, type_=sa.Integer)
_QUIZ_IDS = sa.bindparam("quiz_ids", expanding=True, type_=sa.Integer)
_ITEMS = sa.bindparam("items", type_=sa.Integer)  # current lessons and quizzes
# The module a "module-<id>" sort is by: its current lessons and its quiz.
_MODULE_LESSON_IDS = sa.bindparam("module_lesson_ids", expanding=True, type_=sa.Integer)
_MODULE_QUIZ = sa.bindparam("module_quiz_id", type_=sa.Integer)
_OFFSET = sa.bindparam("offset", type_=sa.Integer)


def _lessons_done(lesson_ids: sa.BindParameter) -> sa.ScalarSelect[int]:
    """How many of `lesson_ids` the member of the `CohortMember` row has completed."""
    return (
        select(func.count())
        .select_from(LessonCompletion)
        .where(
            LessonCompletion.user_id == CohortMember.user_id,
            LessonCompletion.course_id == _COURSE,
            LessonCompletion.lesson_id.in_(lesson_ids),
        )
        .scalar_subquery()
    )


class Columns:
    """SQL expressions over `CohortMember` (outer-joined to the member's `Enrolment` in
    the cohort's course, see `query`) that mirror the Python rules.

    `has_items`: the course has lessons or quizzes (else everyone is at 0% until
    complete); `on_schedule`: the schedule expects something done by now, so being
    behind it is possible."""

    def __init__(self, *, has_items: bool, on_schedule: bool):
        self.has_items = has_items
        self.on_schedule = on_schedule

    def query(self, *columns) -> sa.Select:
        return (
            select(*columns)
            .select_from(CohortMember)
            .outerjoin(
                Enrolment,
                sa.and_(Enrolment.user_id == CohortMember.user_id, Enrolment.course_id == _COURSE),
            )
            .where(CohortMember.cohort_id == _COHORT)
        )

    @property
    def completed(self) -> sa.ColumnElement[bool]:
        return Enrolment.completed_at.is_not(None)

    @property
    def signed_off(self) -> sa.ColumnElement[bool]:
        return CohortMember.signed_off_at.is_not(None)

    @property
    def last_active(self) -> sa.ColumnElement[datetime]:
        """The later of the last activity in the course and joining the cohort."""
        return sa.type_coerce(
            sa.case(
                (Enrolment.last_activity_at > CohortMember.joined_at, Enrolment.last_activity_at),
                else_=CohortMember.joined_at,
            ),
            UTCDateTime(),
        )

    @property
    def percent(self) -> sa.ColumnElement[int]:
        """`MemberProgress.percent`: 100 once complete, else current lessons done and
        current quizzes passed out of all of them, rounded down."""
        if not self.has_items:
            return sa.case((self.completed, 100), else_=0)
        lessons_done = _lessons_done(_LESSON_IDS)
        quizzes_passed = (
            select(func.count(sa.distinct(QuizAttempt.quiz_id)))
            .where(
                QuizAttempt.user_id == CohortMember.user_id,
                QuizAttempt.course_id == _COURSE,
                QuizAttempt.quiz_id.in_(_QUIZ_IDS),
                QuizAttempt.submitted_at.is_not(None),
                QuizAttempt.passed,
            )
            .scalar_subquery()
        )
        return sa.case(
            (self.completed, 100), else_=(100 * (lessons_done + quizzes_passed)) // _ITEMS
        )

    @property
    def falling_behind(self) -> sa.ColumnElement[bool]:
        """Not finished, and inactive for the cohort's days or behind its schedule."""
        unfinished = sa.and_(Enrolment.completed_at.is_(None), CohortMember.signed_off_at.is_(None))
        reasons = [self.last_active <= _IDLE_SINCE]
        if self.on_schedule:
            reasons.append(self.percent < _BEHIND_BELOW)
        return sa.and_(unfinished, sa.or_(*reasons))

    @property
    def status_rank(self) -> sa.ColumnElement[int]:
        """Falling behind first, then on track, completed, signed off."""
        return sa.case((self.signed_off, 3), (self.completed, 2), (self.falling_behind, 0), else_=1)

    @property
    def sessions_attended(self) -> sa.ColumnElement[int]:
        """Sessions held so far that the member attended (as `attendance_summaries`
        counts them; their percentage is this out of the same sessions for everyone)."""
        return (
            select(func.count())
            .select_from(Attendance)
            .join(CohortSession, CohortSession.id == Attendance.session_id)
            .where(
                Attendance.user_id == CohortMember.user_id,
                Attendance.status == AttendanceStatus.PRESENT,
                held_sessions(_COHORT, _NOW),
            )
            .scalar_subquery()
        )

    @property
    def module_progress(self) -> list[sa.ColumnElement[int]]:
        """Lessons done in one module (the `module_*` parameters), then the best score
        at its quiz (-1 before any): what the module's cell in the table shows."""
        lessons_done = _lessons_done(_MODULE_LESSON_IDS)
        best_score = (
            select(func.coalesce(func.max(QuizAttempt.score), -1))
            .where(
                QuizAttempt.user_id == CohortMember.user_id,
                QuizAttempt.quiz_id == _MODULE_QUIZ,
                QuizAttempt.submitted_at.is_not(None),
            )
            .scalar_subquery()
        )
        return [lessons_done, best_score]

    def order_by(self, sort: str, descending: bool) -> list[sa.ColumnElement]:
        """The table's order: by `sort`, ties by name (A to Z) then account."""
        name = func.lower(User.display_name)
        if sort == MODULE_SORT:
            keys = self.module_progress
        elif sort not in SORT_KEYS or sort == "name":
            if descending:
                return [name.desc(), CohortMember.user_id.desc()]
            return [name, CohortMember.user_id]
        else:
            keys = [
                {
                    "progress": lambda: self.percent,
                    "attendance": lambda: self.sessions_attended,
                    "last_active": lambda: self.last_active,
                    "status": lambda: self.status_rank,
                }[sort]()
            ]
        return [*(key.desc() if descending else key for key in keys), name, CohortMember.user_id]


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return func.coalesce(func.sum(sa.case((condition, 1), else_=0)), 0)


@functools.cache
def summary_statement(columns: Columns) -> sa.Select:
    held = (
        select(func.count())
        .select_from(CohortSession)
        .where(held_sessions(_COHORT, _NOW))
        .scalar_subquery()
    )
    next_session = (
        select(func.min(CohortSession.starts_at))
        .where(CohortSession.cohort_id == _COHORT, CohortSession.starts_at > _NOW)
        .scalar_subquery()
    )
    return columns.query(
        func.count(),
        _count(columns.completed),
        _count(columns.signed_off),
        _count(columns.falling_behind),
        held,
        sa.type_coerce(next_session, UTCDateTime()),
    )


# The page's members come with their enrolment in the course (the statement joins it
# to sort by progress anyway), so their progress needs one round trip fewer.
MEMBER_COLUMNS = 4


@functools.cache
def page_statement(columns: Columns, sort: str, descending: bool) -> sa.Select:
    return (
        columns.query(
            CohortMember.user_id,
            User.display_name,
            CohortMember.joined_at,
            CohortMember.signed_off_at,
            *learning.ENROLMENT_FACTS,
        )
        .join(User, User.id == CohortMember.user_id)
        .order_by(*columns.order_by(sort, descending))
        .limit(PAGE_SIZE)
        .offset(_OFFSET)
    )


@functools.cache
def whole_statement() -> sa.Select:
    return (
        select(
            CohortMember.user_id,
            User.display_name,
            CohortMember.joined_at,
            CohortMember.signed_off_at,
            User.email,
        )
        .join(User, User.id == CohortMember.user_id)
        .where(CohortMember.cohort_id == _COHORT)
        .order_by(func.lower(User.display_name), CohortMember.user_id)
    )


@functools.cache
def columns_for(has_items: bool, on_schedule: bool) -> Columns:
    # One object per shape, so that the statements above are cached by it.
    return Columns(has_items=has_items, on_schedule=on_schedule)
