"""The item analysis's one statement: every figure of a quiz from one pass over its attempts.

An attempt records `results` ({question key: true/false}) and `answers` ({question
key: option key | [option keys] | text}) as JSON. The statement reads the quiz's
submitted attempts once (materialised, so the rows, whose snapshots are large,
are read once) and returns three kinds of row:

- "quiz": attempts analysed, the sum of their scores, how many passed;
- "question": per question key, how often it was asked and answered right, and
  the sums that give the correlation between a question's mark and the rest of
  the attempt (see `correlation`);
- "choice": per question key, how often each option (or normalised short
  answer) was given, the commonest CHOICE_CAP of each question only, so that the
  free text of a big quiz never floods the page's memory.

The statement is the same whatever the number of attempts or questions; its
cost grows with the quiz's attempts (bench/item_analysis.py measures it at
500,000 members). SQLite and PostgreSQL unpack JSON differently, so the
fragments that do are written per dialect; the rest is shared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sqlalchemy as sa

from academy.extensions import db

# The commonest answers kept per question: every option of a choice question, and
# enough short answers for their top five to survive merging spellings in Python.
CHOICE_CAP = 50

FIRST = "first"  # each member's first attempt (Moodle's default: later ones are biased)
ALL = "all"  # every submitted attempt
MODES = (FIRST, ALL)


@dataclass(frozen=True, slots=True)
class Dialect:
    """The JSON-unpacking fragments of one database."""

    totals: str  # right_total and asked_total of attempt `a`, from a.results
    totals_join: str  # what `totals` needs joined to quiz_attempts a
    each_result: str  # joins each (key, value) of c.results as j
    mark: str  # 1 if j's value is true, else 0
    each_choice: str  # joins each chosen option or answer text of c.answers as o(value)
    # o.value in lower case without the spaces around it: the usual differences in how
    # a short answer is typed, cheaply (the commonest CHOICE_CAP are then normalised
    # exactly in Python, which also merges runs of spaces inside).
    choice: str
    real: str  # a floating-point type name


SQLITE = Dialect(
    totals=(
        "(SELECT COALESCE(SUM(e.value), 0) FROM json_each(a.results) AS e) AS right_total, "
        "(SELECT COUNT(*) FROM json_each(a.results) AS e) AS asked_total"
    ),
    totals_join="",
    each_result=", json_each(c.results) AS j",
    # json_each gives JSON true as 1 and false as 0.
    mark="CASE WHEN j.value = 1 THEN 1 ELSE 0 END",
    # A single answer becomes a one-element array, so both shapes unpack the same way.
    each_choice=(
        ", json_each(c.answers) AS j, json_each(CASE WHEN j.type = 'array' THEN j.value "
        "ELSE json_array(j.value) END) AS o"
    ),
    choice="lower(trim(o.value))",
    real="REAL",
)

POSTGRESQL = Dialect(
    totals="t.right_total, t.asked_total",
    totals_join=(
        "CROSS JOIN LATERAL (SELECT COUNT(*) FILTER (WHERE e.value = 'true') AS right_total, "
        "COUNT(*) AS asked_total FROM json_each_text(a.results) AS e) AS t"
    ),
    each_result="CROSS JOIN LATERAL json_each_text(c.results) AS j",
    mark="CASE WHEN j.value = 'true' THEN 1 ELSE 0 END",
    each_choice=(
        "CROSS JOIN LATERAL json_each(c.answers) AS j "
        "CROSS JOIN LATERAL json_array_elements_text(CASE WHEN json_typeof(j.value) = 'array' "
        "THEN j.value ELSE json_build_array(j.value) END) AS o(value)"
    ),
    choice="lower(btrim(o.value))",
    real="DOUBLE PRECISION",
)

DIALECTS = {"sqlite": SQLITE, "postgresql": POSTGRESQL}


def statement_sql(dialect: Dialect, mode: str) -> str:
    """The statement's text. Built only from the constants above: no input reaches it."""
    first_only = "AND a.number = 1" if mode == FIRST else ""
    # An attempt's first number is its member's first attempt: a member cannot start a
    # second while the first is open, and attempts are never deleted one by one.
    return f"""
WITH chosen AS MATERIALIZED (
    SELECT a.id, a.results, a.answers, a.score, a.passed, {dialect.totals}
    FROM quiz_attempts AS a {dialect.totals_join}
    WHERE a.quiz_id = :quiz_id AND a.submitted_at IS NOT NULL {first_only}
),
marks AS (
    SELECT c.id AS attempt_id, j.key AS question_key, {dialect.mark} AS mark,
           c.right_total, c.asked_total
    FROM chosen AS c {dialect.each_result}
),
paired AS (
    SELECT attempt_id, question_key, mark,
           CASE WHEN asked_total > 1
                THEN CAST(right_total - mark AS {dialect.real}) / (asked_total - 1)
           END AS rest
    FROM marks
),
choices AS (
    SELECT j.key AS question_key, {dialect.choice} AS choice, COUNT(*) AS times
    FROM chosen AS c {dialect.each_choice}
    GROUP BY j.key, {dialect.choice}
),
ranked AS (
    SELECT question_key, choice, times,
           ROW_NUMBER() OVER (PARTITION BY question_key ORDER BY times DESC, choice) AS place
    FROM choices
)
SELECT 'quiz' AS part, NULL AS question_key, NULL AS choice,
       COUNT(*) AS n, SUM(score) AS a, SUM(CASE WHEN passed THEN 1 ELSE 0 END) AS b,
       NULL AS c, NULL AS d, NULL AS e, NULL AS f, NULL AS g
FROM chosen
UNION ALL
SELECT 'question', question_key, NULL,
       COUNT(*), SUM(mark), COUNT(rest), SUM(CASE WHEN rest IS NOT NULL THEN mark ELSE 0 END),
       SUM(rest), SUM(rest * rest), SUM(mark * rest), MAX(attempt_id)
FROM paired
GROUP BY question_key
UNION ALL
SELECT 'choice', question_key, choice, times, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM ranked
WHERE place <= {CHOICE_CAP}
"""  # noqa: S608 - fragments are the constants of this module


