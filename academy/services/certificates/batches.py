"""A cohort's certificates issued in one go, in the background.

`start_batch` fixes the list of the cohort's members waiting for a certificate;
the caller queues `run_batch` in the same unit of work (it starts once that
commits), which issues them one by one and records each outcome. `run_batch`
commits itself, unlike other services: each member's certificate (and its
e-mail, sent after that commit) must stand on its own, so that one failure or a
worker that stops half-way keeps everything issued before it, and the page
shows progress as it goes. No transaction is open while a PDF renders (`issue`
commits before it and the batch commits after each member), so members' writes
go on while a batch runs, on SQLite too. A PDF that cannot be rendered (too
slow, too big) is a "failed" outcome with its reason: resuming retries it. A
batch whose worker has gone (no sign of life for STALE_BATCH) or that failed can
be resumed, and carries on where it stopped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from academy.extensions import db
from academy.models import Cohort, Course, User
from academy.models.certificates import BatchStatus, CertificateBatch
from academy.services import ServiceError
from academy.services.audit import record
from academy.services.certificates.eligibility import eligible_members
from academy.services.certificates.issuing import AlreadyCertified, current_certificate, issue
from academy.services.certificates.pdfs import CertificateRenderError
from academy.services.certificates.scope import require_academy
from academy.timeutil import utcnow

log = logging.getLogger(__name__)

STALE_BATCH = timedelta(minutes=2)


def start_batch(cohort: Cohort, *, actor: User) -> CertificateBatch:
    """Fix the list of a cohort's members waiting for a certificate; the caller
    commits and then queues `run_batch(batch.id)`."""
    require_academy(actor, cohort.academy_id)
    waiting = eligible_members(actor, cohort_id=cohort.id)
    if not waiting:
        raise ServiceError(f"No one in {cohort.name} is waiting for a certificate.")
    batch = CertificateBatch(
        cohort_id=cohort.id,
        course_id=cohort.course_id,
        academy_id=cohort.academy_id,
        created_by_id=actor.id,
        user_ids=[entry.user.id for entry in waiting],
        status=BatchStatus.QUEUED,
        outcomes={},
    )
    db.session.add(batch)
    db.session.flush()
    record(
        "certificate.batch",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"batch {batch.id}",
        cohort_id=cohort.id,
        members=len(waiting),
    )
    return batch


def batch_is_stalled(batch: CertificateBatch, now: datetime | None = None) -> bool:
    """Queued or running, but no sign of life for a while: its worker has gone."""
    if batch.finished:
        return False
    last = batch.heartbeat_at or batch.created_at
    return (now or utcnow()) - last > STALE_BATCH


def can_resume(batch: CertificateBatch) -> bool:
    """Stalled, failed, or done with members it could not issue: worth running again."""
    return (
        batch_is_stalled(batch)
        or (batch.status == BatchStatus.FAILED)
        or (batch.status == BatchStatus.DONE and batch.failed > 0)
    )


def resume_batch(batch: CertificateBatch, *, actor: User) -> CertificateBatch:
    """Queue the batch again (the caller commits and queues `run_batch`)."""
    require_academy(actor, batch.academy_id)
    if not can_resume(batch):
        raise ServiceError("This batch is still running or has nothing left to do.")
    batch.status = BatchStatus.QUEUED
    batch.heartbeat_at = utcnow()
    batch.finished_at = None
    record(
        "certificate.batch.resume",
        actor=actor,
        academy_id=batch.academy_id,
        target=f"batch {batch.id}",
    )
    return batch


def _recount(batch: CertificateBatch, outcomes: dict[str, dict]) -> None:
    batch.outcomes = outcomes  # a new dict, so the JSON column sees the change
    kinds = [entry["outcome"] for entry in outcomes.values()]
    batch.issued = kinds.count("issued")
    batch.skipped = kinds.count("skipped")
    batch.failed = kinds.count("failed")
    batch.heartbeat_at = utcnow()


def run_batch(batch_id: int) -> None:
    """The background job: issue each member's certificate, one commit per member.

    Safe to run again at any point (after a crash, or twice at once): members
    already done are skipped, and the unique index makes a second certificate
    impossible anyway.
    """
    batch = db.session.get(CertificateBatch, batch_id)
    if batch is None or (batch.status == BatchStatus.DONE and not batch.failed):
        return
    batch.status = BatchStatus.RUNNING
    batch.heartbeat_at = utcnow()
    batch.error = None
    db.session.commit()
    try:
        for user_id in list(batch.user_ids):
            key = str(user_id)
            done = (batch.outcomes or {}).get(key)
            if done and done["outcome"] in ("issued", "skipped"):
                continue
            outcome = _issue_one(batch, user_id)
            db.session.refresh(batch)
            _recount(batch, {**(batch.outcomes or {}), key: outcome})
            db.session.commit()
        batch.status = BatchStatus.DONE
        batch.finished_at = utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("certificate batch %s failed", batch_id)
        batch = db.session.get(CertificateBatch, batch_id)
        batch.status = BatchStatus.FAILED
        batch.error = "The batch stopped on an unexpected error; resume it to carry on."
        batch.finished_at = utcnow()
        db.session.commit()


def _issue_one(batch: CertificateBatch, user_id: int) -> dict:
    """Issue one member's certificate in the batch; never raises for a member's problem."""
    actor = db.session.get(User, batch.created_by_id) if batch.created_by_id else None
    member = db.session.get(User, user_id)
    course = db.session.get(Course, batch.course_id)
    cohort = db.session.get(Cohort, batch.cohort_id) if batch.cohort_id else None
    if actor is None:
        return {"outcome": "failed", "reason": "The staff member who started it has gone."}
    if member is None or member.disabled_at is not None:
        return {"outcome": "skipped", "reason": "The account no longer exists."}
    existing = current_certificate(user_id, course.id)
    if existing is not None:
        return {
            "outcome": "skipped",
            "reason": "Already holds a valid certificate.",
            "number": existing.number,
        }
    try:
        certificate = issue(member, course, actor=actor, cohort=cohort, batch=batch)
        db.session.commit()
    except AlreadyCertified:
        db.session.rollback()
        return {"outcome": "skipped", "reason": "Already holds a valid certificate."}
    except CertificateRenderError as error:
        # Too slow, too big or broken: worth another try once the cause is fixed.
        db.session.rollback()
        return {"outcome": "failed", "reason": error.reason}
    except ServiceError as error:
        db.session.rollback()
        return {"outcome": "skipped", "reason": str(error)}
    except Exception:
        db.session.rollback()
        log.exception("certificate for user %s in batch %s failed", user_id, batch.id)
        return {"outcome": "failed", "reason": "Could not be issued; try again."}
    return {"outcome": "issued", "number": certificate.number}
