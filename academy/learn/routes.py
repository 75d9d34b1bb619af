"""Catalogue, course pages, lessons, quizzes, images and the member's dashboard.

Each view loads what it names (404 for an unknown or retired slug), then acts
through `academy.services.learning`, which applies the enrolment rule to every
lesson and quiz action and raises `learning.NotEnrolled` for a member not taking
the course (never enrolled, or left): every such view answers it the same way,
with `_not_enrolled`. Other members' attempts are not addressable at all.
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from academy.access import public, signed_in
from academy.content.media import image_path
from academy.database import unit_of_work
from academy.extensions import db
from academy.learn.blueprint import bp
from academy.learn.forms import ActionForm, AnswersForm
from academy.models import Course, Enrolment, Question
from academy.services import ServiceError, learning
from academy.services.learning.outline import (
    CourseOutline,
    LessonOutline,
    ModuleOutline,
    QuizOutline,
    outlines,
)

# Who may read a course without enrolling (academy.learn.preview): they see quiz answers.
PREVIEWERS = ("staff", "admin")

# Loading ------------------------------------------------------------------------------


def _course_or_404(slug: str) -> CourseOutline:
    """The current course from the in-memory outline (academy.services.learning.outline)."""
    course = outlines().course(slug)
    if course is None:
        abort(404)
    return course


def _module_or_404(course: CourseOutline, slug: str) -> ModuleOutline:
    module = course.module(slug)
    if module is None:
        abort(404)
    return module


def _not_enrolled(course: CourseOutline):
    """Content of a course the member is not taking: say why and what to do, serve nothing.

    The one answer to `learning.NotEnrolled`, whatever the action (the service
    raises it before it writes anything, so there is nothing to roll back).
    """
    missing = learning.missing_prerequisites(current_user, course)
    enrolment = learning.enrolment_for(current_user.id, course.id)
    return (
        render_template(
            "learn/not_enrolled.html",
            course=course,
            missing=missing,
            left=enrolment is not None,
            form=ActionForm(),
        ),
        403,
    )


# Catalogue and course pages -------------------------------------------------------------


@bp.get("/courses")
@public
def catalogue():
    courses = list(outlines().courses)
    progress = {}
    done_slugs: set[str] = set()
    if current_user.is_authenticated:
        progress = learning.progress_in_courses(current_user, courses)
        done_slugs = {p.course.slug for p in progress.values() if p.completed_at is not None}
    titles = {course.slug: course.title for course in courses}
    return render_template(
        "learn/catalogue.html",
        courses=courses,
        progress=progress,
        done_slugs=done_slugs,
        titles=titles,
    )


@bp.get("/courses/<course_slug>")
@public
def course(course_slug: str):
    course = _course_or_404(course_slug)
    prerequisites = []
    if course.prerequisites:
        prerequisites = list(
            db.session.scalars(
                select(Course)
                .where(Course.slug.in_(course.prerequisites))
                .order_by(Course.position)
            )
        )
    progress = None
    done_slugs: set[str] = set()
    if current_user.is_authenticated:
        progress = learning.course_progress(current_user, course)
        if prerequisites:
            done_slugs = learning.completed_course_slugs(current_user.id)
    missing = [p for p in prerequisites if p.slug not in done_slugs]
    next_url = None
    if progress is not None and progress.enrolled:
        next_url = progress.next_url
    return render_template(
        "learn/course.html",
        course=course,
        progress=progress,
        prerequisites=prerequisites,
        missing=missing,
        done_slugs=done_slugs,
        next_url=next_url,
        form=ActionForm(),
    )


@bp.post("/courses/<course_slug>/enrol")
@signed_in
def enrol(course_slug: str):
    course = _course_or_404(course_slug)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            learning.enrol(current_user, course)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("learn.course", course_slug=course.slug), 303)
    flash(f"You are enrolled in {course.title}.", "success")
    first = course.lessons[0] if course.lessons else None
    if first is not None:
        progress = learning.course_progress(current_user, course)
        return redirect(progress.next_url or first.url, 303)
    return redirect(url_for("learn.course", course_slug=course.slug), 303)


@bp.route("/courses/<course_slug>/leave", methods=["GET", "POST"])
@signed_in
def leave(course_slug: str):
    course = _course_or_404(course_slug)
    enrolment = learning.active_enrolment(current_user.id, course.id)
    if enrolment is None:
        flash("You are not enrolled in this course.", "warning")
        return redirect(url_for("learn.course", course_slug=course.slug), 303)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                learning.leave(current_user, course)
        except ServiceError as error:
            flash(str(error), "error")
            return redirect(url_for("learn.course", course_slug=course.slug), 303)
        flash(
            f"You have left {course.title}. Your progress is kept if you enrol again.",
            "success",
        )
        return redirect(url_for("learn.dashboard"), 303)
    return render_template("learn/leave.html", course=course, form=form)


@bp.get("/courses/<course_slug>/glossary")
@public
def glossary(course_slug: str):
    course = _course_or_404(course_slug)
    html = outlines().glossary(course)
    if not html:
        abort(404)
    return render_template("learn/glossary.html", course=course, glossary_html=html)


# Lessons --------------------------------------------------------------------------------


def _lesson_page(course: CourseOutline, lesson: LessonOutline, progress):
    module = course.module_of(lesson)
    module_progress = next(mp for mp in progress.modules if mp.module.id == module.id)
    previous, following = course.neighbours(lesson)
    body_html, toc = outlines().body(lesson)
    return render_template(
        "learn/lesson.html",
        course=course,
        lesson=lesson,
        body_html=body_html,
        toc=toc,
        module=module,
        module_number=module.number,
        module_progress=module_progress,
        position=module.lessons.index(lesson) + 1,
        previous=previous,
        next=following,
        progress=progress,
        done=lesson.id in progress.done_lesson_ids,
        completion=None,
        form=ActionForm(),
    )


def _current_lesson(course: CourseOutline, lesson_slug: str) -> LessonOutline:
    lesson = course.lesson(lesson_slug)
    if lesson is None:
        abort(404)
    return lesson


@bp.get("/courses/<course_slug>/lessons/<lesson_slug>")
@signed_in
def lesson(course_slug: str, lesson_slug: str):
    course = _course_or_404(course_slug)
    lesson = _current_lesson(course, lesson_slug)
    try:
        progress = learning.reading_progress(current_user, course)
    except learning.NotEnrolled:
        return _not_enrolled(course)
    return _lesson_page(course, lesson, progress)


@bp.post("/courses/<course_slug>/lessons/<lesson_slug>/complete")
@signed_in
def complete_lesson(course_slug: str, lesson_slug: str):
    course = _course_or_404(course_slug)
    lesson = _current_lesson(course, lesson_slug)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    # Read to tell "you have completed the course" apart; the service decides who may.
    enrolment = learning.enrolment_for(current_user.id, course.id)
    was_complete = enrolment is not None and enrolment.completed_at is not None
    try:
        with unit_of_work():
            learning.complete_lesson(current_user, lesson)
    except learning.NotEnrolled:
        return _not_enrolled(course)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(lesson.url, 303)
    if enrolment.completed_at is not None and not was_complete:
        flash(f"Well done: you have completed {course.title}.", "success")
        return redirect(url_for("learn.course", course_slug=course.slug), 303)
    flash(f"“{lesson.title}” is marked as complete.", "success")
    _previous, following = course.neighbours(lesson)
    if following is not None:
        return redirect(following.url, 303)
    return redirect(url_for("learn.course", course_slug=course.slug), 303)


@bp.get("/courses/<course_slug>/media/<module_slug>/<path:filename>")
@signed_in
def media(course_slug: str, module_slug: str, filename: str):
    course = _course_or_404(course_slug)
    module = _module_or_404(course, module_slug)
    # Enrolled members, and staff previewing the course (academy.learn.preview).
    try:
        learning.require_enrolment(current_user, course.id)
    except learning.NotEnrolled:
        if not current_user.has_role(*PREVIEWERS):
            abort(403)
    path = image_path(
        Path(current_app.config["ACADEMY_CURRICULUM_DIR"]), module.source_path, filename
    )
    if path is None:
        abort(404)
    response = send_file(path, max_age=3600, conditional=True)
    response.cache_control.private = True
    response.cache_control.public = False
    return response


# Quizzes --------------------------------------------------------------------------------


def _quiz_context(
    course_slug: str, module_slug: str
) -> tuple[CourseOutline, QuizOutline, ModuleOutline]:
    course = _course_or_404(course_slug)
    module = _module_or_404(course, module_slug)
    if module.quiz is None:
        abort(404)
    return course, module.quiz, module


@bp.get("/courses/<course_slug>/quizzes/<module_slug>")
@signed_in
def quiz(course_slug: str, module_slug: str):
    course, quiz, module = _quiz_context(course_slug, module_slug)
    try:
        attempts = learning.quiz_attempts(current_user, quiz)
    except learning.NotEnrolled:
        return _not_enrolled(course)
    status = learning.quiz_status(quiz, attempts)
    pool = db.session.scalar(
        select(func.count(Question.id)).where(
            Question.quiz_id == quiz.id, Question.retired_at.is_(None)
        )
    )
    return render_template(
        "learn/quiz.html",
        course=course,
        quiz=quiz,
        module=module,
        attempts=[a for a in attempts if a.submitted_at is not None],
        status=status,
        pool=pool,
        asked=min(quiz.draw or pool, pool),
        form=ActionForm(),
    )


@bp.post("/courses/<course_slug>/quizzes/<module_slug>/attempts")
@signed_in
def start_attempt(course_slug: str, module_slug: str):
    course, quiz, module = _quiz_context(course_slug, module_slug)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            attempt = learning.start_attempt(current_user, quiz)
    except learning.NotEnrolled:
        return _not_enrolled(course)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(module.quiz.url, 303)
    return redirect(_attempt_url(course, module, attempt.number), 303)


def _attempt_url(course: CourseOutline, module: ModuleOutline, number: int) -> str:
    return url_for("learn.attempt", course_slug=course.slug, module_slug=module.slug, number=number)


def _attempt_or_404(quiz: QuizOutline, number: int):
    """The member's own attempt (another member's is a 404); NotEnrolled (from the
    service) unless they are taking the course."""
    attempt = learning.own_attempt(current_user, quiz, number)
    if attempt is None:
        abort(404)
    return attempt


def _attempt_form(course, quiz, module, attempt, *, problems=None, given=None, status=200):
    return (
        render_template(
            "learn/attempt.html",
            course=course,
            quiz=quiz,
            module=module,
            attempt=attempt,
            questions=learning.public_questions(attempt),
            option_value=learning.option_value,
            prefix=AnswersForm.FIELD_PREFIX,
            problems=problems or {},
            given=given or {},
            form=AnswersForm(),
        ),
        status,
    )


def _review_page(course, quiz, module, attempt):
    attempts = learning.attempts_for(current_user.id, quiz.id)
    status = learning.quiz_status(quiz, attempts)
    return render_template(
        "learn/review.html",
        course=course,
        quiz=quiz,
        module=module,
        attempt=attempt,
        status=status,
        revealed=learning.answers_revealed(attempt, status),
        policy=attempt.snapshot["quiz"].get("review", "after-pass"),
        items=learning.review(attempt, status),
        form=ActionForm(),
    )


@bp.get("/courses/<course_slug>/quizzes/<module_slug>/attempts/<int:number>")
@signed_in
def attempt(course_slug: str, module_slug: str, number: int):
    course, quiz, module = _quiz_context(course_slug, module_slug)
    try:
        attempt = _attempt_or_404(quiz, number)
    except learning.NotEnrolled:
        return _not_enrolled(course)
    if attempt.submitted_at is not None:
        return _review_page(course, quiz, module, attempt)
    return _attempt_form(course, quiz, module, attempt)


@bp.post("/courses/<course_slug>/quizzes/<module_slug>/attempts/<int:number>")
@signed_in
def submit_attempt(course_slug: str, module_slug: str, number: int):
    course, quiz, module = _quiz_context(course_slug, module_slug)
    try:
        attempt = _attempt_or_404(quiz, number)
    except learning.NotEnrolled:
        return _not_enrolled(course)
    form = AnswersForm()
    if not form.validate_on_submit():
        abort(400)
    prefix = AnswersForm.FIELD_PREFIX
    responses = {
        name.removeprefix(prefix): request.form.getlist(name)
        for name in request.form
        if name.startswith(prefix)
    }
    try:
        with unit_of_work():
            learning.submit_attempt(current_user, attempt, responses)
            # Read before the commit expires the attempt: reading after it would load the
            # whole row again, snapshot and all, in a second transaction.
            passed, score = attempt.passed, attempt.score
            url = _attempt_url(course, module, attempt.number)
    except learning.NotEnrolled:
        return _not_enrolled(course)
    except learning.AlreadySubmitted as error:
        flash(f"{error} Your answers were recorded the first time; here is the result.", "warning")
        return redirect(_attempt_url(course, module, attempt.number), 303)
    except learning.InvalidAnswers as error:
        return _attempt_form(
            course, quiz, module, attempt, problems=error.problems, given=responses, status=422
        )
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(module.quiz.url, 303)
    if passed:
        flash(f"You passed with {score}%.", "success")
    else:
        flash(f"You scored {score}%: not a pass this time.", "warning")
    return redirect(url, 303)


# The member's dashboard ----------------------------------------------------------------------


@bp.get("/dashboard")
@signed_in
def dashboard():
    enrolments = list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.user_id == current_user.id)
            .order_by(Enrolment.last_activity_at.desc(), Enrolment.id.desc())
        )
    )
    trees = learning.course_trees(enrolment.course_id for enrolment in enrolments)
    rows = [(enrolment, trees[enrolment.course_id]) for enrolment in enrolments]
    courses = [course for _enrolment, course in rows]
    progress = learning.progress_in_courses(current_user, courses, enrolments)
    in_progress, completed, left = [], [], []
    for enrolment, course in rows:
        item = progress[course.id]
        if enrolment.completed_at is not None:
            completed.append(item)
        elif course.retired:
            continue  # no longer offered, and not completed: nothing to continue
        elif enrolment.left_at is not None:
            left.append(item)
        else:
            in_progress.append(item)
    completed.sort(key=lambda p: p.completed_at, reverse=True)
    quiz_results = [
        (item, status)
        for item in progress.values()
        for status in item.quizzes.values()
        if status.attempts_used and not item.course.retired
    ]
    return render_template(
        "learn/dashboard.html",
        in_progress=in_progress,
        completed=completed,
        left=left,
        quiz_results=quiz_results,
    )
