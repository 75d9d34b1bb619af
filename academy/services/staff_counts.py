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
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from academy.extensions import cache, db
from academy.models import AcademyRole, Cohort, CohortMember, Enrolment, User, UserRole
from academy.models.certificates import Certificate, TrainerPromotion
from academy.services import certificates, promotion

log = logging.getLogger("academy.staff_counts")

# Counted up to this many ("100 or more"): finding them costs the database time in
# proportion to the cap, not to the membership.
COUNT_CAP = 100
CACHE_KEY = "staff-counts"
_STALE = "academy.staff_counts.stale"


@dataclass(frozen=True)
class WaitingCounts:
    certificates: int
    candidates: int


@functools.cache
def _statement(everywhere: bool) -> sa.Select:
    return sa.select(
        *certificates.waiting_counters(everywhere), promotion.candidates_counter(everywhere)
    )


def _count(actor: User) -> WaitingCounts:
    """Both counts, each up to COUNT_CAP, in one statement (built once per process)."""
    everywhere = certificates.counts_everywhere(actor)
    params = {
        **certificates.counting_params(actor, cap=COUNT_CAP),
        **promotion.candidate_params(actor),
    }
    in_cohorts, alone, graduates = db.session.execute(_statement(everywhere), params).one()
    return WaitingCounts(min(COUNT_CAP, in_cohorts + alone), graduates)


def _scope(actor: User) -> str:
    """Who sees the same counts: every academy (admins), or one set of academies."""
    ids = certificates.staff_academy_ids(actor)
    return "all" if ids is None else ",".join(str(i) for i in sorted(ids))


def waiting_counts(actor: User) -> WaitingCounts:
    """The counts for `actor`'s academies, from the cache when fresh enough."""
    seconds = current_app.config["STAFF_COUNTS_SECONDS"]
    scope = _scope(actor)
    try:
        entries = cache.get(CACHE_KEY) or {}
    except Exception:  # a cache that is down must not take the staff pages with it
        log.warning("staff counts: the cache could not be read", exc_info=True)
        return _count(actor)
    found = entries.get(scope)
    now = time.time()
    if found is not None and now - found[0] < seconds:
        return found[1]
    counts = _count(actor)
    if seconds > 0:
        fresh = {key: value for key, value in entries.items() if now - value[0] < seconds}
        fresh[scope] = (now, counts)
        try:
            cache.set(CACHE_KEY, fresh, timeout=seconds)
        except Exception:
            log.warning("staff counts: the cache could not be written", exc_info=True)
    return counts


def largest_age() -> str | None:
    """How old a count on the page may be, in words ("a minute"); None if never kept."""
    seconds = current_app.config["STAFF_COUNTS_SECONDS"]
    if seconds <= 0:
        return None
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = round(seconds / 60)
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def forget() -> None:
    """Drop every cached count (the next staff home page counts afresh)."""
    try:
        cache.delete(CACHE_KEY)
    except Exception:
        log.warning("staff counts: the cache could not be cleared", exc_info=True)


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


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context, _instances) -> None:
    if not session.info.get(_STALE) and _changes_counts(session):
        session.info[_STALE] = True


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    # After the commit, not before: a count taken between the two would see the
    # old data and be kept for another minute.
    if session.info.pop(_STALE, False):
        forget()


@event.listens_for(Session, "after_soft_rollback")
def _keep_after_rollback(session: Session, previous) -> None:
    if previous.parent is None:  # the whole transaction, not a savepoint within it
        session.info.pop(_STALE, None)
