"""Quiz attempts: started once, submitted once, marked on the server from a snapshot.

Starting an attempt fixes what it asks: the questions drawn (a quiz may ask N
of a larger pool), their order and their options' order (where the quiz
shuffles), and a copy of each question with its answers. Marking and review
use that snapshot, so an edit to the curriculum never changes a past attempt.

An attempt is submitted by a conditional UPDATE (`WHERE submitted_at IS NULL`):
a double click, a replayed POST or a second tab changes nothing and is told so.
Starting is safe under any concurrency, on both databases (issue 23): the
member's enrolment row is locked first (SELECT … FOR UPDATE on PostgreSQL; on
SQLite every writer already holds the database's write lock), so starts for one
member and course run one after another; and whatever gets past that, the
database refuses: a partial unique index allows one open attempt per member and
quiz, and numbers never pass `max_attempts` under the unique (user, quiz,
number) constraint, so no more attempts than allowed can exist. The losing tab
is shown the attempt that won.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from academy.answers import normalise_answer
from academy.extensions import db
from academy.models import Enrolment, Question, Quiz, QuizAttempt, User
from academy.models.content import PublicOption, PublicQuestion
from academy.services import ServiceError
from academy.services.learning.enrolment import require_enrolment
from academy.services.learning.progress import QuizStatus, course_tree, refresh_completion
from academy.timeutil import utcnow

MAX_SHORT_ANSWER = 200
TAKE_QUIZZES = "Enrol in this course to take its quizzes."
_system_random = random.SystemRandom()


class AlreadySubmitted(ServiceError):
    """The attempt was submitted before (another tab, a double click, a replay)."""


class InvalidAnswers(ServiceError):
    """Some answers cannot be accepted; `problems` maps question keys to messages."""

    def __init__(self, message: str, problems: dict[str, str]):
        super().__init__(message)
        self.problems = problems


# Starting -------------------------------------------------------------------------------


def open_attempt(user_id: int, quiz_id: int) -> QuizAttempt | None:
    return db.session.scalar(
        select(QuizAttempt)
        .where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.quiz_id == quiz_id,
            QuizAttempt.submitted_at.is_(None),
        )
        .order_by(QuizAttempt.number.desc())
        .limit(1)
    )


def _snapshot(quiz: Quiz, rng: random.Random) -> dict[str, Any]:
    questions = list(
        db.session.scalars(
            select(Question)
            .where(Question.quiz_id == quiz.id, Question.retired_at.is_(None))
            .order_by(Question.position)
        )
    )
    if not questions:
        raise ServiceError("This quiz has no questions yet.")
    if quiz.draw and quiz.draw < len(questions):
        questions = sorted(rng.sample(questions, quiz.draw), key=lambda q: q.position)
    snapshots = [question.snapshot() for question in questions]
    if quiz.shuffle:
        rng.shuffle(snapshots)
        for snapshot in snapshots:
            rng.shuffle(snapshot["options"])
    return {
        "quiz": {
            "id": quiz.id,
            "title": quiz.title,
            "pass_mark": quiz.pass_mark,
            "max_attempts": quiz.max_attempts,
            "review": quiz.review,
        },
        "questions": snapshots,
    }


def start_attempt(user: User, quiz: Quiz, *, rng: random.Random | None = None) -> QuizAttempt:
    """The member's open attempt at `quiz`, starting one if there is none.

    Refused with NotEnrolled when the member is not taking the course, and with
    ServiceError when every attempt has been used.
    """
    enrolment = require_enrolment(user, quiz.course_id, TAKE_QUIZZES)
    if quiz.retired:
        raise ServiceError("This quiz is no longer part of the course.")
    # Locked before anything else is read, so a second start waits here and then reads
    # what the first one wrote (READ COMMITTED reads afresh at each statement).
    db.session.execute(select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update())
    existing = open_attempt(user.id, quiz.id)
    if existing is not None:
        return existing
    used, last = _attempts_used(user.id, quiz.id)
    if _out_of_attempts(quiz, used, last):
        raise _no_attempts_left(quiz)
    now = utcnow()
    attempt = QuizAttempt(
        user_id=user.id,
        quiz_id=quiz.id,
        course_id=quiz.course_id,
        number=(last or 0) + 1,
        started_at=now,
        snapshot=_snapshot(quiz, rng or _system_random),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another tab started an attempt a moment ago: carry on with that one.
        existing = open_attempt(user.id, quiz.id)
        if existing is not None:
            return existing
        if _out_of_attempts(quiz, *_attempts_used(user.id, quiz.id)):
            raise _no_attempts_left(quiz) from None
        raise ServiceError("Your attempt could not be started: please try again.") from None
    enrolment.last_activity_at = now
    return attempt


def _attempts_used(user_id: int, quiz_id: int) -> tuple[int, int | None]:
    """How many attempts were submitted, and the highest attempt number so far."""
    used, last = db.session.execute(
        select(func.count(QuizAttempt.submitted_at), func.max(QuizAttempt.number)).where(
            QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz_id
        )
    ).one()
    return used, last


def _out_of_attempts(quiz: Quiz, used: int, last: int | None) -> bool:
    """No attempt may start: as many were submitted, or numbered, as the quiz allows.

    The number counts too: the next attempt's number would pass the limit, and
    the (user, quiz, number) constraint then keeps every attempt within it.
    """
    return bool(quiz.max_attempts) and max(used, last or 0) >= quiz.max_attempts


def _no_attempts_left(quiz: Quiz) -> ServiceError:
    return ServiceError(
        f"You have used all {quiz.max_attempts} attempts at this quiz; your best score counts."
    )


def public_questions(attempt: QuizAttempt) -> list[PublicQuestion]:
    """The attempt's questions as the form shows them: no correctness, no feedback."""
    return [
        PublicQuestion(
            id=q["id"],
            key=q["key"],
            kind=q["kind"],
            prompt_html=q["prompt_html"],
            body_html=q["body_html"],
            options=tuple(PublicOption(o["key"], o["html"]) for o in q["options"]),
        )
        for q in attempt.questions
    ]