@dataclass(slots=True)
class QuestionSums:
    """One question's counts and the sums its discrimination is worked out from.

    Over the attempts that asked it and asked at least one other question:
    `paired` attempts, `paired_right` of them right, and the sums of `rest` (the
    share of the attempt's other questions answered right), of its square and of
    mark x rest.
    """

    key: str
    asked: int
    right: int
    paired: int = 0
    paired_right: int = 0
    rest_sum: float = 0.0
    rest_squares: float = 0.0
    mark_rest: float = 0.0
    latest_attempt_id: int = 0  # whose snapshot shows the question, if it left the quiz
    choices: dict[str, int] = field(default_factory=dict)  # normalised roughly, commonest first

    @property
    def facility(self) -> float | None:
        return self.right / self.asked if self.asked else None

    @property
    def discrimination(self) -> float | None:
        return correlation(
            self.paired, self.paired_right, self.rest_sum, self.rest_squares, self.mark_rest
        )


@dataclass(slots=True)
class QuizSums:
    attempts: int
    score_sum: int
    passed: int
    questions: dict[str, QuestionSums]


def correlation(n: int, sx: float, sy: float, syy: float, sxy: float) -> float | None:
    """Pearson's r between a 0/1 mark x and a score y, from their sums over n attempts.

    r = (n Σxy − Σx Σy) / √((n Σx² − (Σx)²)(n Σy² − (Σy)²)), with Σx² = Σx as x is 0
    or 1. None when either never varies (everyone right, say): then it says nothing.
    """
    if n < 2:
        return None
    spread_x = n * sx - sx * sx
    spread_y = n * syy - sy * sy
    # Sums of floats: a spread that should be 0 can come out a hair either side.
    if spread_x <= 0 or spread_y <= 1e-9 * max(1.0, n * syy):
        return None
    r = (n * sxy - sx * sy) / math.sqrt(spread_x * spread_y)
    return max(-1.0, min(1.0, r))


def quiz_sums(quiz_id: int, mode: str = FIRST) -> QuizSums:
    """Run the statement for one quiz: `mode` is FIRST (each member's first attempt) or ALL."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    name = db.session.get_bind().dialect.name
    if name == "postgresql":
        # The planner's cost estimate for the JSON functions is huge, so PostgreSQL would
        # compile the statement to machine code first: 1.8 s of 12 at 500,000 members,
        # for a statement run once (bench/ITEM_ANALYSIS.md). Off for this transaction.
        db.session.execute(sa.text("SET LOCAL jit = off"))
    rows = db.session.execute(sa.text(statement_sql(DIALECTS[name], mode)), {"quiz_id": quiz_id})
    summary = QuizSums(attempts=0, score_sum=0, passed=0, questions={})
    choices: list[tuple[str, str, int]] = []
    for part, key, choice, n, a, b, c, d, e, f, g in rows:
        if part == "quiz":
            summary = QuizSums(int(n), int(a or 0), int(b or 0), summary.questions)
        elif part == "question":
            summary.questions[key] = QuestionSums(
                key=key,
                asked=int(n),
                right=int(a or 0),
                paired=int(b or 0),
                paired_right=int(c or 0),
                rest_sum=float(d or 0),
                rest_squares=float(e or 0),
                mark_rest=float(f or 0),
                latest_attempt_id=int(g or 0),
            )
        else:
            choices.append((key, choice, int(n)))
    # Commonest first, as ranked in SQL (the union does not keep the order).
    for key, choice, times in sorted(choices, key=lambda c: (c[0], -c[2], c[1])):
        question = summary.questions.get(key)
        if question is not None:
            question.choices[choice] = times
    return summary
