"""One enrolment rule for every lesson and quiz action, applied by the learning service.

A member who left a course (or never enrolled) cannot read its lessons, open its
quizzes, start, answer or review an attempt, or record progress: the service
raises `learning.NotEnrolled`, every page answers it with the same not-enrolled
page (403), and nothing is stored. The drift this replaces: the attempt page
checked enrolment and the submission did not, so a member who left could still
have an attempt marked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

import academy
from academy.extensions import db
from academy.models import AuditEvent, Enrolment, LessonCompletion, QuizAttempt
from academy.services import learning
from tests.learn.conftest import RIGHT, lesson_by_slug, quiz_of, responses, wrong

COURSE = "/courses/organising-basics"
LESSON = COURSE + "/lessons/why-listen-first"
QUIZ = COURSE + "/quizzes/listening"
NOT_ENROLLED_HEADING = "Enrol in Organising basics to continue"


def text(response) -> str:
    return response.get_data(as_text=True)


def form_for(attempt) -> dict[str, list[str]]:
    """What the attempt form would send: the right answers, under the fields' prefix."""
    return {f"q-{key}": value for key, value in responses(attempt, RIGHT).items()}


def stored() -> dict[str, object]:
    """Every row a lesson or quiz action could write, counted (and the enrolments' dates)."""
    db.session.expire_all()
    count = lambda query: db.session.scalar(query)  # noqa: E731
    return {
        "attempts": count(select(func.count(QuizAttempt.id))),
        "submitted": count(
            select(func.count(QuizAttempt.id)).where(QuizAttempt.submitted_at.is_not(None))
        ),
        "completions": count(select(func.count()).select_from(LessonCompletion)),
        "audit": count(select(func.count(AuditEvent.id))),
        "enrolments": [
            (e.user_id, e.left_at, e.completed_at, e.last_activity_at)
            for e in db.session.scalars(select(Enrolment).order_by(Enrolment.id))
        ],
    }


@pytest.fixture
def left_member(enrolled, basics):
    """A member who failed the listening quiz once, started a second attempt and read a
    lesson, then left the course: attempt 1 is submitted, attempt 2 open."""
    quiz = quiz_of(basics, "listening")
    first = learning.start_attempt(enrolled, quiz)
    learning.submit_attempt(enrolled, first, responses(first, wrong(first)))
    learning.start_attempt(enrolled, quiz)
    learning.complete_lesson(enrolled, basics.lessons[0])
    learning.leave(enrolled, basics)
    db.session.commit()
    return enrolled


# The service --------------------------------------------------------------------------------


def test_the_service_refuses_every_action_to_a_member_who_left(left_member, basics):
    quiz = quiz_of(basics, "listening")
    open_attempt = learning.attempt_by_number(left_member.id, quiz.id, 2)
    before = stored()
    with pytest.raises(learning.NotEnrolled):
        learning.reading_progress(left_member, basics)
    with pytest.raises(learning.NotEnrolled):
        learning.quiz_attempts(left_member, quiz)
    with pytest.raises(learning.NotEnrolled):
        learning.own_attempt(left_member, quiz, 1)
    with pytest.raises(learning.NotEnrolled):
        learning.start_attempt(left_member, quiz_of(basics, "teams"))
    with pytest.raises(learning.NotEnrolled):
        learning.submit_attempt(left_member, open_attempt, responses(open_attempt, RIGHT))
    with pytest.raises(learning.NotEnrolled):
        learning.complete_lesson(left_member, basics.lessons[1])
    with pytest.raises(learning.NotEnrolled):
        learning.require_enrolment(left_member, basics.id)
    db.session.commit()
    assert stored() == before
    assert learning.attempt_by_number(left_member.id, quiz.id, 2).submitted_at is None


def test_the_service_refuses_a_member_who_never_enrolled(member, basics):
    quiz = quiz_of(basics, "listening")
    for action in (
        lambda: learning.reading_progress(member, basics),
        lambda: learning.quiz_attempts(member, quiz),
        lambda: learning.own_attempt(member, quiz, 1),
        lambda: learning.start_attempt(member, quiz),
        lambda: learning.complete_lesson(member, basics.lessons[0]),
    ):
        with pytest.raises(learning.NotEnrolled):
            action()


def test_taking_a_course_means_enrolled_and_not_left_completed_included(enrolled, basics):
    enrolment = learning.enrolment_for(enrolled.id, basics.id)
    assert learning.is_taking(enrolment)
    assert learning.require_enrolment(enrolled, basics.id) is enrolment
    enrolment.completed_at = enrolment.enrolled_at
    assert learning.is_taking(enrolment)
    assert not learning.is_taking(None)
    enrolment.completed_at = None
    enrolment.left_at = enrolment.enrolled_at
    assert not learning.is_taking(enrolment)


def test_enrolling_again_opens_every_action_again(left_member, basics):
    learning.enrol(left_member, basics)
    quiz = quiz_of(basics, "listening")
    attempt = learning.own_attempt(left_member, quiz, 2)
    learning.submit_attempt(left_member, attempt, responses(attempt, RIGHT))
    assert attempt.passed
    assert learning.reading_progress(left_member, basics).enrolled


