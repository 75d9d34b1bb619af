"""Attempt limits hold under concurrency (issue 23), against a real server on a
committed database: SQLite here, PostgreSQL when TEST_DATABASE_URL is set.

Several clients of one member start and submit the same quiz at once, round after
round, as tabs racing each other would: no round ever ends with more attempts
than the quiz allows, nor ever sees two open at once. The database decides, not
luck: the last test shows it refusing a second open attempt by itself.
"""

from __future__ import annotations

import datetime as dt
import http.client
import threading
import uuid
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from academy.extensions import db
from academy.learn.forms import AnswersForm
from academy.models import Course, Enrolment, Module, Quiz, QuizAttempt
from academy.services import accounts
from academy.services.learning import option_value
from academy.timeutil import utcnow
from tests.certificates.test_concurrency import signed_in_cookie
from tests.conftest import PASSWORD

ROUNDS = 8  # members, each raced from every client until their attempts are used up
CLIENTS = 4  # a member's tabs, all at once
QUIZ_URL = "/courses/organising-basics/quizzes/listening"


def _enrolled_member(app) -> tuple[int, int, str, str]:
    with app.app_context():
        member = accounts.create_user(
            f"racer-{uuid.uuid4().hex[:8]}@example.org",
            "Race Member",
            PASSWORD,
            check_password=False,
        )
        course = db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))
        now = utcnow()
        db.session.add(
            Enrolment(
                user_id=member.id,
                course_id=course.id,
                enrolled_at=now - dt.timedelta(days=1),
                last_activity_at=now,
            )
        )
        db.session.commit()
        quiz_id = db.session.scalar(
            sa.select(Quiz.id)
            .join(Module, Module.id == Quiz.module_id)
            .where(Module.course_id == course.id, Module.slug == "listening")
        )
        cookie, token = signed_in_cookie(app, member)
        member_id = member.id
        db.session.remove()
    return member_id, quiz_id, cookie, token


def _answers(app, member_id: int, quiz_id: int, number: int, token: str) -> str:
    """A complete (not necessarily right) set of answers to the attempt as it was drawn."""
    with app.app_context():
        attempt = db.session.scalar(
            sa.select(QuizAttempt).where(
                QuizAttempt.user_id == member_id,
                QuizAttempt.quiz_id == quiz_id,
                QuizAttempt.number == number,
            )
        )
        fields: list[tuple[str, str]] = [("csrf_token", token)]
        for question in attempt.questions:
            name = AnswersForm.FIELD_PREFIX + question["key"]
            if question["kind"] == "short":
                fields.append((name, "report back"))
            else:
                fields.append((name, option_value(question["key"], question["options"][0]["key"])))
        db.session.remove()
    return urlencode(fields)


