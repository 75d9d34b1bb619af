"""The cohort table: every member against every module, with who is falling behind.

The cohort page shows one page of it (`PAGE_SIZE` members), and what that costs does
not grow with the cohort (`TableBuilder`):

- the figures for the whole cohort (members, completed, signed off, falling behind,
  sessions held) come from one aggregate query (`summary`);
- the order (by name, progress, attendance, last activity or status) is decided in
  SQL, which returns only the page's members, as plain tuples (`page`);
- only those members' progress (`learning.progress_for_members`) and attendance are
  loaded, and their rows built from them (`_row`).

So the sorting and the summary need a member's progress and "falling behind" as SQL
expressions (`_Columns`). They follow the rules of `learning.MemberProgress.percent`
and of `_row`; tests/cohorts/test_table_pages.py checks that both agree on every
member of a varied cohort.

The CSV export (`whole`) is still every member, in a fixed number of queries.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select

from academy.extensions import db
from academy.models import (
    Attendance,
    Cohort,
    CohortMember,
    CohortSession,
    Enrolment,
    LessonCompletion,
    QuizAttempt,
    User,
)
from academy.models.cohorts import AttendanceStatus
from academy.models.types import UTCDateTime
from academy.services import cohort_summaries, learning
from academy.services.cohorts import AttendanceSummary, attendance_summaries, held_sessions
from academy.timeutil import utcnow

# A member is "behind the schedule" when the share of the course they have done trails
# the share of the cohort's time that has passed by more than this.
SCHEDULE_SLACK = 0.25

SORT_KEYS = ("name", "progress", "attendance", "last_active", "status")
# Sorting by one module's column is "module-<its id>"; the statement is the same for
# every module, which comes as parameters (`TableBuilder.sort_key`).
MODULE_SORT = "module"

# Members per page of the cohort page: a trainer on a phone reads a page at a time.
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class ModuleHead:
    """A current module of the course as the table's columns need it."""

    id: int
    title: str
    lesson_ids: tuple[int, ...]  # its current lessons
    quiz_id: int | None  # its current quiz

    @property
    def lessons_total(self) -> int:
        return len(self.lesson_ids)


def module_heads(course_id: int) -> list[ModuleHead]:
    """The course's current modules, lessons and quizzes, in order: from the course tree
    that `learning.progress_for_members` counts against (kept in memory per process)."""
    course = learning.course_tree(course_id)
    if course is None:
        return []
    return [
        ModuleHead(
            module.id,
            module.title,
            tuple(lesson.id for lesson in module.lessons),
            module.quiz.id if module.quiz is not None else None,
        )
        for module in course.modules
    ]


@dataclass(frozen=True, slots=True)
class Member:
    """What the table shows of a membership and its account (columns, not ORM rows)."""

    user_id: int
    display_name: str
    joined_at: datetime
    signed_off_at: datetime | None
    email: str = ""  # only the export reads it

    @property
    def signed_off(self) -> bool:
        return self.signed_off_at is not None


@dataclass(slots=True)
class MemberRow:
    member: Member
    progress: learning.MemberProgress
    attendance: AttendanceSummary
    last_active: datetime
    inactive_days: int | None  # days since last activity when past the cohort's limit
    behind_schedule: bool
    sign_off_blocker: str | None  # why the trainer cannot sign them off yet

    @property
    def user_id(self) -> int:
        return self.member.user_id

    @property
    def display_name(self) -> str:
        return self.member.display_name

    @property
    def completed(self) -> bool:
        return self.progress.completed

    @property
    def signed_off(self) -> bool:
        return self.member.signed_off

    @property
    def falling_behind(self) -> bool:
        return self.inactive_days is not None or self.behind_schedule

    def cells(self, modules: list[ModuleHead]) -> list[tuple[str, str | None]]:
        """Per module, what its cell says: lessons done, and the best quiz score when
        the module has a quiz ("2/3 lessons", "quiz 80% (passed)")."""
        done = self.progress.lessons_done_by_module
        best = self.progress.best_score_by_module
        passed = self.progress.passed_by_module
        cells: list[tuple[str, str | None]] = []
        for module in modules:
            lessons = f"{done.get(module.id, 0)}/{module.lessons_total} lessons"
            if module.quiz_id is None:
                cells.append((lessons, None))
                continue
            score = best.get(module.id)
            quiz = "quiz –" if score is None else f"quiz {score}%"
            cells.append((lessons, quiz + " (passed)" if passed.get(module.id) else quiz))
        return cells

    @property
    def flags(self) -> list[str]:
        flags = []
        if self.inactive_days is not None:
            flags.append(f"No activity for {self.inactive_days} days")
        if self.behind_schedule:
            flags.append("Behind the cohort's schedule")
        return flags


