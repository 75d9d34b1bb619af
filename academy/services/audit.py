"""Recording audited actions."""

from __future__ import annotations

from academy.extensions import db
from academy.models import AuditEvent, User


def record(
    action: str,
    *,
    actor: User | None,
    subject: User | None = None,
    academy_id: int | None = None,
    target: str | None = None,
    **details: object,
) -> AuditEvent:
    """Append an audit event in the current transaction."""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        subject_user_id=subject.id if subject else None,
        academy_id=academy_id,
        target=target,
        details={key: value for key, value in details.items() if value is not None},
    )
    db.session.add(event)
    return event
