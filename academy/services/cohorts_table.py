"""The cohort table: every member against every module, with who is falling behind.

Built in a fixed number of queries whatever the number of members: the members
with their accounts, their progress (`learning.progress_for_members`), and an
attendance summary, each in one or two grouped queries.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from academy.models import Cohort, CohortMember, Module, User
from academy.services import learning
from academy.services.cohorts import AttendanceSummary, attendance_summaries, members_of
from academy.timeutil import utcnow

# A member is "behind the schedule" when the share of the course they have done trails
# the share of the cohort's time that has passed by more than this.
SCHEDULE_SLACK = 0.25

SORT_KEYS = ("name", "progress", "attendance", "last_active", "status")


@dataclass
class MemberRow:
    membership: CohortMember
    progress: learning.MemberProgress
    attendance: AttendanceSummary
    last_active: datetime
    inactive_days: int | None  # days since last activity when past the cohort's limit
    behind_schedule: bool
    sign_off_blocker: str | None  # why the trainer cannot sign them off yet

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def completed(self) -> bool:
        return self.progress.completed

    @property
    def signed_off(self) -> bool:
        return self.membership.signed_off

    @property
    def falling_behind(self) -> bool:
        return self.inactive_days is not None or self.behind_schedule

    @property
    def status_rank(self) -> int:
        """For sorting by status: falling behind first, signed off last."""
        if self.signed_off:
            return 3
        if self.completed:
            return 2
        return 0 if self.falling_behind else 1

    @property
    def flags(self) -> list[str]:
        flags = []
        if self.inactive_days is not None:
            flags.append(f"No activity for {self.inactive_days} days")
        if self.behind_schedule:
            flags.append("Behind the cohort's schedule")
        return flags


@dataclass
class CohortTable:
    cohort: Cohort
    modules: list[Module]
    rows: list[MemberRow]
    sessions_held: int
    expected_share: float  # of the course, by today, on the cohort's schedule

    @property
    def behind_count(self) -> int:
        return sum(1 for row in self.rows if row.falling_behind)

    @property
    def signed_off_count(self) -> int:
        return sum(1 for row in self.rows if row.signed_off)


def expected_share(cohort: Cohort, today: date) -> float:
    """How much of the course the cohort's schedule expects done by `today` (0 to 1)."""
    if today <= cohort.starts_on:
        return 0.0
    length = max((cohort.ends_on - cohort.starts_on).days, 1)
    return min((today - cohort.starts_on).days / length, 1.0)


def build_table(
    cohort: Cohort, *, sort: str = "name", descending: bool = False, now: datetime | None = None
) -> CohortTable:
    now = now or utcnow()
    memberships = members_of(cohort)
    progress = learning.progress_for_members(cohort.course_id, [m.user_id for m in memberships])
    attendance = attendance_summaries(cohort, now)
    expected = expected_share(cohort, now.date())
    limit = timedelta(days=cohort.inactive_after_days)
    rows = []
    for membership in memberships:
        member = progress[membership.user_id]
        last_active = max(filter(None, [member.last_activity_at, membership.joined_at]))
        finished = member.completed or membership.signed_off
        idle = now - last_active
        rows.append(
            MemberRow(
                membership=membership,
                progress=member,
                attendance=attendance[membership.user_id],
                last_active=last_active,
                inactive_days=idle.days if not finished and idle >= limit else None,
                behind_schedule=not finished
                and expected > 0
                and member.percent / 100 + SCHEDULE_SLACK < expected,
                sign_off_blocker=_blocker(cohort, member, attendance[membership.user_id]),
            )
        )
    _sort(rows, sort, descending)
    return CohortTable(
        cohort=cohort,
        modules=list(cohort.course.modules),
        rows=rows,
        sessions_held=attendance.held,
        expected_share=expected,
    )


def _blocker(
    cohort: Cohort, member: learning.MemberProgress, attendance: AttendanceSummary
) -> str | None:
    # The same rules as cohorts.sign_off_problem, from data already loaded.
    if not member.completed:
        return "Course not complete yet"
    needed = cohort.min_attendance_percent
    if needed and attendance.percent is not None and attendance.percent < needed:
        return f"Attendance {attendance.percent}%, below the {needed}% needed"
    return None


def _sort(rows: list[MemberRow], sort: str, descending: bool) -> None:
    def by_name(row: MemberRow):
        return (row.user.display_name.casefold(), row.user.id)

    rows.sort(key=by_name)  # ties keep alphabetical order
    keys = {
        "name": None,
        "progress": lambda r: r.progress.percent,
        "attendance": lambda r: (r.attendance.percent is not None, r.attendance.percent or 0),
        "last_active": lambda r: r.last_active,
        "status": lambda r: r.status_rank,
    }
    key = keys.get(sort)
    if key is None:
        if descending:
            rows.reverse()
        return
    rows.sort(key=key, reverse=descending)


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
        header.append(f"{module.title}: lessons done (of {len(module.lessons)})")
        if module.quiz is not None:
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
            row.user.display_name,
            row.user.email,
            _iso(row.membership.joined_at),
        ]
        for module in table.modules:
            cells.append(row.progress.lessons_done_by_module.get(module.id, 0))
            if module.quiz is not None:
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
            _iso(row.membership.signed_off_at),
        ]
        yield cells


def export_csv(table: CohortTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for cells in export_rows(table):
        writer.writerow([safe_cell(cell) for cell in cells])
    # A byte-order mark so that Excel reads the names as UTF-8.
    return "\ufeff" + buffer.getvalue()
