"""Putting a cohort's batch on the job queue, and starting batches that wait for it.

A batch is saved (and committed) before its job is queued, so that the job, in
another process, finds it. If the queue (Redis) cannot be reached then, the
batch is not left looking queued with no job behind it (issue 23): it is marked
WAITING, its page says so, and `start_waiting` queues it once the queue answers
again. That is run by every web process now and then (academy/ops/sweep.py), by
`flask academy worker` when it starts, and by `flask academy certificates
start-waiting`. A batch queued twice is harmless: `run_batch` skips every member
already done, and the unique index stops a second certificate anyway.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from academy import jobs
from academy.extensions import db
from academy.models.certificates import BatchStatus, CertificateBatch
from academy.timeutil import utcnow

log = logging.getLogger(__name__)

RUN_BATCH = "academy.services.certificates.run_batch"


def queue_batch(batch_id: int) -> bool:
    """Queue the (committed) batch's job; False when the queue cannot be reached, the
    batch then being marked WAITING and committed."""
    try:
        # Never in this process: a batch renders PDFs for minutes, not in a web worker.
        jobs.enqueue(RUN_BATCH, batch_id, in_process=False)
    except jobs.QueueUnavailable:
        db.session.rollback()
        db.session.execute(
            sa.update(CertificateBatch)
            .where(CertificateBatch.id == batch_id, CertificateBatch.status == BatchStatus.QUEUED)
            .values(status=BatchStatus.WAITING)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return False
    return True


def start_waiting(limit: int = 100) -> int:
    """Queue the batches waiting for the queue, oldest first; how many were queued.

    Stops at the first that cannot be queued (the queue is still down): they wait on.
    """
    waiting = db.session.scalars(
        sa.select(CertificateBatch.id)
        .where(CertificateBatch.status == BatchStatus.WAITING)
        .order_by(CertificateBatch.id)
        .limit(limit)
    ).all()
    db.session.rollback()  # end the read: each batch is queued and marked on its own
    started = 0
    for batch_id in waiting:
        try:
            jobs.enqueue(RUN_BATCH, batch_id, in_process=False)
        except jobs.QueueUnavailable:
            break
        # Only if still waiting: its job may already have set it running.
        db.session.execute(
            sa.update(CertificateBatch)
            .where(CertificateBatch.id == batch_id, CertificateBatch.status == BatchStatus.WAITING)
            .values(status=BatchStatus.QUEUED, heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        started += 1
    if started:
        log.info("Queued %s certificate batch(es) that waited for the queue", started)
    return started
