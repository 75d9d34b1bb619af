"""The cohort page's figures for the whole cohort, kept for a minute.

Members, completed the course, falling behind, signed off, sessions held: one
aggregate over every member's progress (`table.TableBuilder.summary`), the
one part of the cohort page whose cost grows with the cohort. A trainer paging
through a cohort of 500, or sorting it, had it worked out again for every page
(bench/findings.md, fourth round).

So the figures are kept in the shared cache for COHORT_SUMMARY_SECONDS, one entry
per cohort, and never past the start of the cohort's next session: "sessions held"
is always exact, and so is every member's attendance, which is counted against it.

They are forgotten after any commit that changes the cohort itself, who is in it, a
sign-off or its sessions: what trainers do shows at once. What
members do on their own (a lesson done, a course completed, days without activity)
shows within COHORT_SUMMARY_SECONDS. The table of members is always read afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Protocol, TypeVar

from flask import current_app
from sqlalchemy.orm import Session

from academy.models import Cohort, CohortMember, CohortSession
from academy.services import kept

# The version of what is kept: a deployment that changes the figures' shape starts
# afresh instead of reading what the previous one kept (v2: `Summary` moved to
# cohorts.table_rows, so v1's pickles name a module that is gone).
_PREFIX = "cohort-summary:v2:"


class _Figures(Protocol):
    @property
    def next_session_at(self) -> datetime | None: ...


F = TypeVar("F", bound=_Figures)


def cache_key(cohort_id: int) -> str:
    return f"{_PREFIX}{cohort_id}"


def kept_figures(cohort_id: int, now: datetime, count: Callable[[], F]) -> F:
    """The cohort's figures as of `now`: those kept, while fresh, else `count()`'s."""
    seconds = current_app.config["COHORT_SUMMARY_SECONDS"]
    found = kept.read(cache_key(cohort_id))
    if found is not None:
        counted_at, figures = found
        fresh = 0 <= (now - counted_at).total_seconds() < seconds
        if fresh and (figures.next_session_at is None or now < figures.next_session_at):
            return figures
    figures = count()
    kept.write(cache_key(cohort_id), (now, figures), seconds)
    return figures


def largest_age() -> str | None:
    """How old the figures may be, in words ("a minute"); None if they are never kept."""
    return kept.in_words(current_app.config["COHORT_SUMMARY_SECONDS"])


# Forgetting on commit ----------------------------------------------------------------


def _cohort_ids(session: Session) -> Iterator[int]:
    """The cohorts whose figures this flush may change: anything written to a cohort, a
    place in it or one of its sessions."""
    for instance in session.new | session.dirty | session.deleted:
        if isinstance(instance, Cohort):
            if instance.id is not None:
                yield instance.id
        elif isinstance(instance, CohortMember | CohortSession):
            # Set by id everywhere; through the relationship, the id comes at the flush.
            linked = instance.__dict__.get("cohort")
            cohort_id = instance.cohort_id or (linked.id if linked is not None else None)
            if cohort_id is not None:
                yield cohort_id


kept.forget_after_commit("cohort-summaries", lambda session: map(cache_key, _cohort_ids(session)))
