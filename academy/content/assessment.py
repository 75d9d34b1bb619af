"""Rules that keep quizzes measuring understanding rather than test-taking tricks.

An accredited certificate says its holder can do the thing, so a member who
does not read the question must not be able to pass by picking the longest
option, by always answering B, or by leaving out the one silly option of a
"choose all that apply" question; and a retake must ask a different set. These
rules run in `flask academy curriculum check` like every other rule.
"""

from __future__ import annotations

import re
from collections import Counter

from academy.content.problems import Problem
from academy.content.tree import QUESTION_MINUTES, Course, Question, Quiz

LONGEST_LIMIT = 0.40  # share of single-choice questions whose answer may be the longest
POSITION_LIMIT = 0.50  # share of unshuffled single-choice answers in one position
MIN_WRONG_IN_MULTIPLE = 2
CREDIT_TOLERANCE_HOURS = 0.5

_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP_RE = re.compile(r"[*_`~]")


def visible_length(markdown: str) -> int:
    """The length a member sees: link text without its address, no emphasis marks."""
    text = _LINK_RE.sub(r"\1", markdown)
    return len(" ".join(_MARKUP_RE.sub("", text).split()))


def correct_is_longest(question: Question) -> bool:
    """Is the only correct option strictly longer than every wrong one?"""
    right = [o for o in question.options if o.correct]
    wrong = [o for o in question.options if not o.correct]
    if len(right) != 1 or not wrong:
        return False
    return visible_length(right[0].text) > max(visible_length(o.text) for o in wrong)


def _single(quiz: Quiz) -> list[Question]:
    return [q for q in quiz.questions if q.kind == "single" and q.options]


def check_quiz(quiz: Quiz) -> list[Problem]:
    """Every assessment-validity problem with one quiz."""
    problems: list[Problem] = []
    path = quiz.path
    single = _single(quiz)
    longest = [q for q in single if correct_is_longest(q)]
    if single and len(longest) / len(single) > LONGEST_LIMIT:
        lines = ", ".join(str(q.line) for q in longest)
        problems.append(
            Problem(
                path,
                longest[0].line,
                f"the correct option is the longest in {len(longest)} of {len(single)} "
                f"single-choice questions (more than {LONGEST_LIMIT:.0%}), so picking the "
                f"longest passes: make wrong options as long (questions on lines {lines})",
            )
        )
    if not quiz.shuffle and single:
        positions = Counter(_correct_position(q) for q in single)
        position, count = positions.most_common(1)[0]
        if count / len(single) > POSITION_LIMIT:
            problems.append(
                Problem(
                    path,
                    quiz.key_lines.get("shuffle", 1),
                    f"without 'shuffle: true' the correct answer is option "
                    f"{chr(ord('A') + position)} in {count} of {len(single)} single-choice "
                    "questions (more than half): set 'shuffle: true' or vary the order",
                )
            )
    for question in quiz.questions:
        if question.kind != "multiple":
            continue
        wrong = sum(not o.correct for o in question.options)
        if wrong < MIN_WRONG_IN_MULTIPLE:
            problems.append(
                Problem(
                    path,
                    question.line,
                    f"a 'choose all that apply' question needs at least "
                    f"{MIN_WRONG_IN_MULTIPLE} plausible wrong options (it has {wrong}), or "
                    "leaving out the odd one out is enough to pass",
                )
            )
    pool = len(quiz.questions)
    if pool:
        asked = quiz.draw or pool
        if asked == pool:  # a draw above the pool is already a problem of its own
            where = quiz.key_lines.get("draw", 1)
            if quiz.draw is None:
                message = (
                    f"every retake asks the same {pool} questions: add questions and set "
                    f"'draw' to fewer than the pool (e.g. a pool of 12 and draw: 8)"
                )
            else:
                message = (
                    f"'draw' is {quiz.draw} and the pool has only {pool} questions: a retake "
                    "must ask a different set, so the pool must be larger than the draw"
                )
            problems.append(Problem(path, where, message))
    return problems


def _correct_position(question: Question) -> int:
    return next(i for i, option in enumerate(question.options) if option.correct)


def check_credit_hours(course: Course) -> list[Problem]:
    """Credit hours must be the time the lessons and quizzes take, to the nearest half hour."""
    minutes = course.learning_minutes
    hours = minutes / 60
    if abs(course.credit_hours - hours) <= CREDIT_TOLERANCE_HOURS:
        return []
    suggested = int(hours * 2 + 0.5) / 2
    return [
        Problem(
            course.file,
            course.key_lines.get("credit_hours", 1),
            f"'credit_hours' is {course.credit_hours:g} but the lessons and quizzes take about "
            f"{minutes} minutes ({QUESTION_MINUTES} a quiz question): set it to {suggested:g}, "
            "or make the lessons' 'minutes' honest",
        )
    ]
