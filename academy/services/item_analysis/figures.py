"""Where a quiz's figures come from: kept, worked out now, or in the background.

The one statement over a quiz's attempts costs in proportion to them: well under
a second for a few thousand, but 7-13 s (up to a minute on a busy machine) for the
150,000 first attempts a quiz gathers at 500,000 members (bench/ITEM_ANALYSIS.md),
too long for a web request. So the figures are kept in the shared cache (Redis in
production) for a week, and:

- fresh (worked out less than ITEM_ANALYSIS_SECONDS ago): shown as they are;
- otherwise, for a quiz with at most ITEM_ANALYSIS_INLINE_ATTEMPTS attempts (a
  count that stops there tells): worked out now, within the request;
- otherwise, worked out by a background job (RQ where REDIS_URL is set, a thread
  otherwise; at once in tests), while the page shows the figures kept before, if
  any, and says they are being brought up to date.

A marker in the cache stops a second job for the same quiz while one runs; it
lapses after REFRESH_TIMEOUT should a job die.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from academy import jobs
from academy.extensions import db
from academy.models import QuizAttempt
from academy.paging import capped_count
from academy.services import kept
from academy.services.item_analysis.statistics import QuizSums, quiz_sums

log = logging.getLogger("academy.item_analysis")

KEEP_SECONDS = 7 * 24 * 3600  # kept figures are shown, marked as old, until replaced
REFRESH_TIMEOUT = 15 * 60
JOB = "academy.services.item_analysis.figures.refresh"


@dataclass(frozen=True, slots=True)
class Figures:
    worked_out: float | None  # time.time() when worked out; None: none yet
    sums: QuizSums | None
    refreshing: bool  # a background job is working them out afresh


def _key(quiz_id: int, mode: str) -> str:
    return f"item-analysis:{quiz_id}:{mode}"


def _bigger_than(quiz_id: int, limit: int) -> bool:
    """Has the quiz more than `limit` attempts? Counted no further than limit + 1, from
    the index on quiz_id, so the answer costs the same for a quiz of any size."""
    attempts = sa.select(QuizAttempt.id).where(QuizAttempt.quiz_id == quiz_id)
    return db.session.scalar(sa.select(capped_count(attempts, limit + 1))) > limit


def _work_out(quiz_id: int, mode: str) -> tuple[float, QuizSums]:
    found = (time.time(), quiz_sums(quiz_id, mode))
    kept.write(_key(quiz_id, mode), found, KEEP_SECONDS)
    return found


def refresh(quiz_id: int, mode: str) -> None:
    """The background job: work the figures out afresh and keep them."""
    try:
        started = time.perf_counter()
        _work_out(quiz_id, mode)
        log.info(
            "item analysis of quiz %s (%s) took %.1f s",
            quiz_id,
            mode,
            time.perf_counter() - started,
        )
    finally:
        kept.forget(_key(quiz_id, mode) + ":refreshing")


def current(quiz_id: int, mode: str) -> Figures:
    """The quiz's figures as the page should show them (see the module's docstring)."""
    config = current_app.config
    key = _key(quiz_id, mode)
    found = kept.read(key)
    if found is not None and time.time() - found[0] < config["ITEM_ANALYSIS_SECONDS"]:
        return Figures(found[0], found[1], refreshing=False)
    if not _bigger_than(quiz_id, config["ITEM_ANALYSIS_INLINE_ATTEMPTS"]):
        worked_out, sums = _work_out(quiz_id, mode)
        return Figures(worked_out, sums, refreshing=False)
    marker = key + ":refreshing"
    if kept.read(marker) is None:
        kept.write(marker, time.time(), REFRESH_TIMEOUT)
        jobs.enqueue(JOB, quiz_id, mode)
        found = kept.read(key) or found  # a job run at once (tests) has kept them already
    refreshing = kept.read(marker) is not None
    if found is None:
        return Figures(None, None, refreshing=True)
    return Figures(found[0], found[1], refreshing=refreshing)
