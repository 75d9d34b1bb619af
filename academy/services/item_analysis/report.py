"""A quiz's item analysis, ready for the page and the CSV: figures, words and flags.

The figures come from one statement (`statistics`), kept, or worked out now or in
the background (`figures`); the words are read afresh each time, so an edit to
the curriculum shows at once. Figures for a question asked fewer than
ITEM_ANALYSIS_MIN_ATTEMPTS times, and short answers given fewer than
ITEM_ANALYSIS_MIN_ANSWER_COUNT times, are left out here, so neither the page nor
the CSV can show them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup, escape

from academy.answers import normalise_answer
from academy.extensions import db
from academy.models import Course, Module, Quiz
from academy.services import kept
from academy.services.item_analysis import figures
from academy.services.item_analysis import flags as rules
from academy.services.item_analysis.questions import QuestionText, question_texts
from academy.services.item_analysis.statistics import FIRST, QuestionSums


@dataclass(frozen=True, slots=True)
class QuizLine:
    """A quiz as the list names it."""

    id: int
    title: str
    course_slug: str
    course_title: str
    module_slug: str
    module_title: str
    current: bool  # the quiz, its module and its course are all in the curriculum now


@dataclass(frozen=True, slots=True)
class ResponseLine:
    """One option, or one short answer, and how often it was given."""

    html: Markup  # the option as written, or the answer's text, escaped
    text: str  # the same as plain text (for the CSV)
    correct: bool | None  # a marked-right option / an accepted answer; None: not known
    count: int
    share: float  # of the times the question was asked


@dataclass(frozen=True, slots=True)
class Thresholds:
    min_attempts: int  # below this, a question's (or the quiz's) figures are not shown
    min_answer_count: int  # a short answer given fewer times is not shown

    @classmethod
    def from_config(cls) -> Thresholds:
        config = current_app.config
        return cls(config["ITEM_ANALYSIS_MIN_ATTEMPTS"], config["ITEM_ANALYSIS_MIN_ANSWER_COUNT"])


@dataclass(frozen=True, slots=True)
class QuestionReport:
    number: int
    key: str
    kind: str
    prompt_html: Markup
    prompt_text: str
    current: bool
    asked: int
    enough: bool  # asked at least min_attempts times; if not, no figures below
    facility: float | None
    discrimination: float | None
    responses: tuple[ResponseLine, ...]
    others: int  # short answers: the times asked not shown above
    flags: tuple[rules.Flag, ...]


@dataclass(frozen=True, slots=True)
class QuizReport:
    quiz: QuizLine
    mode: str
    attempts: int
    enough: bool
    mean_score: float | None  # % (each attempt's score, rounded down as marked)
    pass_rate: float | None
    questions: tuple[QuestionReport, ...]
    worked_out_at: datetime | None  # None: not worked out yet (see `pending`)
    fresh_for: int  # seconds after which the figures are worked out afresh
    refreshing: bool  # being worked out afresh in the background
    thresholds: Thresholds

    @property
    def pending(self) -> bool:
        """No figures yet: a background job is working them out for the first time."""
        return self.worked_out_at is None

    @property
    def fresh_words(self) -> str | None:
        """ITEM_ANALYSIS_SECONDS in words ("5 minutes"); None: worked out at each visit."""
        return kept.in_words(self.fresh_for)

    @property
    def flagged(self) -> int:
        return sum(1 for q in self.questions if q.flags)


# Quizzes -------------------------------------------------------------------------------------


def _quiz_lines(where: sa.ColumnElement[bool] | None = None) -> list[QuizLine]:
    query = (
        sa.select(
            Quiz.id,
            Quiz.title,
            Course.slug,
            Course.title,
            Module.slug,
            Module.title,
            Quiz.retired_at.is_(None) & Module.retired_at.is_(None) & Course.retired_at.is_(None),
        )
        .join(Course, Course.id == Quiz.course_id)
        .join(Module, Module.id == Quiz.module_id)
        .order_by(Course.position, Course.title, Module.position, Quiz.id)
    )
    if where is not None:
        query = query.where(where)
    return [QuizLine(*row[:6], bool(row[6])) for row in db.session.execute(query)]


def quizzes() -> list[QuizLine]:
    """Every quiz of every course, current and retired, in course and module order."""
    return _quiz_lines()


def quiz_line(quiz_id: int) -> QuizLine | None:
    found = _quiz_lines(Quiz.id == quiz_id)
    return found[0] if found else None


# Figures into words -------------------------------------------------------------------------


def _plain(html: str) -> str:
    return Markup(html).striptags()  # noqa: S704 - made plain text, never rendered as HTML


def _choice_lines(text: QuestionText, sums: QuestionSums) -> list[ResponseLine]:
    lines = [
        ResponseLine(
            Markup(option.html),  # noqa: S704 - curriculum HTML, sanitised when synced
            _plain(option.html),
            option.correct,
            sums.choices.get(option.key, 0),
            sums.choices.get(option.key, 0) / sums.asked,
        )
        for option in text.options
    ]
    # Chosen in an earlier version of the question (an option since removed).
    known = {option.key for option in text.options}
    for key, count in sums.choices.items():
        if key not in known:
            label = f"Option {key} (no longer in the question)"
            lines.append(ResponseLine(escape(label), label, None, count, count / sums.asked))
    return lines


def _answer_lines(
    text: QuestionText, sums: QuestionSums, min_count: int
) -> tuple[list[ResponseLine], int]:
    """The commonest answers given at least `min_count` times, and the rest's count."""
    merged: Counter[str] = Counter()
    for answer, count in sums.choices.items():
        merged[normalise_answer(answer)] += count
    lines = []
    for answer, count in sorted(merged.items(), key=lambda item: (-item[1], item[0])):
        if len(lines) == rules.SHOWN_ANSWERS or count < min_count:
            break
        accepted = answer in text.accepted if text.kind == "short" else None
        lines.append(ResponseLine(escape(answer), answer, accepted, count, count / sums.asked))
    return lines, sums.asked - sum(line.count for line in lines)


