"""Equality of access: how each group's enrolment, completion and certification compare.

Only aggregates leave this module, and every count under 10 is suppressed
(shown as "fewer than 10", never as a number). Within each question the groups
(with "Not answered") add up to the total, so when exactly one count in a
column is hidden the next smallest is hidden too: otherwise it could be worked
out by subtraction. Rates are shown only when both their counts are.

Staff and admins read these reports; trainers never reach them (the reports
blueprint admits staff and admins only), and no page shows one person's answers
to anyone but that person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import select

from academy.extensions import db
from academy.models import EqualityAnswer, EqualityLink
from academy.services.equality import NOT_ANSWERED, Question, all_questions
from academy.services.reports.scope import Scope, certificates_in, enrolments_in

THRESHOLD = 10
COLUMNS = ["Group", "Enrolled", "Completed", "% completed", "Certified", "% certified"]
SUPPRESSED_TEXT = "fewer than 10"
SUPPRESSED_CSV = "<10"


def suppress(values: list[int]) -> list[int | None]:
    """Hide every count under 10; if only one is hidden, hide the next smallest as well."""
    shown: list[int | None] = [v if v >= THRESHOLD else None for v in values]
    hidden = [i for i, v in enumerate(shown) if v is None]
    visible = [i for i, v in enumerate(shown) if v is not None]
    if len(hidden) == 1 and visible:
        shown[min(visible, key=lambda i: (values[i], i))] = None
    return shown


def rate(part: int | None, whole: int | None) -> int | None:
    if part is None or not whole:
        return None
    return round(100 * part / whole)


@dataclass
class GroupRow:
    label: str
    enrolled: int | None
    completed: int | None
    certified: int | None

    @property
    def completed_rate(self) -> int | None:
        return rate(self.completed, self.enrolled)

    @property
    def certified_rate(self) -> int | None:
        return rate(self.certified, self.enrolled)

    @property
    def values(self) -> list[int | None]:
        return [
            self.enrolled,
            self.completed,
            self.completed_rate,
            self.certified,
            self.certified_rate,
        ]


@dataclass
class QuestionReport:
    slug: str
    label: str
    rows: list[GroupRow] = field(default_factory=list)


@dataclass
class EqualityReport:
    total: GroupRow
    questions: list[QuestionReport]

    def csv_rows(self) -> list[list[object]]:
        out: list[list[object]] = []
        for question in self.questions:
            for row in question.rows:
                out.append([question.label, row.label, *map(csv_cell, row.values)])
        out.append(["All members", "All members", *map(csv_cell, self.total.values)])
        return out


def csv_cell(value: int | None) -> object:
    return SUPPRESSED_CSV if value is None else value


def equality_report(scope: Scope, course_id: int | None = None) -> EqualityReport:
    """The whole report (for one course, if given) in three queries."""
    questions = all_questions(include_inactive=True)
    e = enrolments_in(scope, course_id)
    c = certificates_in(scope, course_id)
    enrolled_ids = select(e.c.user_id)
    completed_ids = select(e.c.user_id).where(e.c.completed_at.is_not(None))
    certified_ids = select(c.c.user_id).where(c.c.user_id.is_not(None))
    totals = db.session.execute(
        select(
            select(sa.func.count(sa.distinct(e.c.user_id))).scalar_subquery(),
            select(sa.func.count(sa.distinct(e.c.user_id)))
            .where(e.c.completed_at.is_not(None))
            .scalar_subquery(),
            select(sa.func.count(sa.distinct(c.c.user_id)))
            .where(c.c.user_id.in_(enrolled_ids))
            .scalar_subquery(),
        )
    ).one()
    total_enrolled, total_completed, total_certified = (int(v or 0) for v in totals)
    person = EqualityLink.user_id
    grouped = db.session.execute(
        select(
            EqualityAnswer.question,
            EqualityAnswer.answer,
            sa.func.count(sa.distinct(person)),
            sa.func.count(sa.distinct(sa.case((person.in_(completed_ids), person)))),
            sa.func.count(sa.distinct(sa.case((person.in_(certified_ids), person)))),
        )
        .join(EqualityLink, EqualityLink.profile_id == EqualityAnswer.profile_id)
        .where(person.in_(enrolled_ids))
        .group_by(EqualityAnswer.question, EqualityAnswer.answer)
    ).all()
    counts: dict[str, dict[str, tuple[int, int, int]]] = {}
    for question, answer, n_enrolled, n_completed, n_certified in grouped:
        counts.setdefault(question, {})[answer] = (n_enrolled, n_completed, n_certified)
    reports = [
        _question_report(
            q, counts.get(q.slug, {}), (total_enrolled, total_completed, total_certified)
        )
        for q in questions
        if q.builtin or q.slug in counts
    ]
    total = GroupRow(
        "All members", *suppress_one([total_enrolled, total_completed, total_certified])
    )
    return EqualityReport(total, reports)


def suppress_one(values: list[int]) -> list[int | None]:
    return [v if v >= THRESHOLD else None for v in values]


def _question_report(
    question: Question, counts: dict[str, tuple[int, int, int]], totals: tuple[int, int, int]
) -> QuestionReport:
    labels = [label for _, label in question.options] + [NOT_ANSWERED[1]]
    raw = [counts.get(value, (0, 0, 0)) for value, _ in question.options]
    # Answers no longer offered (an option renamed) still count, under their stored value.
    for value, numbers in counts.items():
        if value not in dict(question.options):
            labels.insert(len(raw), value)
            raw.append(numbers)
    raw.append(tuple(totals[i] - sum(r[i] for r in raw) for i in range(3)))
    columns = [suppress([r[i] for r in raw]) for i in range(3)]
    report = QuestionReport(question.slug, question.label)
    for index, label in enumerate(labels):
        report.rows.append(GroupRow(label, *(columns[i][index] for i in range(3))))
    return report