@dataclass(frozen=True, slots=True)
class Summary:
    """Figures for the whole cohort, whatever page is shown."""

    members: int
    completed: int
    signed_off: int
    falling_behind: int
    sessions_held: int
    next_session_at: datetime | None = None  # "sessions held" changes then

    @property
    def pages(self) -> int:
        """Pages of the cohort page's table (one, empty, for a cohort with no members)."""
        return max(1, -(-self.members // PAGE_SIZE))


@dataclass
class CohortTable:
    cohort: Cohort
    modules: list[ModuleHead]
    rows: list[MemberRow]
    summary: Summary
    expected_share: float  # of the course, by today, on the cohort's schedule
    page: int = 1
    paged: bool = False  # False: every member (the export)

    @property
    def sessions_held(self) -> int:
        return self.summary.sessions_held

    @property
    def pages(self) -> int:
        return self.summary.pages if self.paged else 1

    @property
    def first_shown(self) -> int:
        """Position of the first row shown among all members (1-based; 0 when none)."""
        if not self.rows:
            return 0
        return (self.page - 1) * PAGE_SIZE + 1 if self.paged else 1

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.rows) - 1 if self.rows else 0

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def page_links(self, around: int = 1) -> list[int | None]:
        """Page numbers to link to: the first, the last and those around this one, with
        None where two or more are left out ([1, None, 4, 5, 6, None, 10])."""
        shown = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        links: list[int | None] = []
        previous = 0
        for number in sorted(n for n in shown if 1 <= n <= self.pages):
            if number - previous == 2:
                links.append(number - 1)  # a gap of one page: the page, not "…"
            elif number - previous > 2:
                links.append(None)
            links.append(number)
            previous = number
        return links


def expected_share(cohort: Cohort, today: date) -> float:
    """How much of the course the cohort's schedule expects done by `today` (0 to 1)."""
    if today <= cohort.starts_on:
        return 0.0
    length = max((cohort.ends_on - cohort.starts_on).days, 1)
    return min((today - cohort.starts_on).days / length, 1.0)


def behind_schedule(percent: int, expected: float) -> bool:
    """Whether a member `percent` through the course trails the cohort's schedule."""
    return expected > 0 and percent / 100 + SCHEDULE_SLACK < expected


@dataclass(frozen=True, slots=True)
class _Schedule:
    now: datetime
    expected: float
    limit: timedelta  # no activity for this long: flagged

    @property
    def idle_since(self) -> datetime:
        """Last active at or before this: inactive for the cohort's number of days."""
        return self.now - self.limit

    @property
    def behind_below(self) -> int:
        """A member less than this percent through the course is behind the schedule:
        `behind_schedule` for the whole numbers a percentage can be, for SQL."""
        return next((p for p in range(101) if not behind_schedule(p, self.expected)), 101)


def _schedule(cohort: Cohort, now: datetime) -> _Schedule:
    return _Schedule(
        now=now,
        expected=expected_share(cohort, now.date()),
        limit=timedelta(days=cohort.inactive_after_days),
    )


# One member's row, from their progress -------------------------------------------------


def _row(
    cohort: Cohort,
    member: Member,
    progress: learning.MemberProgress,
    attendance: AttendanceSummary,
    schedule: _Schedule,
) -> MemberRow:
    last_active = max(filter(None, [progress.last_activity_at, member.joined_at]))
    finished = progress.completed or member.signed_off
    idle = schedule.now - last_active
    return MemberRow(
        member=member,
        progress=progress,
        attendance=attendance,
        last_active=last_active,
        inactive_days=idle.days if not finished and idle >= schedule.limit else None,
        behind_schedule=not finished and behind_schedule(progress.percent, schedule.expected),
        sign_off_blocker=_blocker(cohort, progress, attendance),
    )


def _blocker(
    cohort: Cohort, member: learning.MemberProgress, attendance: AttendanceSummary
) -> str | None:
    # The same rules as cohorts.sign_off_problem, from data already loaded.
    if not member.completed:
        return "Course not complete yet"
    return attendance_blocker(cohort, attendance)


def attendance_blocker(cohort: Cohort, attendance: AttendanceSummary) -> str | None:
    """Why the cohort's attendance rule holds a member back from sign-off, or None."""
    needed = cohort.min_attendance_percent
    if attendance.short_of(needed):
        return f"Attendance {attendance.percent}%, below the {needed}% needed"
    return None


# The same, in SQL, for every member at once ----------------------------------------------

# The statements are built once per shape and take the cohort's values as parameters
# (`TableBuilder.params`): building and keying them cost more than running them.
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


class _Columns:
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
def _summary_statement(columns: _Columns) -> sa.Select:
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
_MEMBER_COLUMNS = 4


@functools.cache
def _page_statement(columns: _Columns, sort: str, descending: bool) -> sa.Select:
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
def _whole_statement() -> sa.Select:
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
def _columns(has_items: bool, on_schedule: bool) -> _Columns:
    # One object per shape, so that the statements above are cached by it.
    return _Columns(has_items=has_items, on_schedule=on_schedule)


# Building the table ----------------------------------------------------------------------


class TableBuilder:
    """The cohort's table as of `now`: the summary, one page, or every member.

    With `keep_summary`, the whole-cohort figures may come from those kept for a
    while (`cohort_summaries`): the cohort page's, so that paging through a big
    cohort does not count all of it again for every page."""

    def __init__(self, cohort: Cohort, now: datetime | None = None, *, keep_summary: bool = False):
        self.cohort = cohort
        self.keep_summary = keep_summary
        self.schedule = _schedule(cohort, now or utcnow())
        self.modules = module_heads(cohort.course_id)
        # The course's current lessons and quizzes, as learning.progress_for_members counts.
        lesson_ids = [i for module in self.modules for i in module.lesson_ids]
        quiz_ids = [m.quiz_id for m in self.modules if m.quiz_id is not None]
        behind_below = self.schedule.behind_below
        self.columns = _columns(bool(lesson_ids or quiz_ids), behind_below > 0)
        self.params = {
            "cohort_id": cohort.id,
            "course_id": cohort.course_id,
            "now": self.schedule.now,
            "idle_since": self.schedule.idle_since,
            "behind_below": behind_below,
            "lesson_ids": lesson_ids,
            "quiz_ids": quiz_ids,
            "items": len(lesson_ids) + len(quiz_ids),
        }
        self._summary: Summary | None = None

    @property
    def now(self) -> datetime:
        return self.schedule.now

    def summary(self) -> Summary:
        """The whole cohort's figures, in one aggregate query (or kept, see the class)."""
        if self._summary is None:
            if self.keep_summary:
                self._summary = cohort_summaries.kept_figures(
                    self.cohort.id, self.now, self._count_summary
                )
            else:
                self._summary = self._count_summary()
        return self._summary

    def _count_summary(self) -> Summary:
        members, completed, signed_off, behind, held, next_session_at = db.session.execute(
            _summary_statement(self.columns), self.params
        ).one()
        return Summary(
            members=members,
            completed=int(completed),
            signed_off=int(signed_off),
            falling_behind=int(behind),
            sessions_held=int(held or 0),
            next_session_at=next_session_at,
        )

    def sort_key(self, asked: str | None) -> str:
        """`asked` if the table can be sorted by it (one of `SORT_KEYS`, or
        "module-<id>" for a module of this course), else "name"."""
        if asked in SORT_KEYS:
            return asked
        prefix, _, number = (asked or "").partition("-")
        if prefix == MODULE_SORT and number.isdigit() and self._module(int(number)):
            return asked
        return "name"

    def _module(self, module_id: int) -> ModuleHead | None:
        return next((module for module in self.modules if module.id == module_id), None)

    def page(self, page: int = 1, sort: str = "name", descending: bool = False) -> CohortTable:
        """Page `page` (from 1) of the table sorted by `sort` (see `sort_key`): only its
        members are loaded. A page past the last is empty."""
        summary = self.summary()
        page = max(page, 1)
        rows: list[MemberRow] = []
        sort = self.sort_key(sort)
        params = {**self.params, "offset": (page - 1) * PAGE_SIZE}
        if sort.startswith(MODULE_SORT):
            module = self._module(int(sort.partition("-")[2]))
            params.update(module_lesson_ids=list(module.lesson_ids), module_quiz_id=module.quiz_id)
            sort = MODULE_SORT
        if summary.members and page <= summary.pages:
            statement = _page_statement(self.columns, sort, descending)
            found = db.session.execute(statement, params)
            members, enrolments = [], []
            for row in found:
                members.append(Member(*row[:_MEMBER_COLUMNS]))
                if row.enrolled_at is not None:  # outer-joined: None when not enrolled
                    enrolments.append(learning.EnrolmentFacts(*row[_MEMBER_COLUMNS:]))
            attendance = attendance_summaries(
                self.cohort,
                self.now,
                user_ids=[member.user_id for member in members],
                held=summary.sessions_held,
            )
            rows = self._rows(members, attendance, enrolments)
        return CohortTable(
            cohort=self.cohort,
            modules=self.modules,
            rows=rows,
            summary=summary,
            expected_share=self.schedule.expected,
            page=page,
            paged=True,
        )

    def whole(self) -> CohortTable:
        """Every member, by name (the CSV export), in a fixed number of queries."""
        found = db.session.execute(_whole_statement(), {"cohort_id": self.cohort.id})
        members = [Member(*row) for row in found]
        attendance = attendance_summaries(self.cohort, self.now)
        rows = self._rows(members, attendance)
        summary = Summary(
            members=len(rows),
            completed=sum(1 for row in rows if row.completed),
            signed_off=sum(1 for row in rows if row.signed_off),
            falling_behind=sum(1 for row in rows if row.falling_behind),
            sessions_held=attendance.held,
        )
        return CohortTable(
            cohort=self.cohort,
            modules=self.modules,
            rows=rows,
            summary=summary,
            expected_share=self.schedule.expected,
        )

    def _rows(
        self,
        members: list[Member],
        attendance: dict[int, AttendanceSummary],
        enrolments: list[learning.EnrolmentFacts] | None = None,
    ) -> list[MemberRow]:
        """Rows for `members`, in their order, with their progress (a fixed number of
        queries, about these members only; `enrolments`: theirs, when read already)."""
        ids = [member.user_id for member in members]
        progress = learning.progress_for_members(self.cohort.course_id, ids, enrolments)
        return [
            _row(self.cohort, m, progress[m.user_id], attendance[m.user_id], self.schedule)
            for m in members
        ]


def whole_table(cohort: Cohort, now: datetime | None = None) -> CohortTable:
    return TableBuilder(cohort, now).whole()


# CSV export ------------------------------------------------------------------------------

# A cell starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formula injection: text that could start a formula gets a
    leading apostrophe (numbers are left as numbers)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _iso(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else ""


def export_rows(table: CohortTable) -> Iterator[list[object]]:
    header = ["Name", "E-mail", "Joined"]
    for module in table.modules:
        header.append(f"{module.title}: lessons done (of {module.lessons_total})")
        if module.quiz_id is not None:
            header.append(f"{module.title}: best quiz score (%)")
    header += [
        "Lessons done",
        "Progress (%)",
        f"Sessions attended (of {table.sessions_held})",
        "Attendance (%)",
        "Last active",
        "Falling behind",
        "Course completed",
        "Signed off",
    ]
    yield header
    for row in table.rows:
        cells: list[object] = [
            row.member.display_name,
            row.member.email,
            _iso(row.member.joined_at),
        ]
        for module in table.modules:
            cells.append(row.progress.lessons_done_by_module.get(module.id, 0))
            if module.quiz_id is not None:
                score = row.progress.best_score_by_module.get(module.id)
                cells.append("" if score is None else score)
        cells += [
            row.progress.lessons_done,
            row.progress.percent,
            row.attendance.present,
            "" if row.attendance.percent is None else row.attendance.percent,
            _iso(row.last_active),
            "; ".join(row.flags),
            _iso(row.progress.completed_at),
            _iso(row.member.signed_off_at),
        ]
        yield cells


def export_csv(table: CohortTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for cells in export_rows(table):
        writer.writerow([safe_cell(cell) for cell in cells])
    # A byte-order mark so that Excel reads the names as UTF-8.
    return "\ufeff" + buffer.getvalue()