def _question(
    number: int, text: QuestionText, sums: QuestionSums | None, thresholds: Thresholds
) -> QuestionReport:
    sums = sums or QuestionSums(key=text.key, asked=0, right=0)
    enough = sums.asked >= thresholds.min_attempts
    facility = sums.facility if enough else None
    discrimination = sums.discrimination if enough else None
    responses: list[ResponseLine] = []
    others = 0
    if enough:
        if text.kind in ("single", "multiple"):
            responses = _choice_lines(text, sums)
        else:
            responses, others = _answer_lines(text, sums, thresholds.min_answer_count)
    prompt = text.prompt_html or escape(text.key)
    return QuestionReport(
        number=number,
        key=text.key,
        kind=text.kind,
        prompt_html=Markup(prompt),  # noqa: S704 - curriculum HTML, or the escaped key
        prompt_text=_plain(prompt),
        current=text.current,
        asked=sums.asked,
        enough=enough,
        facility=facility,
        discrimination=discrimination,
        responses=tuple(responses),
        others=others,
        flags=rules.flags_for(facility, discrimination) if enough else (),
    )


def analyse(quiz: QuizLine, mode: str = FIRST) -> QuizReport:
    """The item analysis of `quiz` over each member's first attempt (FIRST) or every one
    (ALL): a fixed number of statements whatever the attempts and questions."""
    found = figures.current(quiz.id, mode)
    thresholds = Thresholds.from_config()
    sums = found.sums
    if sums is None:
        texts, questions = [], {}
    else:
        latest = {key: q.latest_attempt_id for key, q in sums.questions.items()}
        texts = sorted(question_texts(quiz.id, latest).values(), key=lambda t: (t.position, t.key))
        questions = sums.questions
    attempts = sums.attempts if sums else 0
    enough = attempts >= thresholds.min_attempts
    return QuizReport(
        quiz=quiz,
        mode=mode,
        attempts=attempts,
        enough=enough,
        mean_score=sums.score_sum / attempts if enough else None,
        pass_rate=sums.passed / attempts if enough else None,
        questions=tuple(
            _question(number, text, questions.get(text.key), thresholds)
            for number, text in enumerate(texts, start=1)
        ),
        worked_out_at=(
            datetime.fromtimestamp(found.worked_out, UTC) if found.worked_out is not None else None
        ),
        fresh_for=max(0, current_app.config["ITEM_ANALYSIS_SECONDS"]),
        refreshing=found.refreshing,
        thresholds=thresholds,
    )
