"""The staff home page's counts: members waiting for a certificate, graduates of
Train the trainer waiting for a decision.

Counting who is waiting has to pass over everyone who already holds a
certificate, so it is the one count whose cost grows with the data (22 ms on
PostgreSQL at 500,000 members; bench/findings.md). The counts are therefore kept
in the shared cache (Redis in production, so every worker sees the same) for
STAFF_COUNTS_SECONDS, one entry per set of academies a staff member works in.

They are forgotten as soon as a commit changes what they count: a certificate
issued, revoked or re-issued, a cohort member signed off or not, a course
completed, a promotion decided, a role granted or taken away, an account closed.
Changes made outside the ORM's unit of work (bulk statements, such as erasure's)
show within STAFF_COUNTS_SECONDS.

It counts for both `certificates` and `promotion`, so it sits beside them, not
inside either (inside certificates it made the two packages import each other).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from academy.extensions import db
from academy.models import AcademyRole, Cohort, CohortMember, Enrolment, Role, User, UserRole
from academy.models.certificates import Certificate, TrainerPromotion
from academy.services import kept, promotion
from academy.services.certificates.eligibility import (
    counting_params,
    counts_everywhere,
    waiting_counters,
)

# Counted up to this many ("100 or more"): finding them costs the database time in
# proportion to the cap, not to the membership.
COUNT_CAP = 100
CACHE_KEY = "staff-counts"


@dataclass(frozen=True)
class WaitingCounts:
    certificates: int
    candidates: int


@functools.cache
def _statement(everywhere: bool) -> sa.Select:
    return sa.select(*waiting_counters(everywhere), promotion.candidates_counter(everywhere))


def _count(actor: User) -> WaitingCounts:
    """Both counts, each up to COUNT_CAP, in one statement (built once per process)."""
    everywhere = counts_everywhere(actor)
    params = {
        **counting_params(actor, cap=COUNT_CAP),
        **promotion.candidate_params(actor),
    }
    in_cohorts, alone, graduates = db.session.execute(_statement(everywhere), params).one()
    return WaitingCounts(min(COUNT_CAP, in_cohorts + alone), graduates)


def _scope(actor: User) -> str:
    """Who sees the same counts: every academy (admins), or one set of academies."""
    ids = actor.academies_for(Role.STAFF)
    return "all" if ids is None else ",".join(str(i) for i in sorted(ids))


def waiting_counts(actor: User) -> WaitingCounts:
    """The counts for `actor`'s academies, from the cache when fresh enough."""
    seconds = current_app.config["STAFF_COUNTS_SECONDS"]
    scope = _scope(actor)
    entries = kept.read(CACHE_KEY) or {}
    found = entries.get(scope)
    now = time.time()
    if found is not None and now - found[0] < seconds:
        return found[1]
    counts = _count(actor)
    fresh = {key: value for key, value in entries.items() if now - value[0] < seconds}
    fresh[scope] = (now, counts)
    kept.write(CACHE_KEY, fresh, seconds)
    return counts


def largest_age() -> str | None:
    """How old a count on the page may be, in words ("a minute"); None if never kept."""
    return kept.in_words(current_app.config["STAFF_COUNTS_SECONDS"])


def forget() -> None:
    """Drop every cached count (the next staff home page counts afresh)."""
    kept.forget(CACHE_KEY)


# Forgetting on commit ----------------------------------------------------------------
#
# Each rule names a model and the change to it that can move a count. Enrolments
# and users change all the time (last activity, last log-in); only completing a
# course or closing an account counts.

_ANY_CHANGE = (Certificate, TrainerPromotion, UserRole, AcademyRole, Cohort)
_COLUMN_CHANGES = {Enrolment: "completed_at", CohortMember: "signed_off_at", User: "disabled_at"}


def _changes_counts(session: Session) -> bool:
    for instance in session.new | session.deleted:
        if isinstance(instance, _ANY_CHANGE):
            return True
        column = _COLUMN_CHANGES.get(type(instance))
        # A new enrolment or cohort place counts once completed or signed off; a
        # closed account or one erased, always.
        if column and (getattr(instance, column) is not None or instance in session.deleted):
            return True
    for instance in session.dirty:
        if isinstance(instance, _ANY_CHANGE):
            return True
        column = _COLUMN_CHANGES.get(type(instance))
        if column and sa.inspect(instance).attrs[column].history.has_changes():
            return True
    return False


kept.forget_after_commit(
    "staff-counts", lambda session: [CACHE_KEY] if _changes_counts(session) else []
)
