"""The cohort table in Python: what each member's row shows and the rules behind it.

A row is a member against every current module of the course (lessons done, best
quiz score), with their attendance, last activity, whether they are falling
behind (inactive for the cohort's days, or behind its schedule) and what holds
back their sign-off. `Summary` is the whole cohort's figures and `CohortTable` one
page of rows with its pager.

`table_sql` writes the same rules as SQL, so that the database sorts and counts;
tests/cohorts/test_table_pages.py checks that both agree on every member of a
varied cohort.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from academy.models import Cohort
from academy.services import learning
from academy.services.cohorts.attendance import AttendanceSummary
from academy.services.cohorts.signing_off import attendance_blocker

# A member is "behind the schedule" when the share of the course they have done trails
# the share of the cohort's time that has passed by more than this.
SCHEDULE_SLACK = 0.25

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
class Schedule:
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


def schedule_for(cohort: Cohort, now: datetime) -> Schedule:
    return Schedule(
        now=now,
        expected=expected_share(cohort, now.date()),
        limit=timedelta(days=cohort.inactive_after_days),
    )


# One member's row, from their progress -------------------------------------------------


def build_row(
    cohort: Cohort,
    member: Member,
    progress: learning.MemberProgress,
    attendance: AttendanceSummary,
    schedule: Schedule,
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
    # The same rules as signing_off.sign_off_problem, from data already loaded.
    if not member.completed:
        return "Course not complete yet"
    return attendance_blocker(cohort, attendance)
