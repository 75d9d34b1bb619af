"""Recording security events: refusals, rate limits, failed sign-ins, second-factor failures.

Admins read them at /admin/security-log; nobody can change them (the model
refuses updates and deletes, and no route offers either). Each row is small:
the kind, when, who (if anyone), the client's address (ACADEMY_PROXIES decides
which address that is, see academy.ops), the method and endpoint, the status.

A refusal is recorded in a transaction of its own: whatever the refused request
had begun is rolled back first (a refused request changes nothing), then the
event is committed. Recording never turns a refusal into an error page: if the
database cannot take the row, the refusal is logged instead.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import has_request_context, request
from flask_login import current_user

from academy.extensions import db
from academy.models import SecurityEvent, User
from academy.paging import Page, Window
from academy.services.privacy import OWNER, USER_REFERENCES
from academy.timeutil import utcnow

log = logging.getLogger("academy.security")

# Every kind, in words an admin reads.
KINDS = {
    "forbidden": "Refused: the page or action needs a role the person does not have (403)",
    "rate-limited": "Too many requests (429)",
    "signin.failed": "Failed sign-in: wrong e-mail address or password, or not confirmed",
    "signin.second-step": "Right password; sign-in waiting for the second factor",
    "signin.locked": "Sign-in locked out: too many attempts (429)",
    "2fa.failed": "Right password, wrong second-factor code",
    "2fa.setup-failed": "Wrong code while setting up or changing two-step sign-in",
}

# The privacy registry (academy.services.privacy) lists every table that points at a
# person, so that export and erasure cover it; this one is declared here, beside the
# code that writes it. A failed sign-in on your account is about you: exported in full.
USER_REFERENCES[("security_events", "user_id")] = OWNER


def _client() -> tuple[str | None, str | None]:
    if not has_request_context():
        return None, None
    route = f"{request.method} {request.endpoint or '(no route)'}"
    return (request.remote_addr or None), route[:80]


def record(kind: str, *, user: User | int | None = None, status: int | None = None) -> None:
    """Add a security event to the current transaction (the caller commits).

    `user` defaults to whoever is signed in.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown security event kind {kind!r}")
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user.id
    user_id = user.id if isinstance(user, User) else user
    ip, route = _client()
    db.session.execute(
        sa.insert(SecurityEvent).values(
            at=utcnow(), kind=kind, user_id=user_id, ip=ip, route=route, status=status
        )
    )


def record_refusal(kind: str, status: int) -> None:
    """A refused request (403, 429): drop what it began, commit the event on its own."""
    try:
        db.session.rollback()
        record(kind, status=status)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not record a security event (%s, %s)", kind, status)


def events(*, kind: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Page `page` of the events, newest first, and whether more follow."""
    window = Window(page, per_page)
    query = (
        sa.select(SecurityEvent, User.display_name)
        .outerjoin(User, User.id == SecurityEvent.user_id)
        .order_by(SecurityEvent.id.desc())
    )
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    return window.page(db.session.execute(window.apply(query)).all())


def remove_older_than(days: int, *, dry_run: bool = False) -> int:
    """Retention: events older than `days` go (a Core DELETE, past the model's guard)."""
    cutoff = utcnow() - timedelta(days=days)
    old = sa.select(sa.func.count()).where(SecurityEvent.at < cutoff)
    if dry_run:
        return db.session.scalar(old)
    return db.session.execute(sa.delete(SecurityEvent).where(SecurityEvent.at < cutoff)).rowcount
