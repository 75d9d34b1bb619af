"""Staff preview of a course: every lesson and every quiz with its answers, read-only.

Academy staff issue the certificates a course leads to and answer members'
questions about it, so they need to read it without enrolling (an enrolment
would count them in the course's figures and start progress nobody makes).
A preview records nothing. Quizzes show the whole question bank with the
correct answers and their feedback, so previews are for staff and admins only:
trainers and members take the course as members do.
"""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select

from academy.access import roles_required
from academy.extensions import db
from academy.learn.blueprint import bp
from academy.learn.routes import PREVIEWERS, _course_or_404, _module_or_404
from academy.models import Question
from academy.services.learning.outline import outlines


@bp.get("/courses/<course_slug>/preview")
@roles_required(*PREVIEWERS)
def preview_course(course_slug: str):
    return render_template("learn/preview_course.html", course=_course_or_404(course_slug))


@bp.get("/courses/<course_slug>/preview/lessons/<lesson_slug>")
@roles_required(*PREVIEWERS)
def preview_lesson(course_slug: str, lesson_slug: str):
    course = _course_or_404(course_slug)
    lesson = course.lesson(lesson_slug)
    if lesson is None:
        abort(404)
    module = course.module_of(lesson)
    previous, following = course.neighbours(lesson)
    body_html, toc = outlines().body(lesson)
    return render_template(
        "learn/preview_lesson.html",
        course=course,
        module=module,
        lesson=lesson,
        position=module.lessons.index(lesson) + 1,
        body_html=body_html,
        toc=toc,
        previous=previous,
        next=following,
    )


@bp.get("/courses/<course_slug>/preview/quizzes/<module_slug>")
@roles_required(*PREVIEWERS)
def preview_quiz(course_slug: str, module_slug: str):
    course = _course_or_404(course_slug)
    module = _module_or_404(course, module_slug)
    if module.quiz is None:
        abort(404)
    questions = db.session.scalars(
        select(Question)
        .where(Question.quiz_id == module.quiz.id, Question.retired_at.is_(None))
        .order_by(Question.position, Question.id)
    ).all()
    return render_template(
        "learn/preview_quiz.html",
        course=course,
        module=module,
        quiz=module.quiz,
        questions=questions,
    )
