"""The cohort table, built: one page of it for the cohort page, or every member for
the CSV export.

What a page costs does not grow with the cohort (`TableBuilder`):

- the figures for the whole cohort (members, completed, signed off, falling behind,
  sessions held) come from one aggregate query (`summary`), or from those kept for
  a while (`summaries`);
- the order is decided in SQL (`table_sql`), which returns only the page's members,
  as plain tuples (`page`);
- only those members' progress (`learning.progress_for_members`) and attendance are
  loaded, and their rows built from them (`table_rows.build_row`).

The CSV export (`whole`, `export_csv`) is still every member, in a fixed number of
queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from academy.csv_export import csv_text
from academy.extensions import db
from academy.formatting import iso_date
from academy.models import Cohort
from academy.services import learning
from academy.services.cohorts import summaries
from academy.services.cohorts.attendance import AttendanceSummary, attendance_summaries
from academy.services.cohorts.table_rows import (
    PAGE_SIZE,
    CohortTable,
    Member,
    MemberRow,
    ModuleHead,
    Summary,
    build_row,
    module_heads,
    schedule_for,
)
from academy.services.cohorts.table_sql import (
    MEMBER_COLUMNS,
    MODULE_SORT,
    SORT_KEYS,
    columns_for,
    page_statement,
    summary_statement,
    whole_statement,
)
from academy.timeutil import utcnow


class TableBuilder:
    """The cohort's table as of `now`: the summary, one page, or every member.

    With `keep_summary`, the whole-cohort figures may come from those kept for a
    while (`summaries`): the cohort page's, so that paging through a big
    cohort does not count all of it again for every page."""

    def __init__(self, cohort: Cohort, now: datetime | None = None, *, keep_summary: bool = False):
        self.cohort = cohort
        self.keep_summary = keep_summary
        self.schedule = schedule_for(cohort, now or utcnow())
        self.modules = module_heads(cohort.course_id)
        # The course's current lessons and quizzes, as learning.progress_for_members counts.
        lesson_ids = [i for module in self.modules for i in module.lesson_ids]
        quiz_ids = [m.quiz_id for m in self.modules if m.quiz_id is not None]
        behind_below = self.schedule.behind_below
        self.columns = columns_for(bool(lesson_ids or quiz_ids), behind_below > 0)
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
                self._summary = summaries.kept_figures(
                    self.cohort.id, self.now, self._count_summary
                )
            else:
                self._summary = self._count_summary()
        return self._summary

    def _count_summary(self) -> Summary:
        members, completed, signed_off, behind, held, next_session_at = db.session.execute(
            summary_statement(self.columns), self.params
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
            statement = page_statement(self.columns, sort, descending)
            found = db.session.execute(statement, params)
            members, enrolments = [], []
            for row in found:
                members.append(Member(*row[:MEMBER_COLUMNS]))
                if row.enrolled_at is not None:  # outer-joined: None when not enrolled
                    enrolments.append(learning.EnrolmentFacts(*row[MEMBER_COLUMNS:]))
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
        found = db.session.execute(whole_statement(), {"cohort_id": self.cohort.id})
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
            build_row(self.cohort, m, progress[m.user_id], attendance[m.user_id], self.schedule)
            for m in members
        ]


def whole_table(cohort: Cohort, now: datetime | None = None) -> CohortTable:
    return TableBuilder(cohort, now).whole()


# CSV export ------------------------------------------------------------------------------


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
            iso_date(row.member.joined_at),
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
            iso_date(row.last_active),
            "; ".join(row.flags),
            iso_date(row.progress.completed_at),
            iso_date(row.member.signed_off_at),
        ]
        yield cells


def export_csv(table: CohortTable) -> str:
    """The whole table as a CSV file (academy.csv_export: formula-safe, UTF-8 for Excel)."""
    rows = export_rows(table)
    return csv_text(next(rows), rows)
