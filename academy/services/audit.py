"""Recording audited actions."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert

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


def record_many(
    action: str,
    *,
    actor: User | None,
    subject_ids: Iterable[int],
    academy_id: int | None = None,
    target: str | None = None,
    **details: object,
) -> None:
    """Append one audit event per subject, as `record` would, in one statement.

    For actions on many members at once (a trainer signing off a cohort): the ORM
    would insert them one by one to learn each event's id, which nothing needs."""
    common = {
        "action": action,
        "actor_id": actor.id if actor else None,
        "academy_id": academy_id,
        "target": target,
        "details": {key: value for key, value in details.items() if value is not None},
    }
    rows = [{**common, "subject_user_id": subject_id} for subject_id in subject_ids]
    if rows:
        db.session.execute(insert(AuditEvent), rows)