def option_value(question_key: str, option_key: str) -> str:
    """What a form sends for an option: qualified, so an answer names its question."""
    return f"{question_key}:{option_key}"


# Submitting -------------------------------------------------------------------------------


def _parse(
    attempt: QuizAttempt, responses: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers by question key, and a message for each question that cannot be accepted."""
    questions = attempt.questions
    known = {q["key"] for q in questions}
    answers: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for key in responses:
        if key not in known:
            problems[key] = "An answer was sent for a question that is not in this attempt."
    for number, question in enumerate(questions, start=1):
        key = question["key"]
        values = [v for v in responses.get(key, ()) if v is not None]
        if question["kind"] == "short":
            text = " ".join(values).strip()
            if len(values) > 1:
                problems[key] = f"Question {number}: send one answer."
            elif not text:
                problems[key] = f"Question {number}: write your answer."
            elif len(text) > MAX_SHORT_ANSWER:
                problems[key] = (
                    f"Question {number}: keep your answer under {MAX_SHORT_ANSWER} characters."
                )
            else:
                answers[key] = text
            continue
        option_keys = {o["key"] for o in question["options"]}
        chosen: list[str] = []
        for value in values:
            owner, _, option = value.partition(":")
            if owner != key and owner in known:
                problems[key] = f"Question {number}: that answer belongs to another question."
                break
            if owner != key or option not in option_keys:
                problems[key] = f"Question {number}: that is not one of its options."
                break
            if option not in chosen:
                chosen.append(option)
        else:
            if not chosen:
                problems[key] = (
                    f"Question {number}: choose an answer."
                    if question["kind"] == "single"
                    else f"Question {number}: choose at least one answer."
                )
            elif question["kind"] == "single" and len(chosen) > 1:
                problems[key] = f"Question {number}: choose only one answer."
            else:
                answers[key] = chosen[0] if question["kind"] == "single" else sorted(chosen)
    return answers, problems


def mark_answer(question: Mapping[str, Any], answer: Any) -> bool:
    """Is `answer` right for this question snapshot?"""
    if answer is None:
        return False
    if question["kind"] == "short":
        return isinstance(answer, str) and normalise_answer(answer) in question["accepted_answers"]
    chosen = {answer} if isinstance(answer, str) else set(answer)
    correct = {o["key"] for o in question["options"] if o["correct"]}
    return chosen == correct


def submit_attempt(
    user: User, attempt: QuizAttempt, responses: Mapping[str, Sequence[str]]
) -> QuizAttempt:
    """Mark and record the attempt, once.

    `responses` maps question keys to what the form sent: option values made by
    `option_value` for choice questions, the text for short answers. Raises
    InvalidAnswers (nothing recorded) or AlreadySubmitted (nothing changed), and
    NotEnrolled (nothing recorded) when the member is no longer taking the course:
    an attempt started before leaving is not marked after it.
    """
    if attempt.user_id != user.id:
        raise ServiceError("This is not your attempt.")
    enrolment = require_enrolment(user, attempt.course_id, TAKE_QUIZZES)
    if attempt.submitted_at is not None:
        raise AlreadySubmitted("You have already submitted this attempt.")
    answers, problems = _parse(attempt, responses)
    if problems:
        raise InvalidAnswers(
            "Some answers need your attention: nothing has been submitted yet.", problems
        )
    results = {q["key"]: mark_answer(q, answers.get(q["key"])) for q in attempt.questions}
    total = len(results)
    correct = sum(results.values())
    pass_mark = attempt.snapshot["quiz"]["pass_mark"]
    now = utcnow()
    outcome = db.session.execute(
        sa.update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
        .values(
            submitted_at=now,
            answers=answers,
            results=results,
            score=(100 * correct) // total,
            # Compared exactly, not through the rounded score.
            passed=correct * 100 >= pass_mark * total,
        )
        .execution_options(synchronize_session=False)
    )
    # Only what the update wrote: reloading the snapshot would parse its JSON again.
    db.session.refresh(attempt, ["submitted_at", "answers", "results", "score", "passed"])
    if outcome.rowcount != 1:
        raise AlreadySubmitted("You have already submitted this attempt.")
    enrolment.last_activity_at = now
    if attempt.passed:
        refresh_completion(enrolment, course_tree(attempt.course_id))
    return attempt


# Results and review -------------------------------------------------------------------------


def attempts_for(user_id: int, quiz_id: int) -> list[QuizAttempt]:
    """The member's attempts at a quiz, oldest first."""
    return list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.quiz_id == quiz_id)
            .order_by(QuizAttempt.number)
        )
    )


