"""A member's quiz attempts as they may read them in their data export.

An attempt stores the snapshot it was marked against, with every option's
correct flag, its feedback and the accepted short answers. Handing that over
raw would give any member every quiz's answer key (issue 18), so the export
shows each attempt exactly as its review page may: what was asked, what they
answered, their marks and dates always; the right answers and any feedback
only once the quiz's review setting reveals the answers (feedback is course
content, not the member's data, and on a chosen option it can give the answer
away).
"""

from __future__ import annotations

from collections import defaultdict
from html import unescape
from typing import Any

import nh3
from sqlalchemy import select

from academy.extensions import db
from academy.models import Course, Quiz, QuizAttempt
from academy.services.learning.quizzes import answers_revealed, quiz_status, review


def _text(html_text: str) -> str:
    """Sanitised lesson HTML as the plain words a person reads."""
    return " ".join(unescape(nh3.clean(html_text, tags=set())).split())


def attempts_for_export(user_id: int) -> list[dict[str, Any]]:
    """Every attempt of the member, oldest first, in words (two statements)."""
    attempts = list(
        db.session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id)
            .order_by(QuizAttempt.quiz_id, QuizAttempt.number)
        )
    )
    if not attempts:
        return []
    quizzes = {
        quiz.id: (quiz, title)
        for quiz, title in db.session.execute(
            select(Quiz, Course.title)
            .join(Course, Course.id == Quiz.course_id)
            .where(Quiz.id.in_({a.quiz_id for a in attempts}))
        )
    }
    by_quiz: dict[int, list[QuizAttempt]] = defaultdict(list)
    for attempt in attempts:
        by_quiz[attempt.quiz_id].append(attempt)
    exported = []
    for quiz_id, quiz_attempts in by_quiz.items():
        quiz, course_title = quizzes[quiz_id]
        status = quiz_status(quiz, quiz_attempts)
        for attempt in quiz_attempts:
            exported.append(_attempt(attempt, status, course_title))
    exported.sort(key=lambda a: (a["started_at"], a["attempt"]))
    return exported


def _attempt(attempt: QuizAttempt, status, course_title: str) -> dict[str, Any]:  # noqa: ANN001
    revealed = answers_revealed(attempt, status)
    questions = []
    for item in review(attempt, status):
        question: dict[str, Any] = {"question": _text(item.prompt_html)}
        if item.body_html:
            question["scenario"] = _text(item.body_html)
        if item.kind == "short":
            question["your_answer"] = item.given
        else:
            question["options"] = [
                {
                    "option": _text(option.html),
                    "you_chose": option.chosen,
                    **({"correct": option.correct} if revealed else {}),
                    **(
                        {"feedback": _text(option.feedback_html)}
                        if revealed and option.feedback_html
                        else {}
                    ),
                }
                for option in item.options
            ]
        if attempt.submitted_at is not None:
            question["you_were_right"] = item.right
        if item.accepted:
            question["accepted_answers"] = list(item.accepted)
        if revealed and item.feedback_html:
            question["feedback"] = _text(item.feedback_html)
        questions.append(question)
    return {
        "course": course_title,
        "quiz": attempt.snapshot["quiz"].get("title", ""),
        "attempt": attempt.number,
        "started_at": attempt.started_at.isoformat(),
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "score_percent": attempt.score,
        "passed": attempt.passed,
        "answers_shown": revealed,
        "questions": questions,
    }
