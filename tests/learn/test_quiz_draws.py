"""Issue 19: a retake of a pooled quiz asks a different set of questions, and the quiz
page states how many questions there are and how many must be right, as marking does."""

from __future__ import annotations

import math
import re

import pytest
from sqlalchemy import func, select

from academy.extensions import db
from academy.models import Question, QuizAttempt
from academy.services import learning
from tests.learn.conftest import RIGHT, quiz_of, responses, wrong

QUIZZES = {
    "listening": "/courses/organising-basics/quizzes/listening",
    "teams": "/courses/organising-basics/quizzes/teams",
}
FALSE_FAILURE = 1e-9  # the most this test may fail by bad luck with a correct draw


def _pool(quiz) -> int:
    return db.session.scalar(
        select(func.count(Question.id)).where(
            Question.quiz_id == quiz.id, Question.retired_at.is_(None)
        )
    )


def retakes_needed(pool: int, draw: int) -> int:
    """Retakes after which "every one drew the same set as the attempt before it" has a
    probability under FALSE_FAILURE: each draw is uniform over the C(pool, draw) sets, so
    one retake repeats the previous set with probability 1 / C(pool, draw)."""
    same = 1 / math.comb(pool, draw)
    return math.floor(math.log(FALSE_FAILURE) / math.log(same)) + 1


def test_the_number_of_retakes_is_enough():
    assert retakes_needed(4, 3) == 15  # (1/4)^15 = 9.3e-10; (1/4)^14 = 3.7e-9
    assert (1 / 4) ** 15 < FALSE_FAILURE < (1 / 4) ** 14
    assert retakes_needed(12, 8) == 4  # the guide's 12 and 8: (1/495)^3 = 8.2e-9


def _latest(member) -> QuizAttempt:
    db.session.expire_all()
    return db.session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == member.id)
        .order_by(QuizAttempt.id.desc())
        .limit(1)
    ).one()


def _form(attempt: QuizAttempt, answers: dict) -> dict:
    return {f"q-{key}": values for key, values in responses(attempt, answers).items()}


def test_a_retake_of_a_pooled_quiz_draws_a_different_set(client, login, make_user, basics):
    """Start, submit, start again, through the pages and the real system random."""
    quiz = quiz_of(basics, "listening")
    pool, draw = _pool(quiz), quiz.draw
    assert draw < pool
    needed = retakes_needed(pool, draw)
    per_member = quiz.max_attempts - 1  # retakes one member may take
    sets: list[tuple[frozenset[str], frozenset[str]]] = []  # (before, retake)

    while len(sets) < needed:
        member = make_user()
        learning.enrol(member, basics)
        db.session.commit()
        login(client, member)
        previous = None
        for _ in range(min(per_member + 1, needed - len(sets) + 1)):
            response = client.post(QUIZZES["listening"] + "/attempts")
            assert response.status_code == 303
            attempt = _latest(member)
            drawn = frozenset(q["key"] for q in attempt.questions)
            assert len(drawn) == draw
            if previous is not None:
                sets.append((previous, drawn))
            submitted = client.post(response.location, data=_form(attempt, wrong(attempt)))
            assert submitted.status_code == 303
            previous = drawn
    assert len(sets) == needed
    chance = (1 / math.comb(pool, draw)) ** needed
    assert any(before != after for before, after in sets), (
        f"{needed} retakes all drew the set before them: with {pool} questions drawn "
        f"{draw} at a time that happens with probability {chance:.1e}"
    )


def _answers_with(attempt: QuizAttempt, right: int) -> dict:
    """Answers to the attempt's questions with exactly `right` of them right."""
    answers = wrong(attempt)
    for question in attempt.questions[:right]:
        answers[question["key"]] = RIGHT[question["key"]]
    return answers


@pytest.mark.parametrize("module", ["listening", "teams"])
def test_the_quiz_page_states_what_marking_needs(client, login, enrolled, basics, module):
    login(client, enrolled)
    quiz = quiz_of(basics, module)
    page = client.get(QUIZZES[module]).get_data(as_text=True)
    needed, asked = map(int, re.search(r"pass with (\d+) of (\d+) right", page).groups())
    course_page = client.get("/courses/organising-basics").get_data(as_text=True)
    assert f"pass with {needed} of {asked} right" in course_page
    assert f"{quiz.pass_mark}%" in page
    # One right answer short of it fails; exactly that many passes.
    outcomes = []
    for right in (needed - 1, needed):
        response = client.post(QUIZZES[module] + "/attempts")
        attempt = _latest(enrolled)
        assert len(attempt.questions) == asked
        client.post(response.location, data=_form(attempt, _answers_with(attempt, right)))
        outcomes.append(_latest(enrolled).passed)
    assert outcomes == [False, True]
