"""Feedback pages: a member rates sessions they attended and evaluates a course they
completed, and sees, changes and erases their answers; a cohort's trainers see the
aggregates (404 for anyone who does not manage the cohort)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from academy.access import roles_required, signed_in
from academy.cohorts.forms import ActionForm
from academy.database import unit_of_work
from academy.extensions import db
from academy.models import Cohort, CohortSession, CourseEvaluation, SessionFeedback
from academy.services import ServiceError, feedback
from academy.training.blueprint import bp
from academy.training.forms import EvaluationForm, SessionFeedbackForm

MANAGERS = ("trainer", "staff", "admin")


@bp.get("/training/feedback/")
@signed_in
def my_feedback():
    return render_template(
        "training/my_feedback.html",
        answers=feedback.answers_of(current_user),
        to_rate=feedback.sessions_to_rate(current_user),
        questions=feedback.SESSION_QUESTIONS,
        evaluation_questions=feedback.EVALUATION_QUESTIONS,
        form=ActionForm(),
    )


def _session(session_id: int) -> tuple[CohortSession, Cohort]:
    session = db.session.get(CohortSession, session_id)
    if session is None:
        abort(404)
    return session, db.session.get(Cohort, session.cohort_id)


@bp.route("/training/sessions/<int:session_id>/feedback", methods=["GET", "POST"])
@signed_in
def rate_session(session_id: int):
    session, cohort = _session(session_id)
    problem = feedback.feedback_problem(session, current_user)
    if problem:
        # Whether the session exists is no secret from someone who was not there:
        # but nothing about it is shown beyond the refusal.
        flash(problem, "error")
        return redirect(url_for("training.my_feedback"))
    form = SessionFeedbackForm()
    if not form.is_submitted():
        already = db.session.scalar(
            db.select(SessionFeedback.id).where(
                SessionFeedback.session_id == session.id,
                SessionFeedback.user_id == current_user.id,
            )
        )
        if already is not None:
            flash("You have already rated this session: you can change your answer.", "info")
            return redirect(url_for("training.change_feedback", feedback_id=already))
    if form.validate_on_submit():
        try:
            with unit_of_work():
                feedback.give_feedback(
                    session, current_user, form.ratings(), form.comment.data or ""
                )
        except ServiceError as error:
            flash(str(error), "error")
            return redirect(url_for("training.my_feedback"))
        flash("Thank you: your answer is saved. You can change or erase it here.", "success")
        return redirect(url_for("training.my_feedback"))
    return render_template(
        "training/rate.html", form=form, session=session, cohort=cohort, answer=None
    ), (400 if form.errors else 200)


def _own_feedback(feedback_id: int) -> SessionFeedback:
    answer = db.session.get(SessionFeedback, feedback_id)
    if answer is None or answer.user_id != current_user.id:
        abort(404)
    return answer


@bp.route("/training/feedback/<int:feedback_id>/edit", methods=["GET", "POST"])
@signed_in
def change_feedback(feedback_id: int):
    answer = _own_feedback(feedback_id)
    session, cohort = _session(answer.session_id)
    form = SessionFeedbackForm(obj=answer)
    if form.validate_on_submit():
        with unit_of_work():
            feedback.update_feedback(answer, current_user, form.ratings(), form.comment.data or "")
        flash("Your answer is changed.", "success")
        return redirect(url_for("training.my_feedback"))
    return render_template(
        "training/rate.html", form=form, session=session, cohort=cohort, answer=answer
    ), (400 if form.errors else 200)


@bp.post("/training/feedback/<int:feedback_id>/erase")
@signed_in
def erase_feedback(feedback_id: int):
    answer = _own_feedback(feedback_id)
    if ActionForm().validate_on_submit():
        with unit_of_work():
            feedback.erase_feedback(answer, current_user)
        flash("Your answer is erased.", "success")
    return redirect(url_for("training.my_feedback"))


@bp.route("/training/cohorts/<int:cohort_id>/evaluation", methods=["GET", "POST"])
@signed_in
def evaluate(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        abort(404)
    problem = feedback.evaluation_problem(cohort, current_user)
    if problem:
        flash(problem, "error")
        return redirect(url_for("training.my_feedback"))
    existing = db.session.scalar(
        db.select(CourseEvaluation).where(
            CourseEvaluation.cohort_id == cohort.id, CourseEvaluation.user_id == current_user.id
        )
    )
    form = EvaluationForm(obj=existing)
    if form.validate_on_submit():
        with unit_of_work():
            feedback.evaluate_course(cohort, current_user, form.ratings(), form.comment.data or "")
        flash("Thank you: your evaluation is saved.", "success")
        return redirect(url_for("training.my_feedback"))
    return render_template("training/evaluate.html", form=form, cohort=cohort, existing=existing), (
        400 if form.errors else 200
    )


@bp.post("/training/evaluations/<int:evaluation_id>/erase")
@signed_in
def erase_evaluation(evaluation_id: int):
    evaluation = db.session.get(CourseEvaluation, evaluation_id)
    if evaluation is None or evaluation.user_id != current_user.id:
        abort(404)
    if ActionForm().validate_on_submit():
        with unit_of_work():
            feedback.erase_evaluation(evaluation, current_user)
        flash("Your evaluation is erased.", "success")
    return redirect(url_for("training.my_feedback"))


@bp.get("/cohorts/<int:cohort_id>/feedback")
@roles_required(*MANAGERS)
def cohort_feedback(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not cohort.can_manage(current_user):
        abort(404)
    sessions, evaluation = feedback.cohort_results(cohort)
    return render_template(
        "training/cohort_feedback.html",
        cohort=cohort,
        sessions=sessions,
        evaluation=evaluation,
        questions=feedback.SESSION_QUESTIONS,
        evaluation_questions=feedback.EVALUATION_QUESTIONS,
        minimum=feedback.MIN_ANSWERS,
    )