def _post(server_url: str, path: str, body: str, cookie: str) -> tuple[int, str]:
    address = urlsplit(server_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "Referer": server_url + QUIZ_URL,
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location", "")
    finally:
        connection.close()


def _race(live_server) -> tuple[list[tuple[str, int, str]], list]:
    """One member's tabs racing until every attempt is used: the answers, and the
    attempts (number, submitted_at) the database holds afterwards."""
    app = live_server.app
    member_id, quiz_id, cookie, token = _enrolled_member(app)
    start = threading.Barrier(CLIENTS)
    answers: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def tab() -> None:
        # Start, submit what was started, again, until refused: the starts of one
        # tab meet the submissions of another at every point in between.
        start.wait()
        for _ in range(10):
            begin = urlencode({"csrf_token": token})
            status, location = _post(live_server.url, f"{QUIZ_URL}/attempts", begin, cookie)
            with lock:
                answers.append(("start", status, location))
            if "/attempts/" not in location:
                return  # refused: every attempt used
            number = int(location.rstrip("/").rsplit("/", 1)[1])
            body = _answers(app, member_id, quiz_id, number, token)
            status, location = _post(live_server.url, f"{QUIZ_URL}/attempts/{number}", body, cookie)
            with lock:
                answers.append(("submit", status, location))

    threads = [threading.Thread(target=tab) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        attempts = db.session.execute(
            sa.select(QuizAttempt.number, QuizAttempt.submitted_at).where(
                QuizAttempt.user_id == member_id, QuizAttempt.quiz_id == quiz_id
            )
        ).all()
        db.session.remove()
    return answers, attempts


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_racing_tabs_never_get_more_attempts_than_allowed(live_server, round_):  # noqa: ARG001
    answers, attempts = _race(live_server)
    # Every request answered as a page would: a redirect, never an error.
    assert {status for _, status, _ in answers} == {303}, answers
    # Every tab ended refused, out of attempts.
    refused = [a for a in answers if a[0] == "start" and "/attempts/" not in a[2]]
    assert len(refused) == CLIENTS, answers
    # Exactly the three the quiz allows, numbered 1 to 3, all submitted.
    assert sorted(number for number, _ in attempts) == [1, 2, 3], attempts
    assert all(submitted is not None for _, submitted in attempts)


def test_the_losing_tabs_are_shown_the_attempt_that_exists(live_server):
    app = live_server.app
    member_id, quiz_id, cookie, token = _enrolled_member(app)
    start = threading.Barrier(CLIENTS)
    locations: list[str] = []
    lock = threading.Lock()

    def tab() -> None:
        start.wait()
        status, location = _post(
            live_server.url, f"{QUIZ_URL}/attempts", urlencode({"csrf_token": token}), cookie
        )
        with lock:
            locations.append(f"{status} {location}")

    threads = [threading.Thread(target=tab) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(locations) == {f"303 {QUIZ_URL}/attempts/1"}, locations


@pytest.fixture
def member_at_quiz(app, make_user):
    member = make_user()
    course = db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))
    quiz = db.session.scalar(
        sa.select(Quiz)
        .join(Module, Module.id == Quiz.module_id)
        .where(Module.course_id == course.id, Module.slug == "listening")
    )
    return member, quiz


def _attempt(member, quiz, number: int, *, submitted: bool) -> QuizAttempt:
    return QuizAttempt(
        user_id=member.id,
        quiz_id=quiz.id,
        course_id=quiz.course_id,
        number=number,
        started_at=utcnow(),
        submitted_at=utcnow() if submitted else None,
        snapshot={},
    )


def test_the_database_refuses_a_second_open_attempt(member_at_quiz):
    member, quiz = member_at_quiz
    first = _attempt(member, quiz, 1, submitted=False)
    db.session.add(first)
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(_attempt(member, quiz, 2, submitted=False))
    # Once the first is submitted, the next may be open.
    first.submitted_at = utcnow()
    db.session.add(_attempt(member, quiz, 2, submitted=False))
    db.session.flush()


def test_a_start_past_the_last_number_allowed_is_refused(member_at_quiz, written_order):
    """Numbers count as well as submissions: the next start would need number 4,
    which the quiz (three attempts) does not allow, so the (user, quiz, number)
    constraint keeps every attempt within the limit."""
    from academy.services import ServiceError, learning

    member, quiz = member_at_quiz
    course = db.session.get(Course, quiz.course_id)
    learning.enrol(member, course)
    db.session.add(_attempt(member, quiz, 2, submitted=True))
    db.session.add(_attempt(member, quiz, 3, submitted=False))
    db.session.flush()
    assert learning.start_attempt(member, quiz).number == 3  # the open one, shown again
    db.session.execute(
        sa.update(QuizAttempt)
        .where(QuizAttempt.user_id == member.id, QuizAttempt.number == 3)
        .values(submitted_at=utcnow())
    )
    # Two submitted, but number 3 taken: no fourth.
    with pytest.raises(ServiceError, match="used all 3 attempts"):
        learning.start_attempt(member, quiz)
