"""Fixtures for the learning journey: the test curriculum's courses and a member."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from academy.extensions import db
from academy.models import Course, Lesson, Quiz
from academy.services import learning


def course_by_slug(slug: str) -> Course:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def lesson_by_slug(course: Course, slug: str) -> Lesson:
    return db.session.scalar(
        select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == slug)
    )


def quiz_of(course: Course, module_slug: str) -> Quiz:
    module = next(m for m in course.modules if m.slug == module_slug)
    return module.quiz


@pytest.fixture
def basics(app) -> Course:
    """organising-basics: 2 modules of 2 lessons, each with a quiz; no prerequisites."""
    return course_by_slug("organising-basics")


@pytest.fixture
def leading(app) -> Course:
    """leading-campaigns: needs organising-basics; its first quiz draws 2 of 3, shuffled."""
    return course_by_slug("leading-campaigns")


@pytest.fixture
def member(make_user):
    return make_user(name="Ada Member")


@pytest.fixture
def enrolled(member, basics):
    """`member`, enrolled in organising-basics."""
    learning.enrol(member, basics)
    db.session.commit()
    return member


# The right answers to the test curriculum's quizzes, by question key.
RIGHT = {
    "what-comes-first-in-a-listening-campaign": "b",
    "which-of-these-belong-in-a-listening-conversation-choose-all": ["a", "b"],
    "what-do-we-call-going-back-to-tell-people-what-we-heard": "  Report   BACK ",
    "how-long-should-a-first-one-to-one-usually-last": "b",
    "which-of-these-make-a-meeting-accessible-choose-all-that": ["a", "c"],
    "who-belongs-on-a-power-map-for-a-bus-route-campaign-choose": ["a", "b"],
    "power-axis": "a",
    "what-is-the-person-who-can-say-yes-called": "Decision maker",
    "what-usually-comes-first-when-you-escalate": "a",
    "who-should-do-most-of-the-talking-in-a-listening": "b",
    "when-should-a-meeting-finish": "b",
    "who-do-you-thank-after-a-win": "b",
}


def responses(attempt, answers: dict) -> dict[str, list[str]]:
    """What a form would send for `answers` (question key -> option key(s) or text)."""
    sent = {}
    for question in attempt.questions:
        answer = answers.get(question["key"])
        if answer is None:
            continue
        if question["kind"] == "short":
            sent[question["key"]] = [answer]
        else:
            keys = [answer] if isinstance(answer, str) else answer
            sent[question["key"]] = [learning.option_value(question["key"], k) for k in keys]
    return sent


def wrong(attempt) -> dict:
    answers = dict(RIGHT)
    for question in attempt.questions:
        if question["kind"] == "short":
            answers[question["key"]] = "no idea"
        else:
            options = [o["key"] for o in question["options"] if not o["correct"]]
            answers[question["key"]] = options[0]
    return answers
