"""Quizzes over real HTTP: no answers before submission, once-only attempts, bad input,
review by policy, and no member ever reaching another's attempts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from academy.extensions import db
from academy.models import QuizAttempt
from academy.services import learning
from tests.learn.conftest import quiz_of

QUIZ = "/courses/organising-basics/quizzes/listening"
FIRST = "what-comes-first-in-a-listening-campaign"
MULTI = "which-of-these-belong-in-a-listening-conversation-choose-all"
SHORT = "what-do-we-call-going-back-to-tell-people-what-we-heard"


# These tests name the questions they answer: the listening quiz asks its first three.
pytestmark = pytest.mark.usefixtures("written_order")


def text(response) -> str:
    return response.get_data(as_text=True)


def form_data(answers: dict) -> dict:
    """The fields a browser would send for `answers` (key -> option key(s) or text)."""
    data = {}
    for key, answer in answers.items():
        if key == SHORT:
            data[f"q-{key}"] = answer
        elif isinstance(answer, list):
            data[f"q-{key}"] = [f"{key}:{option}" for option in answer]
        else:
            data[f"q-{key}"] = f"{key}:{answer}"
    return data


RIGHT_FORM = form_data({FIRST: "b", MULTI: ["a", "b"], SHORT: "Report back"})
WRONG_FORM = form_data({FIRST: "a", MULTI: ["a"], SHORT: "no idea"})


def start(client) -> str:
    response = client.post(QUIZ + "/attempts")
    assert response.status_code == 303
    return response.location


def attempts_of(user) -> list[QuizAttempt]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(QuizAttempt).where(QuizAttempt.user_id == user.id).order_by(QuizAttempt.id)
        )
    )


def test_the_quiz_page_explains_the_rules(client, login, enrolled):
    login(client, enrolled)
    page = text(client.get(QUIZ))
    assert "Pass mark" in page
    assert "60%" in page
    assert "0 of 3 used" in page
    assert "Start the quiz" in page


def test_nothing_served_before_submission_gives_the_answers_away(client, login, enrolled):
    login(client, enrolled)
    url = start(client)
    page = text(client.get(url))
    assert "Asking residents what matters most to them" in page
    # No feedback, no correctness, no accepted answers anywhere in the form.
    for secret in (
        "we listen before we decide",
        "A slogan comes much later",
        "Reporting back keeps the promise",
        "report back",
        "correct",
        "feedback",
    ):
        assert secret.lower() not in page.lower(), secret
    assert page.count('type="radio"') == 3
    assert page.count('type="checkbox"') == 4
    assert 'name="q-what-do-we-call-going-back-to-tell-people-what-we-heard"' in page


def test_starting_twice_gives_the_same_attempt(client, login, enrolled):
    login(client, enrolled)
    first = start(client)
    second = start(client)
    assert first == second
    assert len(attempts_of(enrolled)) == 1


def test_a_failed_attempt_shows_what_was_wrong_but_not_the_answers(client, login, enrolled):
    login(client, enrolled)
    url = start(client)
    response = client.post(url, data=WRONG_FORM)
    assert response.status_code == 303
    page = text(client.get(response.location))
    assert "You scored <strong>0%</strong>" in page
    assert "not passed" in page
    assert page.count("tag-bad") >= 3
    # Feedback on what they chose …
    assert "Not yet: we decide what to say after we have listened." in page
    # … but not the right answers, nor the feedback that would give them away.
    assert "Correct answer" not in page
    assert "Yes: we listen before we decide" not in page
    assert "Accepted answers" not in page
    assert "Reporting back keeps the promise" not in page
    assert "Try again" in page


def test_after_passing_every_attempt_shows_the_answers(client, login, enrolled):
    login(client, enrolled)
    first = start(client)
    client.post(first, data=WRONG_FORM)
    second = start(client)
    assert second != first
    response = client.post(second, data=RIGHT_FORM)
    page = text(client.get(response.location))
    assert "You scored <strong>100%</strong>" in page
    review_of_first = text(client.get(first))
    assert "Correct answer" in review_of_first
    assert "Accepted answers: report back, reporting back" in review_of_first
    quiz_page = text(client.get(QUIZ))
    assert "100%" in quiz_page
    assert "Passed" in quiz_page


def test_using_every_attempt_reveals_the_answers_and_stops_more(client, login, enrolled):
    login(client, enrolled)
    for _ in range(3):
        client.post(start(client), data=WRONG_FORM)
    page = text(client.get(QUIZ))
    assert "You have used every attempt" in page
    assert "Start the quiz" not in page
    assert "Try again" not in page
    response = client.post(QUIZ + "/attempts")
    assert response.status_code == 303
    assert "used all 3 attempts" in text(client.get(response.location))
    assert len(attempts_of(enrolled)) == 3
    assert "Correct answer" in text(client.get(QUIZ + "/attempts/3"))


def test_a_replayed_submission_changes_nothing(client, login, enrolled):
    login(client, enrolled)
    url = start(client)
    client.post(url, data=WRONG_FORM)
    (attempt,) = attempts_of(enrolled)
    submitted = (attempt.submitted_at, attempt.score, attempt.answers)
    replay = client.post(url, data=RIGHT_FORM)
    assert replay.status_code == 303
    assert "already submitted" in text(client.get(replay.location))
    (attempt,) = attempts_of(enrolled)
    assert (attempt.submitted_at, attempt.score, attempt.answers) == submitted


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({f"q-{FIRST}": f"{MULTI}:c"}, "Question 1: that answer belongs to another question."),
        ({f"q-{FIRST}": f"{FIRST}:z"}, "Question 1: that is not one of its options."),
        ({f"q-{FIRST}": [f"{FIRST}:a", f"{FIRST}:b"]}, "Question 1: choose only one answer."),
        ({f"q-{MULTI}": []}, "Question 2: choose at least one answer."),
        ({f"q-{SHORT}": ""}, "Question 3: write your answer."),
        ({"q-made-up": "x"}, "not in this attempt"),
    ],
)
def test_bad_answers_get_a_clear_message_and_change_nothing(
    client, login, enrolled, change, message
):
    login(client, enrolled)
    url = start(client)
    data = {**RIGHT_FORM, **change}
    response = client.post(url, data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert "Nothing has been submitted yet" in page
    # What they had entered is kept.
    assert 'value="Report back"' in page or change.get(f"q-{SHORT}") == ""
    (attempt,) = attempts_of(enrolled)
    assert attempt.submitted_at is None
    assert client.post(url, data=RIGHT_FORM).status_code == 303


def test_submitting_needs_the_csrf_token(client, login, enrolled):
    login(client, enrolled)
    url = start(client)
    assert client.post(url, data=RIGHT_FORM, csrf=False).status_code == 400
    (attempt,) = attempts_of(enrolled)
    assert attempt.submitted_at is None


def test_a_member_never_reaches_another_members_attempts(
    client, login, enrolled, basics, make_user
):
    login(client, enrolled)
    mine = start(client)
    client.post(mine, data=WRONG_FORM)
    other = make_user(name="Bea Other")
    learning.enrol(other, basics)
    db.session.commit()
    login(client, other)
    # Same address, but it names the other member's own attempts, of which there are none.
    assert client.get(mine).status_code == 404
    assert client.post(mine, data=RIGHT_FORM).status_code == 404
    theirs = start(client)
    assert theirs == mine  # their own attempt 1
    page = text(client.get(theirs))
    assert "Submit answers" in page  # a fresh form, not my review
    assert "You scored" not in page
    dashboard = text(client.get("/dashboard"))
    assert "Quiz results" in dashboard
    assert "You have not taken a quiz yet." in dashboard
    (attempt,) = attempts_of(enrolled)
    assert attempt.score == 0


def test_review_always_policy_and_drawn_questions(client, login, make_user, leading):
    member = make_user()
    learning.enrol(member, leading, check_prerequisites=False)
    db.session.commit()
    login(client, member)
    url = "/courses/leading-campaigns/quizzes/power-mapping"
    page = text(client.get(url))
    assert "drawn from 3" in page
    assert "no limit" in page
    attempt_url = client.post(url + "/attempts").location
    form = text(client.get(attempt_url))
    keys = re.findall(r'id="question-\d+"', form)
    assert len(keys) == 2
    # Answer whatever was drawn wrongly: review "always" shows the answers at once.
    quiz = quiz_of(leading, "power-mapping")
    (attempt,) = learning.attempts_for(member.id, quiz.id)
    data = {}
    for q in attempt.questions:
        if q["kind"] == "short":
            data[f"q-{q['key']}"] = "nobody"
        else:
            wrong = [o["key"] for o in q["options"] if not o["correct"]][0]
            data[f"q-{q['key']}"] = f"{q['key']}:{wrong}"
    client.post(attempt_url, data=data)
    review = text(client.get(attempt_url))
    assert "not passed" in review
    assert "Correct answer" in review or "Accepted answers" in review


def test_attempt_and_quiz_pages_bounded_queries(client, login, enrolled, count_queries):
    login(client, enrolled)
    url = start(client)
    client.post(url, data=WRONG_FORM)

    def queries(path) -> int:
        db.session.expire_all()
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    one = (queries(QUIZ), queries(url))
    client.post(start(client), data=WRONG_FORM)
    assert (queries(QUIZ), queries(url)) == one
    assert len(attempts_of(enrolled)) == 2
