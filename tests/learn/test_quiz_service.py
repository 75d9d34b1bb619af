"""Quiz attempts through the service: marking, limits, snapshots and idempotency."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from academy.extensions import db
from academy.models import Question, QuizAttempt
from academy.services import ServiceError, learning
from tests.learn.conftest import RIGHT, quiz_of, responses, wrong

# These tests name the questions they answer: the listening quiz asks its first three.
pytestmark = pytest.mark.usefixtures("written_order")


def test_right_answers_pass_with_normalised_short_answers(enrolled, basics):
    quiz = quiz_of(basics, "listening")
    attempt = learning.start_attempt(enrolled, quiz)
    learning.submit_attempt(enrolled, attempt, responses(attempt, RIGHT))
    db.session.commit()
    assert attempt.submitted_at is not None
    assert attempt.score == 100
    assert attempt.passed is True
    assert attempt.answers["what-do-we-call-going-back-to-tell-people-what-we-heard"] == (
        "Report   BACK"
    )


def test_pass_mark_is_compared_exactly(enrolled, basics):
    quiz = quiz_of(basics, "listening")  # pass mark 60, three questions
    attempt = learning.start_attempt(enrolled, quiz)
    answers = dict(RIGHT)
    answers["what-comes-first-in-a-listening-campaign"] = "a"
    learning.submit_attempt(enrolled, attempt, responses(attempt, answers))
    assert attempt.score == 66
    assert attempt.passed is True
    # Choose-all-that-apply: a subset of the right options is wrong.
    second_quiz = quiz_of(basics, "teams")  # course pass mark 70, two questions
    attempt = learning.start_attempt(enrolled, second_quiz)
    answers = dict(RIGHT)
    answers["which-of-these-make-a-meeting-accessible-choose-all-that"] = ["a"]
    learning.submit_attempt(enrolled, attempt, responses(attempt, answers))
    assert (attempt.score, attempt.passed) == (50, False)
    assert attempt.results == {
        "how-long-should-a-first-one-to-one-usually-last": True,
        "which-of-these-make-a-meeting-accessible-choose-all-that": False,
    }


def test_a_submitted_attempt_cannot_be_submitted_again(enrolled, basics):
    quiz = quiz_of(basics, "listening")
    attempt = learning.start_attempt(enrolled, quiz)
    learning.submit_attempt(enrolled, attempt, responses(attempt, wrong(attempt)))
    db.session.commit()
    with pytest.raises(learning.AlreadySubmitted):
        learning.submit_attempt(enrolled, attempt, responses(attempt, RIGHT))
    # A second tab loaded the attempt before it was submitted: its stale copy still
    # looks open, and the conditional update changes nothing.
    set_committed_value(attempt, "submitted_at", None)
    with pytest.raises(learning.AlreadySubmitted):
        learning.submit_attempt(enrolled, attempt, responses(attempt, RIGHT))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(QuizAttempt, attempt.id)
    assert stored.passed is False
    assert stored.score == 0


def test_starting_twice_reuses_the_open_attempt(enrolled, basics):
    quiz = quiz_of(basics, "listening")
    first = learning.start_attempt(enrolled, quiz)
    second = learning.start_attempt(enrolled, quiz)
    assert first.id == second.id
    count = db.session.scalar(select(func.count()).where(QuizAttempt.user_id == enrolled.id))
    assert count == 1


def test_maximum_attempts_and_best_score(enrolled, basics):
    quiz = quiz_of(basics, "listening")  # max 3
    scores = []
    for answers in ("wrong", "right", "wrong"):
        attempt = learning.start_attempt(enrolled, quiz)
        chosen = RIGHT if answers == "right" else wrong(attempt)
        learning.submit_attempt(enrolled, attempt, responses(attempt, chosen))
        scores.append(attempt.score)
    assert [a.number for a in learning.attempts_for(enrolled.id, quiz.id)] == [1, 2, 3]
    with pytest.raises(ServiceError, match="used all 3 attempts"):
        learning.start_attempt(enrolled, quiz)
    progress = learning.course_progress(enrolled, basics)
    status = progress.quizzes[quiz.id]
    assert status.best_score == 100
    assert status.passed
    assert status.attempts_left == 0


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"what-comes-first-in-a-listening-campaign": ["x:y"]}, "not one of its options"),
        (
            {
                "what-comes-first-in-a-listening-campaign": [
                    "what-comes-first-in-a-listening-campaign:z"
                ]
            },
            "not one of its options",
        ),  # noqa: E501
        (
            {
                "what-comes-first-in-a-listening-campaign": [
                    "which-of-these-belong-in-a-listening-conversation-choose-all:c"
                ]
            },
            "belongs to another question",
        ),  # noqa: E501
        (
            {
                "what-comes-first-in-a-listening-campaign": [
                    "what-comes-first-in-a-listening-campaign:a",
                    "what-comes-first-in-a-listening-campaign:b",
                ]
            },
            "choose only one",
        ),  # noqa: E501
        ({"what-comes-first-in-a-listening-campaign": []}, "choose an answer"),
        ({"what-do-we-call-going-back-to-tell-people-what-we-heard": ["   "]}, "write your answer"),  # noqa: E501
        ({"what-do-we-call-going-back-to-tell-people-what-we-heard": ["x" * 201]}, "under 200"),
        ({"not-a-question": ["a"]}, "not in this attempt"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_recorded(enrolled, basics, answers, message):
    quiz = quiz_of(basics, "listening")
    attempt = learning.start_attempt(enrolled, quiz)
    sent = responses(attempt, RIGHT)
    sent.update(answers)
    with pytest.raises(learning.InvalidAnswers) as caught:
        learning.submit_attempt(enrolled, attempt, sent)
    assert any(message in problem for problem in caught.value.problems.values())
    db.session.refresh(attempt)
    assert attempt.submitted_at is None
    assert attempt.answers is None


def test_draw_and_shuffle_are_fixed_in_the_snapshot(make_user, basics, leading):
    member = make_user()
    learning.enrol(member, leading, check_prerequisites=False)
    quiz = quiz_of(leading, "power-mapping")  # draws 2 of 3, shuffled, unlimited attempts
    seen_orders = set()
    for seed in range(8):
        attempt = learning.start_attempt(member, quiz, rng=random.Random(seed))
        keys = [q["key"] for q in attempt.questions]
        assert len(keys) == 2
        assert len(set(keys)) == 2
        seen_orders.add(tuple(keys))
        learning.submit_attempt(member, attempt, responses(attempt, RIGHT))
        assert attempt.score == 100
    assert len(seen_orders) > 1


def test_marking_uses_the_snapshot_not_the_current_question(enrolled, basics):
    quiz = quiz_of(basics, "listening")
    attempt = learning.start_attempt(enrolled, quiz)
    # The curriculum changes under an open attempt: the right option moves.
    question = db.session.scalar(
        select(Question).where(
            Question.quiz_id == quiz.id, Question.key == "what-comes-first-in-a-listening-campaign"
        )
    )
    question.options = [{**o, "correct": o["key"] == "a"} for o in question.options]
    db.session.flush()
    learning.submit_attempt(enrolled, attempt, responses(attempt, RIGHT))
    assert attempt.score == 100


def test_review_hides_answers_until_passed_or_out_of_attempts(enrolled, basics):
    quiz = quiz_of(basics, "listening")  # review: after-pass
    attempt = learning.start_attempt(enrolled, quiz)
    learning.submit_attempt(enrolled, attempt, responses(attempt, wrong(attempt)))
    status = learning.quiz_status(quiz, learning.attempts_for(enrolled.id, quiz.id))
    assert not learning.answers_revealed(attempt, status)
    items = learning.review(attempt, status)
    assert all(option.correct is None for item in items for option in item.options)
    assert all(item.accepted == () for item in items)
    first = items[0]
    assert not first.right
    chosen = [o for o in first.options if o.chosen]
    assert chosen[0].feedback_html  # feedback on what they chose
    assert all(not o.feedback_html for o in first.options if not o.chosen)
    # Once passed, every attempt's review shows the answers.
    passing = learning.start_attempt(enrolled, quiz)
    learning.submit_attempt(enrolled, passing, responses(passing, RIGHT))
    status = learning.quiz_status(quiz, learning.attempts_for(enrolled.id, quiz.id))
    items = learning.review(attempt, status)
    assert any(option.correct for option in items[0].options)
    assert "report back" in items[2].accepted


def test_passing_the_last_quiz_completes_the_course_once(enrolled, basics):
    for lesson in basics.lessons:
        learning.complete_lesson(enrolled, lesson)
    for module in basics.modules:
        attempt = learning.start_attempt(enrolled, module.quiz)
        learning.submit_attempt(enrolled, attempt, responses(attempt, RIGHT))
    db.session.commit()
    enrolment = learning.enrolment_for(enrolled.id, basics.id)
    assert enrolment.completed_at is not None
    when = enrolment.completed_at
    # A later better attempt or lesson click does not move the date.
    learning.complete_lesson(enrolled, basics.lessons[0])
    assert learning.enrolment_for(enrolled.id, basics.id).completed_at == when
    progress = learning.course_progress(enrolled, basics)
    assert progress.percent == 100
    assert progress.next_step is None


def test_not_enrolled_members_cannot_start(member, basics):
    with pytest.raises(ServiceError, match="Enrol"):
        learning.start_attempt(member, quiz_of(basics, "listening"))
