"""Item analysis (issue 19): which quiz questions measure understanding.

Certificates are accredited, so staff need to see, question by question, how
often members get it right (facility), whether the members who do well on the
rest of the quiz get it right more often than those who do badly
(discrimination), and what they answer. After Moodle's quiz statistics report:
each member's first attempt by default (later attempts are biased by having
seen the quiz), every attempt on request.

Course-wide counts only, never a member: `analyse(quiz_line(id), mode)` for the
page, `csv_text(report)` for the download.
"""

from academy.services.item_analysis.csv_export import csv_text, filename, safe_cell
from academy.services.item_analysis.flags import (
    ALL_FLAGS,
    REVERSED,
    SHOWN_ANSWERS,
    TOO_EASY,
    TOO_HARD,
    Flag,
)
from academy.services.item_analysis.report import (
    QuestionReport,
    QuizLine,
    QuizReport,
    ResponseLine,
    Thresholds,
    analyse,
    quiz_line,
    quizzes,
)
from academy.services.item_analysis.statistics import ALL, FIRST, MODES, correlation

__all__ = [
    "ALL",
    "ALL_FLAGS",
    "FIRST",
    "MODES",
    "REVERSED",
    "SHOWN_ANSWERS",
    "TOO_EASY",
    "TOO_HARD",
    "Flag",
    "QuestionReport",
    "QuizLine",
    "QuizReport",
    "ResponseLine",
    "Thresholds",
    "analyse",
    "correlation",
    "csv_text",
    "filename",
    "quiz_line",
    "quizzes",
    "safe_cell",
]
