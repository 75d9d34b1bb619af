"""Many members at once, writing: every accepted write is kept, once, with no "database is locked".

Eight members, each on its own thread, each sending 25 requests as fast as the
server answers: lessons marked complete (some twice), quiz attempts started,
submitted, and submitted again with other answers. The server is gunicorn as in
production, two processes of four threads each, on SQLite (one file shared by
both processes) or PostgreSQL where TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import Course, Lesson, Module, Quiz, User
from academy.models.learning import Enrolment, LessonCompletion, QuizAttempt
from academy.services import learning
from tests.conftest import PASSWORD
from tests.deploy.servers import (
    Client,
    RedisDatabase,
    SharedDatabase,
    app_environment,
    start_gunicorn,
)

CLIENTS = 8
REQUESTS_EACH = 25


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("load")
    shared = SharedDatabase(tmp_path_factory.mktemp("load-db"))
    redis_db = RedisDatabase()  # production does not start without one
    process = None
    try:
        process = start_gunicorn(
            "load", app_environment(shared, redis_db, tmp), tmp, workers=2, threads=4
        )
        yield shared, process
    finally:
        if process:
            process.stop()
        redis_db.release()
        shared.drop()


def curriculum(app):
    """[(course slug, [lesson slugs]), …] and [(course slug, module slug, quiz id), …]."""
    with app.app_context():
        lessons = db.session.execute(
            sa.select(Course.slug, Lesson.slug, Lesson.id)
            .join(Lesson, Lesson.course_id == Course.id)
            .where(Lesson.retired_at.is_(None))
            .order_by(Course.slug, Lesson.id)
        ).all()
        quizzes = db.session.execute(
            sa.select(Course.slug, Module.slug, Quiz.id)
            .join(Module, Module.course_id == Course.id)
            .join(Quiz, Quiz.module_id == Module.id)
            .where(Quiz.retired_at.is_(None))
            .order_by(Course.slug, Module.position)
        ).all()
        db.session.remove()
    return lessons, quizzes


def enrol_everywhere(app, user_id: int) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        for course in db.session.scalars(sa.select(Course)):
            learning.enrol(user, course, check_prerequisites=False)
        db.session.commit()
        db.session.remove()


def answers_on(page: str) -> dict[str, str]:
    """The first option of every question (or a short answer) on an attempt form."""
    answers: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]+>", page):
        name = re.search(r'name="(q-[^"]+)"', tag)
        if not name or name.group(1) in answers:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag).group(1)
        answers[name.group(1)] = "an answer" if kind == "text" else value.group(1)
    return answers


class Member(threading.Thread):
    """One member studying as fast as the server lets them; records what was accepted."""

    def __init__(self, url: str, email: str, lessons, quizzes):
        super().__init__(daemon=True)
        self.client = Client(url)
        self.email = email
        self.lessons = lessons
        self.quizzes = quizzes
        self.sent = 0
        self.completed: set[int] = set()  # lesson ids whose completion was accepted
        self.started: dict[int, int] = {}  # quiz id -> attempt number the server gave
        self.submitted: dict[int, dict] = {}  # quiz id -> the answers first accepted
        self.failures: list[str] = []

    def expect(self, response, statuses, what):
        self.sent += 1
        if response.status not in statuses:
            self.failures.append(f"{what}: {response.status} {response.body[:300]}")
            return False
        return True

    def run(self):
        try:
            self.study()
        except Exception as error:  # reported by the test, not lost in the thread
            self.failures.append(repr(error))

    def study(self):
        login = self.client.post("/login", {"email": self.email, "password": PASSWORD})
        if not self.expect(login, {302}, "log-in"):
            return
        plan = []
        for course, slug, lesson_id in self.lessons:
            plan.append(("lesson", course, slug, lesson_id))
        for course, slug, lesson_id in self.lessons[::2]:
            plan.append(("lesson", course, slug, lesson_id))  # again: must stay one row
        for course, module, quiz_id in self.quizzes[:3]:
            plan.append(("quiz", course, module, quiz_id))
        for step in plan:
            if self.sent >= REQUESTS_EACH - 3:
                break
            if step[0] == "lesson":
                _, course, slug, lesson_id = step
                path = f"/courses/{course}/lessons/{slug}"
                answer = self.client.post(f"{path}/complete", {}, token_from=path)
                self.sent += 1  # the form page
                if self.expect(answer, {303}, f"complete {path}"):
                    self.completed.add(lesson_id)
            else:
                _, course, module, quiz_id = step
                quiz_path = f"/courses/{course}/quizzes/{module}"
                start = self.client.post(f"{quiz_path}/attempts", {}, token_from=quiz_path)
                self.sent += 1
                if not self.expect(start, {303}, f"start {quiz_path}"):
                    continue
                attempt_path = start.headers["location"].split("//", 1)[-1]
                attempt_path = attempt_path[attempt_path.index("/") :]
                number = int(attempt_path.rstrip("/").rsplit("/", 1)[1])
                self.started[quiz_id] = number
                form = self.client.get(attempt_path)
                self.sent += 1
                answers = answers_on(form.body)
                first = self.client.post(attempt_path, answers, token_from=attempt_path)
                self.sent += 1
                if self.expect(first, {303}, f"submit {attempt_path}"):
                    self.submitted[quiz_id] = answers
                # The same attempt again with other answers: the first must stand.
                other = {name: "changed-my-mind" for name in answers}
                again = self.client.post(attempt_path, other, token_from=attempt_path)
                self.sent += 1
                self.expect(again, {303, 422}, f"resubmit {attempt_path}")


def test_every_accepted_write_is_kept_once(server):
    shared, process = server
    lessons_with_ids, quizzes = curriculum(shared.app)
    lessons = [(course, slug, lesson_id) for course, slug, lesson_id in lessons_with_ids]
    members = []
    for n in range(CLIENTS):
        email = f"load-{n}@example.org"
        user_id = shared.make_member(email, name=f"Load Member {n}")
        enrol_everywhere(shared.app, user_id)
        members.append((user_id, Member(process.url, email, lessons, quizzes)))

    for _, member in members:
        member.start()
    for _, member in members:
        member.join(timeout=240)
    assert not any(member.is_alive() for _, member in members), "clients did not finish"

    failures = [f for _, member in members for f in member.failures]
    assert failures == []
    assert sum(member.sent for _, member in members) >= CLIENTS * 20

    with shared.app.app_context():
        for user_id, member in members:
            done = db.session.scalars(
                sa.select(LessonCompletion.lesson_id).where(LessonCompletion.user_id == user_id)
            ).all()
            # Every accepted completion is there, once (a repeat added nothing).
            assert sorted(done) == sorted(member.completed)
            assert len(done) == len(set(done))
            attempts = db.session.scalars(
                sa.select(QuizAttempt).where(QuizAttempt.user_id == user_id)
            ).all()
            per_quiz = defaultdict(list)
            for attempt in attempts:
                per_quiz[attempt.quiz_id].append(attempt)
            assert set(per_quiz) == set(member.started)
            for quiz_id, rows in per_quiz.items():
                # One attempt per start, with the number the server gave; the first
                # submission's answers kept, the second changed nothing.
                assert [a.number for a in rows] == [member.started[quiz_id]]
                (attempt,) = rows
                assert attempt.submitted_at is not None
                sent = {k.removeprefix("q-"): v for k, v in member.submitted[quiz_id].items()}
                assert "changed-my-mind" not in str(attempt.answers)
                assert set(attempt.answers) == set(sent)
            enrolments = db.session.scalars(
                sa.select(Enrolment).where(Enrolment.user_id == user_id)
            ).all()
            assert len(enrolments) == len({e.course_id for e in enrolments})
        db.session.remove()

    log = process.output()
    assert "database is locked" not in log
    assert "Traceback" not in log
