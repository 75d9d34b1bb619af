"""What trainers and staff see of members' feedback: aggregates only, and only where
at least `MIN_ANSWERS` members answered (a smaller group is suppressed, as equality
figures are, so no one's answer can be picked out). Comments come without names,
in an order that says nothing about who wrote them or when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from academy.extensions import db
from academy.models import (
    Cohort,
    CohortSession,
    CohortTrainer,
    CourseEvaluation,
    SessionFeedback,
    User,
)
from academy.services.feedback.answers import EVALUATION_QUESTIONS, SESSION_QUESTIONS
from academy.services.reports.figures import last_months, month_label, month_of
from academy.services.reports.scope import Scope

MIN_ANSWERS = 5


@dataclass(frozen=True)
class Result:
    """One group's answers: how many, and (when not suppressed) averages and comments."""

    label: str
    answers: int
    averages: dict[str, float] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def suppressed(self) -> bool:
        return self.answers < MIN_ANSWERS


def _averages(model, questions) -> list:
    return [func.avg(getattr(model, key)) for key, _ in questions]


def _result(label: str, count: int, averages, comments: list[str], questions, note="") -> Result:
    if count < MIN_ANSWERS:
        return Result(label=label, answers=count, note=note)
    return Result(
        label=label,
        answers=count,
        averages={
            key: round(float(value), 1) for (key, _), value in zip(questions, averages, strict=True)
        },
        comments=sorted(c for c in comments if c),
        note=note,
    )


def cohort_results(cohort: Cohort) -> tuple[list[tuple[CohortSession, Result]], Result]:
    """Each held session's result, and the course evaluation's, for one cohort."""
    sessions = list(
        db.session.scalars(
            select(CohortSession)
            .where(CohortSession.cohort_id == cohort.id)
            .order_by(CohortSession.starts_at)
        )
    )
    rows = {
        session_id: (count, averages)
        for session_id, count, *averages in db.session.execute(
            select(
                SessionFeedback.session_id,
                func.count(),
                *_averages(SessionFeedback, SESSION_QUESTIONS),
            )
            .join(CohortSession, CohortSession.id == SessionFeedback.session_id)
            .where(CohortSession.cohort_id == cohort.id)
            .group_by(SessionFeedback.session_id)
        )
    }
    comments: dict[int, list[str]] = {}
    for session_id, comment in db.session.execute(
        select(SessionFeedback.session_id, SessionFeedback.comment)
        .join(CohortSession, CohortSession.id == SessionFeedback.session_id)
        .where(CohortSession.cohort_id == cohort.id, SessionFeedback.comment != "")
    ):
        comments.setdefault(session_id, []).append(comment)
    results = []
    for session in sessions:
        count, averages = rows.get(session.id, (0, []))
        results.append(
            (
                session,
                _result(
                    session.title, count, averages, comments.get(session.id, []), SESSION_QUESTIONS
                ),
            )
        )
    count, *averages = db.session.execute(
        select(func.count(), *_averages(CourseEvaluation, EVALUATION_QUESTIONS)).where(
            CourseEvaluation.cohort_id == cohort.id
        )
    ).one()
    evaluation_comments = list(
        db.session.scalars(
            select(CourseEvaluation.comment).where(
                CourseEvaluation.cohort_id == cohort.id, CourseEvaluation.comment != ""
            )
        )
    )
    evaluation = _result(
        cohort.course.title, count, averages, evaluation_comments, EVALUATION_QUESTIONS
    )
    return results, evaluation


@dataclass(frozen=True)
class StaffResults:
    overall: Result
    by_trainer: list[Result]
    months: list[str]  # 'YYYY-MM'
    monthly: list[Result]

    @property
    def month_labels(self) -> list[str]:
        return [month_label(m) for m in self.months]

    def csv_rows(self) -> list[list[object]]:
        rows = []
        for kind, results in (
            ("All sessions", [self.overall]),
            ("Trainer", self.by_trainer),
            ("Month", self.monthly),
        ):
            for result in results:
                rows.append(
                    [
                        kind,
                        result.label,
                        result.answers,
                        *(
                            "" if result.suppressed else result.averages[key]
                            for key, _ in SESSION_QUESTIONS
                        ),
                    ]
                )
        return rows


CSV_COLUMNS = ["Group", "Name", "Answers", *(label for _, label in SESSION_QUESTIONS)]


def _in_scope(query, scope: Scope):
    query = query.join(CohortSession, CohortSession.id == SessionFeedback.session_id).join(
        Cohort, Cohort.id == CohortSession.cohort_id
    )
    if scope.academy is not None:
        query = query.where(Cohort.academy_id == scope.academy.id)
    return query


def staff_results(scope: Scope, today: date) -> StaffResults:
    """Session feedback in an academy (or everywhere): overall, per trainer, per month."""
    questions = _averages(SessionFeedback, SESSION_QUESTIONS)
    count, *averages = db.session.execute(
        _in_scope(select(func.count(), *questions).select_from(SessionFeedback), scope)
    ).one()
    overall = _result(scope.label, count, averages, [], SESSION_QUESTIONS)
    by_trainer = [
        _result(name, n, averages, [], SESSION_QUESTIONS)
        for _id, name, n, *averages in db.session.execute(
            _in_scope(
                select(User.id, User.display_name, func.count(), *questions).select_from(
                    SessionFeedback
                ),
                scope,
            )
            .join(CohortTrainer, CohortTrainer.cohort_id == Cohort.id)
            .join(User, User.id == CohortTrainer.user_id)
            .group_by(User.id, User.display_name)
            .order_by(User.display_name, User.id)
        )
    ]
    months = last_months(today)
    month = month_of(CohortSession.starts_at)
    per_month = {
        key: (n, averages)
        for key, n, *averages in db.session.execute(
            _in_scope(select(month, func.count(), *questions).select_from(SessionFeedback), scope)
            .where(month.in_(months))
            .group_by(month)
        )
    }
    monthly = [
        _result(month_label(key), *per_month.get(key, (0, [])), [], SESSION_QUESTIONS)
        for key in months
    ]
    return StaffResults(overall=overall, by_trainer=by_trainer, months=months, monthly=monthly)


def average_of(result: Result) -> float:
    """The mean of a result's question averages (one figure for a chart)."""
    return round(sum(result.averages.values()) / len(result.averages), 1)
