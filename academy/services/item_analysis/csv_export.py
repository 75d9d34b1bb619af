"""The item analysis as CSV: one row per question and response, written by the one CSV
writer (academy/csv_export.py: formula-safe, UTF-8 with a byte-order mark)."""

from __future__ import annotations

from collections.abc import Iterator

from academy import csv_export
from academy.services.item_analysis.report import QuizReport
from academy.services.item_analysis.statistics import ALL

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


safe_cell = csv_export.safe_cell


def _figure(value: float | None) -> object:
    return "" if value is None else round(value, 4)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def rows(report: QuizReport) -> Iterator[tuple[object, ...]]:
    """One row per question and response, after the header."""
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
    return csv_export.csv_text(HEADER, rows(report))


def filename(report: QuizReport) -> str:
    which = "all-attempts" if report.mode == ALL else "first-attempts"
    return f"item-analysis-{report.quiz.course_slug}-{report.quiz.module_slug}-{which}.csv"
