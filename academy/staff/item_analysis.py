"""Item analysis pages (issue 19): which quiz questions measure understanding.

Staff and admins see every course's quizzes: the figures are course-wide counts
with nothing about any member, so they are not limited to an academy.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from academy.access import roles_required
from academy.csv_export import csv_download
from academy.services import item_analysis as analysis
from academy.staff.blueprint import bp

STAFF = ("staff", "admin")


def _report(quiz_id: int) -> analysis.QuizReport:
    quiz = analysis.quiz_line(quiz_id)
    if quiz is None:
        abort(404)
    mode = analysis.ALL if request.args.get("attempts") == analysis.ALL else analysis.FIRST
    return analysis.analyse(quiz, mode)


@bp.get("/quizzes")
@roles_required(*STAFF)
def quizzes():
    courses: dict[tuple[str, str], list[analysis.QuizLine]] = {}
    retired = []
    for quiz in analysis.quizzes():
        if quiz.current:
            courses.setdefault((quiz.course_slug, quiz.course_title), []).append(quiz)
        else:
            retired.append(quiz)
    return render_template("staff/quizzes.html", courses=courses, retired=retired)


@bp.get("/quizzes/<int:quiz_id>/items")
@roles_required(*STAFF)
def item_analysis(quiz_id: int):
    return render_template(
        "staff/item_analysis.html",
        report=_report(quiz_id),
    )


@bp.get("/quizzes/<int:quiz_id>/items.csv")
@roles_required(*STAFF)
def item_analysis_csv(quiz_id: int):
    report = _report(quiz_id)
    if report.pending:
        flash("The figures are still being worked out: download them in a minute.", "info")
        return redirect(url_for("staff.item_analysis", quiz_id=quiz_id, **request.args))
    return csv_download(analysis.filename(report), analysis.csv_text(report))
