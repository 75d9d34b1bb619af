"""A member's own feedback: rating a session they attended, evaluating a course they
completed in a cohort, and seeing, changing and erasing what they said.

Functions flush and record audit events (without the answers: they are the
member's opinion, kept only in their own rows); the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from academy.extensions import db
from academy.models import (
    Attendance,
    Cohort,
    CohortMember,
    CohortSession,
    CourseEvaluation,
    Enrolment,
    SessionFeedback,
    User,
)
from academy.models.cohorts import AttendanceStatus
from academy.services import ServiceError
from academy.services.audit import record
from academy.timeutil import utcnow

# (column, the statement rated from 1 "strongly disagree" to 5 "strongly agree").
SESSION_QUESTIONS = (
    ("clear", "The session was clear"),
    ("useful", "The session was useful to me"),
    ("well_run", "The session was well run"),
    ("recommend", "I would recommend this session to other members"),
)
EVALUATION_QUESTIONS = (
    ("overall", "Overall, the course was good"),
    ("recommend", "I would recommend this course to other members"),
)
MAX_COMMENT = 2000


def _check(ratings: dict[str, int], questions, comment: str) -> None:
    for key, _label in questions:
        value = ratings.get(key)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ServiceError("Answer every question with a number from 1 to 5.")
    if len(comment) > MAX_COMMENT:
        raise ServiceError(f"Keep your comment to {MAX_COMMENT} characters.")


def feedback_problem(session: CohortSession, user: User) -> str | None:
    """Why `user` cannot rate this session, or None."""
    if session.starts_at > utcnow():
        return "You can rate a session once it has taken place."
    attended = db.session.get(Attendance, (session.id, user.id))
    if attended is None or attended.status != AttendanceStatus.PRESENT:
        return "Only members marked present at a session can rate it."
    return None


def _feedback_of(session_id: int, user_id: int) -> SessionFeedback | None:
    return db.session.scalar(
        select(SessionFeedback).where(
            SessionFeedback.session_id == session_id, SessionFeedback.user_id == user_id
        )
    )


def give_feedback(
    session: CohortSession, user: User, ratings: dict[str, int], comment: str = ""
) -> SessionFeedback:
    problem = feedback_problem(session, user)
    if problem:
        raise ServiceError(problem)
    if _feedback_of(session.id, user.id) is not None:
        raise ServiceError("You have already rated this session: you can change your answer.")
    comment = comment.strip()
    _check(ratings, SESSION_QUESTIONS, comment)
    feedback = SessionFeedback(
        session_id=session.id,
        user_id=user.id,
        comment=comment,
        **{key: ratings[key] for key, _ in SESSION_QUESTIONS},
    )
    db.session.add(feedback)
    db.session.flush()
    record("feedback.give", actor=user, subject=user, target=f"session:{session.id}")
    return feedback


def update_feedback(
    feedback: SessionFeedback, user: User, ratings: dict[str, int], comment: str = ""
) -> SessionFeedback:
    if feedback.user_id != user.id:
        raise ServiceError("This is not your answer.")
    comment = comment.strip()
    _check(ratings, SESSION_QUESTIONS, comment)
    for key, _ in SESSION_QUESTIONS:
        setattr(feedback, key, ratings[key])
    feedback.comment = comment
    feedback.updated_at = utcnow()
    db.session.flush()
    record("feedback.change", actor=user, subject=user, target=f"session:{feedback.session_id}")
    return feedback


def erase_feedback(feedback: SessionFeedback, user: User) -> None:
    if feedback.user_id != user.id:
        raise ServiceError("This is not your answer.")
    db.session.delete(feedback)
    db.session.flush()
    record("feedback.erase", actor=user, subject=user, target=f"session:{feedback.session_id}")


def evaluation_problem(cohort: Cohort, user: User) -> str | None:
    """Why `user` cannot evaluate the course of this cohort, or None."""
    if db.session.get(CohortMember, (cohort.id, user.id)) is None:
        return "Only members of this cohort can evaluate its course."
    completed = db.session.scalar(
        select(Enrolment.completed_at).where(
            Enrolment.user_id == user.id, Enrolment.course_id == cohort.course_id
        )
    )
    if completed is None:
        return "You can evaluate the course once you have completed it."
    return None


def evaluate_course(
    cohort: Cohort, user: User, ratings: dict[str, int], comment: str = ""
) -> CourseEvaluation:
    """Give, or change, one's evaluation of the cohort's course."""
    problem = evaluation_problem(cohort, user)
    if problem:
        raise ServiceError(problem)
    comment = comment.strip()
    _check(ratings, EVALUATION_QUESTIONS, comment)
    evaluation = db.session.scalar(
        select(CourseEvaluation).where(
            CourseEvaluation.cohort_id == cohort.id, CourseEvaluation.user_id == user.id
        )
    )
    if evaluation is None:
        evaluation = CourseEvaluation(cohort_id=cohort.id, user_id=user.id)
        db.session.add(evaluation)
    for key, _ in EVALUATION_QUESTIONS:
        setattr(evaluation, key, ratings[key])
    evaluation.comment = comment
    evaluation.updated_at = utcnow()
    db.session.flush()
    record("feedback.evaluate", actor=user, subject=user, target=f"cohort:{cohort.id}")
    return evaluation


def erase_evaluation(evaluation: CourseEvaluation, user: User) -> None:
    if evaluation.user_id != user.id:
        raise ServiceError("This is not your answer.")
    db.session.delete(evaluation)
    db.session.flush()
    record("feedback.erase", actor=user, subject=user, target=f"cohort:{evaluation.cohort_id}")


@dataclass(frozen=True)
class MyAnswers:
    """Everything a member said, with what it was about."""

    feedback: list[tuple[SessionFeedback, CohortSession, Cohort]]
    evaluations: list[tuple[CourseEvaluation, Cohort]]
    to_evaluate: list[Cohort]


def answers_of(user: User) -> MyAnswers:
    feedback = db.session.execute(
        select(SessionFeedback, CohortSession, Cohort)
        .join(CohortSession, CohortSession.id == SessionFeedback.session_id)
        .join(Cohort, Cohort.id == CohortSession.cohort_id)
        .where(SessionFeedback.user_id == user.id)
        .order_by(CohortSession.starts_at.desc())
    ).all()
    evaluations = db.session.execute(
        select(CourseEvaluation, Cohort)
        .join(Cohort, Cohort.id == CourseEvaluation.cohort_id)
        .where(CourseEvaluation.user_id == user.id)
        .order_by(CourseEvaluation.created_at.desc())
    ).all()
    evaluated = {cohort.id for _evaluation, cohort in evaluations}
    to_evaluate = db.session.scalars(
        select(Cohort)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .join(
            Enrolment,
            (Enrolment.course_id == Cohort.course_id) & (Enrolment.user_id == user.id),
        )
        .where(CohortMember.user_id == user.id, Enrolment.completed_at.is_not(None))
        .order_by(Cohort.starts_on.desc())
    ).unique()
    return MyAnswers(
        feedback=[tuple(row) for row in feedback],
        evaluations=[tuple(row) for row in evaluations],
        to_evaluate=[c for c in to_evaluate if c.id not in evaluated],
    )


def sessions_to_rate(user: User) -> list[tuple[CohortSession, Cohort]]:
    """Sessions the member attended and has not rated yet, latest first."""
    rated = select(SessionFeedback.session_id).where(SessionFeedback.user_id == user.id)
    rows = db.session.execute(
        select(CohortSession, Cohort)
        .join(Cohort, Cohort.id == CohortSession.cohort_id)
        .join(
            Attendance,
            (Attendance.session_id == CohortSession.id) & (Attendance.user_id == user.id),
        )
        .where(
            Attendance.status == AttendanceStatus.PRESENT,
            CohortSession.starts_at <= utcnow(),
            CohortSession.id.not_in(rated),
        )
        .order_by(CohortSession.starts_at.desc())
        .limit(50)
    ).all()
    return [tuple(row) for row in rows]
