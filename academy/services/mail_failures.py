"""E-mails that could not be delivered, for admins: record, count, list, forget.

A failure is recorded by the mail job's `give_up` (academy/mail.py) once every retry
has failed, so a broken SMTP server shows up on the admin home page instead of only
in a log. The record keeps the minimum (the address masked, which e-mail, why, how many
attempts, when): see academy/models/mail.py.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from academy.extensions import db
from academy.models import MailFailure
from academy.paging import Page, Window
from academy.timeutil import utcnow

REASON_MAX = 300


def mask(address: str) -> str:
    """`jane@example.org` -> `j…@example.org`: enough to recognise, not to write to."""
    local, _, domain = address.strip().rpartition("@")
    if not local:
        return "…"
    return f"{local[0]}…@{domain}"[:120]


def describe(error: BaseException) -> str:
    """The error as an admin can read it: its kind and message, shortened."""
    text = f"{type(error).__name__}: {error}".replace("\n", " ")
    return text[:REASON_MAX]


def record_failure(to: str, template: str, error: BaseException, attempts: int) -> MailFailure:
    """Keep one failed e-mail. Commits, except inline (tests), where the caller does."""
    failure = MailFailure(
        recipient=mask(to),
        template=template[:64],
        reason=describe(error),
        attempts=attempts,
    )
    db.session.add(failure)
    if current_app.config.get("ACADEMY_JOBS_INLINE"):
        # Run inside the caller's request: its commit keeps the record with the rest.
        db.session.flush()
    else:
        db.session.commit()
    return failure


def count_recent(days: int | None = None) -> int:
    """How many e-mails failed in the last `days` (default: everything still kept)."""
    days = days or current_app.config["MAIL_FAILURE_DAYS"]
    since = utcnow() - timedelta(days=days)
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(MailFailure).where(MailFailure.failed_at >= since)
    )


def failures(*, page: int = 1, per_page: int = 50) -> Page:
    """Page `page` of the failures, newest first."""
    window = Window(page, per_page)
    query = sa.select(MailFailure).order_by(MailFailure.id.desc())
    return window.page(db.session.scalars(window.apply(query)).all())


def remove_older_than(days: int, *, dry_run: bool = False) -> int:
    """Retention: records older than `days` go."""
    cutoff = utcnow() - timedelta(days=days)
    if dry_run:
        return db.session.scalar(sa.select(sa.func.count()).where(MailFailure.failed_at < cutoff))
    return db.session.execute(sa.delete(MailFailure).where(MailFailure.failed_at < cutoff)).rowcount