# The pages ----------------------------------------------------------------------------------


def _actions(client) -> dict[str, object]:
    """Every lesson and quiz action, over HTTP, as the member signed in to `client`."""
    attempt_two = f"{QUIZ}/attempts/2"
    open_attempt = db.session.scalar(
        select(QuizAttempt).where(QuizAttempt.number == 2, QuizAttempt.submitted_at.is_(None))
    )
    answers = form_for(open_attempt) if open_attempt is not None else {}
    return {
        "view lesson": lambda: client.get(LESSON),
        "complete lesson": lambda: client.post(LESSON + "/complete"),
        "view quiz": lambda: client.get(QUIZ),
        "start attempt": lambda: client.post(QUIZ + "/attempts"),
        "review attempt": lambda: client.get(f"{QUIZ}/attempts/1"),
        "answer attempt": lambda: client.get(attempt_two),
        "submit attempt": lambda: client.post(attempt_two, data=answers),
    }


def test_a_member_who_left_gets_the_not_enrolled_page_and_nothing_is_stored(
    client, login, left_member
):
    login(client, left_member)
    before = stored()
    for name, act in _actions(client).items():
        response = act()
        assert response.status_code == 403, name
        page = text(response)
        assert NOT_ENROLLED_HEADING in page, name
        assert "You left this course" in page, name
        assert stored() == before, name


def test_a_member_who_never_enrolled_gets_the_same_answer(client, login, left_member, make_user):
    # The same URLs (the attempts are the other member's, or none): the same page,
    # without "you left".
    login(client, make_user(name="Never Enrolled"))
    before = stored()
    for name, act in _actions(client).items():
        response = act()
        assert response.status_code == 403, name
        page = text(response)
        assert NOT_ENROLLED_HEADING in page, name
        assert "You left this course" not in page, name
        assert stored() == before, name


def test_a_submission_from_before_leaving_is_not_marked_after_it(client, login, enrolled, basics):
    """The drift bug: the attempt page checked enrolment, the submission did not."""
    login(client, enrolled)
    response = client.post(QUIZ + "/attempts")
    assert response.status_code == 303
    attempt_url = response.location
    attempt = learning.attempt_by_number(enrolled.id, quiz_of(basics, "listening").id, 1)
    answers = form_for(attempt)
    assert client.post(COURSE + "/leave").status_code == 303
    before = stored()
    response = client.post(attempt_url, data=answers)
    assert response.status_code == 403
    assert NOT_ENROLLED_HEADING in text(response)
    assert stored() == before
    # Back in the course, the same attempt is still open and can be sent.
    client.post(COURSE + "/enrol")
    response = client.post(attempt_url, data=answers)
    assert response.status_code == 303
    assert learning.attempt_by_number(enrolled.id, attempt.quiz_id, 1).passed


def test_enrolled_members_still_reach_every_action(client, login, enrolled, basics):
    login(client, enrolled)
    assert client.get(LESSON).status_code == 200
    assert client.get(QUIZ).status_code == 200
    start = client.post(QUIZ + "/attempts")
    assert start.status_code == 303
    assert client.get(start.location).status_code == 200
    attempt = learning.attempt_by_number(enrolled.id, quiz_of(basics, "listening").id, 1)
    assert client.post(start.location, data=form_for(attempt)).status_code == 303
    assert client.get(start.location).status_code == 200
    assert client.post(LESSON + "/complete").status_code == 303
    lesson = lesson_by_slug(basics, "why-listen-first")
    assert db.session.get(LessonCompletion, (enrolled.id, lesson.id)) is not None


# The routes do not decide it themselves ----------------------------------------------------

ROUTES = Path(academy.__file__).parent / "learn" / "routes.py"
# What deciding enrolment in a view looks like: asking for the active enrolment, or
# reading whether it was left.
DECIDING = ("active_enrolment", "left_at", "is_taking")
CONTENT_URLS = ("/lessons/", "/quizzes/", "/media/")


def views_deciding_enrolment(source: str) -> list[str]:
    """Names of lesson, quiz and media views in `source` that decide enrolment themselves."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef):
            continue
        urls = [
            arg.value
            for decorator in node.decorator_list
            if isinstance(decorator, ast.Call)
            for arg in decorator.args
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        if not any(part in url for url in urls for part in CONTENT_URLS):
            continue
        names = {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
        names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        if names.intersection(DECIDING):
            found.append(node.name)
    return found


def test_lesson_and_quiz_views_leave_the_enrolment_rule_to_the_service():
    assert views_deciding_enrolment(ROUTES.read_text()) == []


def test_the_guard_finds_a_view_that_decides_enrolment_itself():
    drifted = """
@bp.post("/courses/<course_slug>/quizzes/<module_slug>/attempts/<int:number>")
def submit_attempt(course_slug, module_slug, number):
    if learning.active_enrolment(current_user.id, course.id) is None:
        return _not_enrolled(course)

@bp.get("/courses/<course_slug>/leave")
def leave(course_slug):
    return learning.active_enrolment(current_user.id, 1)
"""
    assert views_deciding_enrolment(drifted) == ["submit_attempt"]
