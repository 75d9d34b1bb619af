"""A small, known world for item analysis: members taking the test curriculum's
listening quiz (a pool of 4 questions, 3 drawn per attempt, pass mark 60%)
through the real start and submit, with the questions each attempt draws chosen
by the test."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import select

from academy.extensions import db
from academy.models import Course, QuizAttempt, User
from academy.services import learning

# The listening quiz's questions, by the letter the tests use.
F = "what-comes-first-in-a-listening-campaign"  # single choice, b is right
M = "which-of-these-belong-in-a-listening-conversation-choose-all"  # a and b are right
S = "what-do-we-call-going-back-to-tell-people-what-we-heard"  # short: report back
T = "who-should-do-most-of-the-talking-in-a-listening"  # single choice, b is right


class Drawing(random.Random):
    """Draws exactly the questions asked for, in the quiz's order (no shuffling)."""

    def __init__(self, keys: Sequence[str]):
        super().__init__(0)
        self.keys = set(keys)

    def sample(self, population, k, **_):  # noqa: ARG002 - k is the quiz's draw
        return [question for question in population if question.key in self.keys]

    def shuffle(self, x, *_args) -> None:
        return None


def _responses(attempt: QuizAttempt, answers: dict[str, object]) -> dict[str, list[str]]:
    sent: dict[str, list[str]] = {}
    for question in attempt.questions:
        answer = answers[question["key"]]
        if question["kind"] == "short":
            sent[question["key"]] = [answer]
        else:
            keys = [answer] if isinstance(answer, str) else answer
            sent[question["key"]] = [learning.option_value(question["key"], k) for k in keys]
    return sent


@pytest.fixture
def listening(app):
    course = db.session.scalar(select(Course).where(Course.slug == "organising-basics"))
    module = next(m for m in course.modules if m.slug == "listening")
    return course, module.quiz


@pytest.fixture
def take(listening) -> Callable[[User, dict[str, object]], QuizAttempt]:
    """take(member, {question key: option key | [option keys] | text}): start an attempt
    asking exactly those questions and submit those answers (marked by the service)."""
    course, quiz = listening

    def run(member: User, answers: dict[str, object]) -> QuizAttempt:
        if learning.active_enrolment(member.id, course.id) is None:
            learning.enrol(member, course)
        attempt = learning.start_attempt(member, quiz, rng=Drawing(answers))
        assert {q["key"] for q in attempt.questions} == set(answers)
        learning.submit_attempt(member, attempt, _responses(attempt, answers))
        db.session.commit()
        return attempt

    return run


@pytest.fixture
def members(make_user) -> Callable[[int], list[User]]:
    def make(n: int) -> list[User]:
        return [
            make_user(name=f"Quizzer Number{i}", email=f"quizzer{i}@example.org") for i in range(n)
        ]

    return make
