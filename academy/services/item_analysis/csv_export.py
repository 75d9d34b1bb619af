"""The item analysis as CSV: one row per question and response, safe in a spreadsheet.

Two copies of the spreadsheet-safety rule exist elsewhere, private to their
areas (`academy/reports/csvutil.py` `_cell`, `academy/services/cohorts_table.py`
`safe_cell`), both being restructured as this is written; `safe_cell` here is the
same rule, for whoever unites them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from academy.services.item_analysis.report import QuizReport
from academy.services.item_analysis.statistics import ALL

# Text starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

HEADER = (
    "Question number",
    "Question key",
    "Question",
    "Type",
    "In the quiz now",
    "Times asked",
    "Facility (share right)",
    "Discrimination",
    "Flags",
    "Response",
    "Response is right",
    "Times given",
    "Share of times asked",
)

KINDS = {"single": "single choice", "multiple": "choose all that apply", "short": "short answer"}


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers
    stay numbers (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _figure(value: float | None) -> object:
    return "" if value is None else round(value, 4)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def rows(report: QuizReport) -> Iterator[tuple[object, ...]]:
    yield HEADER
    for q in report.questions:
        question = (
            q.number,
            q.key,
            q.prompt_text,
            KINDS.get(q.kind, ""),
            _yes_no(q.current),
            q.asked,
            _figure(q.facility) if q.enough else "too few attempts",
            _figure(q.discrimination) if q.enough else "too few attempts",
            "; ".join(flag.label for flag in q.flags),
        )
        responses = [(r.text, _yes_no(r.correct), r.count, _figure(r.share)) for r in q.responses]
        if q.others:
            responses.append(("any other answer", "", q.others, _figure(q.others / q.asked)))
        for response in responses or [("", "", "", "")]:
            yield question + response


def csv_text(report: QuizReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows(report):
        writer.writerow([safe_cell(cell) for cell in row])
    # A byte-order mark, so that Excel reads the text as UTF-8.
    return "\ufeff" + buffer.getvalue()


def filename(report: QuizReport) -> str:
    which = "all-attempts" if report.mode == ALL else "first-attempts"
    return f"item-analysis-{report.quiz.course_slug}-{report.quiz.module_slug}-{which}.csv"
