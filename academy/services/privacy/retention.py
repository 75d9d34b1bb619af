"""Retention: anonymise accounts unused beyond the period admins set (three years
by default) and delete registrations never confirmed."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select

from academy.extensions import db
from academy.models import Erasure, PrivacySetting, Role, User, UserRole
from academy.services import ServiceError
from academy.services.audit import record
from academy.services.privacy.erasure import erase_account
from academy.timeutil import utcnow

RETENTION_KEY = "retention_days"
# Three years without signing in.
DEFAULT_RETENTION_DAYS = 3 * 365
UNCONFIRMED_DAYS = 7


def retention_days() -> int:
    setting = db.session.get(PrivacySetting, RETENTION_KEY)
    if setting is not None:
        return int(setting.value)
    return int(
        current_app.config.get("ACADEMY_RETENTION_DAYS")
        or os.environ.get("ACADEMY_RETENTION_DAYS")
        or DEFAULT_RETENTION_DAYS
    )


def set_retention_days(days: int, *, actor: User) -> None:
    if not 90 <= days <= 3650:
        raise ServiceError("Choose a period between 90 days and 10 years (3650 days).")
    previous = retention_days()
    setting = db.session.get(PrivacySetting, RETENTION_KEY)
    if setting is None:
        db.session.add(PrivacySetting(key=RETENTION_KEY, value=str(days)))
    else:
        setting.value = str(days)
    record("privacy.retention.set", actor=actor, target=str(days), previous=previous)


def _inactive_accounts(now: datetime) -> sa.Select:
    cutoff = now - timedelta(days=retention_days())
    last_seen = sa.func.coalesce(User.last_login_at, User.confirmed_at, User.created_at)
    admins = select(UserRole.user_id).where(UserRole.role == Role.ADMIN)
    return select(User).where(
        User.confirmed_at.is_not(None),
        last_seen < cutoff,
        User.id.not_in(select(Erasure.user_id)),
        # Admins are never anonymised automatically: that could lock everyone out.
        User.id.not_in(admins),
    )


def _stale_registrations(now: datetime) -> sa.Select:
    return select(User).where(
        User.confirmed_at.is_(None), User.created_at < now - timedelta(days=UNCONFIRMED_DAYS)
    )


def retention_preview(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    count = lambda q: db.session.scalar(select(sa.func.count()).select_from(q.subquery()))  # noqa: E731
    return {
        "inactive": count(_inactive_accounts(now)),
        "unconfirmed": count(_stale_registrations(now)),
    }


def run_retention(now: datetime | None = None) -> dict[str, int]:
    """Anonymise accounts inactive beyond the period; delete stale unconfirmed registrations."""
    now = now or utcnow()
    inactive = list(db.session.scalars(_inactive_accounts(now)))
    for user in inactive:
        erase_account(user, reason="retention", actor=None)
    stale = list(db.session.scalars(_stale_registrations(now)))
    for user in stale:
        # Never confirmed, so never signed in: nothing else points at the account.
        db.session.delete(user)
    db.session.flush()
    if inactive or stale:
        record("privacy.retention.run", actor=None, anonymised=len(inactive), deleted=len(stale))
    return {"anonymised": len(inactive), "deleted": len(stale)}