_ATTEMPT_BY_NUMBER = select(QuizAttempt).where(
    QuizAttempt.user_id == sa.bindparam("user_id"),
    QuizAttempt.quiz_id == sa.bindparam("quiz_id"),
    QuizAttempt.number == sa.bindparam("number"),
)


def attempt_by_number(user_id: int, quiz_id: int, number: int) -> QuizAttempt | None:
    """Only ever the member's own attempt: other members' are not addressable."""
    return db.session.scalar(
        _ATTEMPT_BY_NUMBER, {"user_id": user_id, "quiz_id": quiz_id, "number": number}
    )


def quiz_attempts(user: User, quiz: Quiz) -> list[QuizAttempt]:
    """The member's attempts at `quiz`, for its page: NotEnrolled unless they are taking
    the course."""
    require_enrolment(user, quiz.course_id, TAKE_QUIZZES)
    return attempts_for(user.id, quiz.id)


def own_attempt(user: User, quiz: Quiz, number: int) -> QuizAttempt | None:
    """The member's attempt `number` at `quiz`, to answer or to review: NotEnrolled unless
    they are taking the course (asked first, so a member who left learns nothing of
    which attempts exist), None when they have no such attempt."""
    require_enrolment(user, quiz.course_id, TAKE_QUIZZES)
    return attempt_by_number(user.id, quiz.id, number)


def quiz_status(quiz: Quiz, attempts: Sequence[QuizAttempt]) -> QuizStatus:
    submitted = [a for a in attempts if a.submitted_at is not None]
    scores = [a.score for a in submitted if a.score is not None]
    open_ids = [a.id for a in attempts if a.submitted_at is None]
    return QuizStatus(
        quiz=quiz,
        attempts_used=len(submitted),
        best_score=max(scores) if scores else None,
        passed=any(a.passed for a in submitted),
        open_attempt_id=open_ids[-1] if open_ids else None,
    )


def answers_revealed(attempt: QuizAttempt, status: QuizStatus) -> bool:
    """May the member see the correct answers of this (submitted) attempt?

    The policy is the quiz's when the attempt started: `always`, `never`, or
    `after-pass` (once they have passed, or used every attempt).
    """
    if attempt.submitted_at is None:
        return False
    policy = attempt.snapshot["quiz"].get("review", "after-pass")
    if policy == "always":
        return True
    if policy == "never":
        return False
    return status.passed or status.out_of_attempts


@dataclass(frozen=True, slots=True)
class ReviewOption:
    key: str
    html: str
    chosen: bool
    correct: bool | None  # None while the answers are not revealed
    feedback_html: str  # "" when it may not be shown


@dataclass(frozen=True, slots=True)
class ReviewItem:
    number: int
    key: str
    kind: str
    prompt_html: str
    body_html: str
    right: bool
    options: tuple[ReviewOption, ...]
    given: str  # the text of a short answer
    accepted: tuple[str, ...]  # accepted short answers, when revealed
    feedback_html: str  # on the whole question, when it may be shown


def review(attempt: QuizAttempt, status: QuizStatus) -> list[ReviewItem]:
    """The submitted attempt question by question, against its own snapshot.

    What is shown follows the review policy: with the answers hidden, a member sees
    which questions were wrong and the feedback on the options they chose (the
    feedback on the whole question only where they were right, as it often gives the
    answer away); with `never`, only right or wrong.
    """
    revealed = answers_revealed(attempt, status)
    strict = attempt.snapshot["quiz"].get("review") == "never"
    answers = attempt.answers or {}
    results = attempt.results or {}
    items = []
    for number, q in enumerate(attempt.questions, start=1):
        given = answers.get(q["key"])
        chosen = {given} if isinstance(given, str) else set(given or ())
        right = bool(results.get(q["key"]))
        options = tuple(
            ReviewOption(
                key=o["key"],
                html=o["html"],
                chosen=o["key"] in chosen,
                correct=o["correct"] if revealed else None,
                feedback_html=(
                    o.get("feedback_html", "")
                    if revealed or (not strict and o["key"] in chosen)
                    else ""
                ),
            )
            for o in q["options"]
        )
        items.append(
            ReviewItem(
                number=number,
                key=q["key"],
                kind=q["kind"],
                prompt_html=q["prompt_html"],
                body_html=q["body_html"],
                right=right,
                options=options,
                given=given if q["kind"] == "short" and isinstance(given, str) else "",
                accepted=tuple(q["accepted_answers"]) if revealed else (),
                feedback_html=(
                    q.get("feedback_html", "") if revealed or (right and not strict) else ""
                ),
            )
        )
    return items
