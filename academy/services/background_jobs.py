"""Background jobs that failed for good: what admins see and can run again.

Jobs run on RQ where REDIS_URL is set (academy/jobs.py). A job that talks to the
outside (SMTP, rendering) is retried with back-off (jobs.RETRY_INTERVALS); one
that fails every time lands in RQ's failed-job registry, kept there by Redis for
every machine to see. Admins find them at /admin/jobs, with what the job was
for and why it failed, and can run one again or discard it (both audited).

What a job carried (addresses, message bodies) is never shown: only what it was
for and the last line of its error, with secrets redacted as in every log.
Without Redis, jobs run in a thread of the web process and a failure is only
in the log: `available()` is then False and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from academy import jobs
from academy.models import User
from academy.redaction import redact
from academy.services import ServiceError
from academy.services.audit import record

# What each job is for, in words (by the dotted path jobs are queued under).
PURPOSES = {
    "academy.mail.deliver": "Sending an e-mail",
    "academy.mail.send_email": "Sending an e-mail",  # as jobs were named before 2026-12
    "academy.services.certificates.run_batch": "Issuing a cohort's certificates",
    "academy.services.cohorts.send_messages": "Sending a cohort's messages",
    "academy.services.item_analysis.figures.refresh": "Working out a quiz's item analysis",
}
SHOWN = 100  # the newest failures listed; the count covers them all


@dataclass(frozen=True)
class FailedJob:
    id: str
    purpose: str
    failed_at: datetime | None
    error: str


def available() -> bool:
    """Whether jobs go through a queue whose failures are kept (REDIS_URL is set)."""
    return bool(current_app.config.get("REDIS_URL"))


def _registry():
    from rq.registry import FailedJobRegistry

    return FailedJobRegistry(queue=jobs.queue(current_app._get_current_object()))


def failed_count() -> int | None:
    """How many jobs failed for good (None without a queue, or if Redis cannot be asked)."""
    if not available():
        return None
    try:
        return _registry().count
    except Exception:  # noqa: BLE001 - Redis down: the admin home still answers
        current_app.logger.warning("could not count failed jobs", exc_info=True)
        return None


def failed_jobs() -> list[FailedJob]:
    """The newest failed jobs, newest first."""
    from rq.job import Job

    registry = _registry()
    ids = registry.get_job_ids(0, -1)[-SHOWN:]
    found = [job for job in Job.fetch_many(ids, connection=registry.connection) if job]
    found.sort(key=lambda job: job.ended_at or datetime.min, reverse=True)
    return [
        FailedJob(
            id=job.id,
            purpose=_purpose(job),
            failed_at=job.ended_at,
            error=_last_line(_trace(job)),
        )
        for job in found
    ]


def _trace(job) -> str:
    result = job.latest_result()
    return (result.exc_string if result is not None else None) or ""


def _purpose(job) -> str:
    path = job.args[0] if job.func_name == jobs.RUN_JOB and job.args else job.func_name
    return PURPOSES.get(path, path)


def _last_line(trace: str) -> str:
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    return redact(lines[-1].strip())[:300] if lines else "No error was recorded."


def retry(job_id: str, *, actor: User) -> str:
    """Queue a failed job again; return what it was for."""
    registry = _registry()
    job = _failed(registry, job_id)
    purpose = _purpose(job)
    registry.requeue(job)
    record("job.retry", actor=actor, target=f"{purpose} ({job_id})")
    return purpose


def discard(job_id: str, *, actor: User) -> str:
    """Remove a failed job for good; return what it was for."""
    registry = _registry()
    job = _failed(registry, job_id)
    purpose = _purpose(job)
    registry.remove(job, delete_job=True)
    record("job.discard", actor=actor, target=f"{purpose} ({job_id})")
    return purpose


def _failed(registry, job_id: str):
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    if job_id not in registry.get_job_ids(0, -1):
        raise ServiceError("That job is not among the failed ones: it may have been retried.")
    try:
        return Job.fetch(job_id, connection=registry.connection)
    except NoSuchJobError as error:
        raise ServiceError("That job no longer exists.") from error
