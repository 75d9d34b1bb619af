"""Recording when staff see a member's personal data.

Call `record_access(actor, subject, what)` from any view that shows or exports
a member's personal data to someone other than that member: a member's page in
the admin area, a data export made on a member's behalf, a cohort's CSV export
(once per member in it: `record_access_many`). The entry is added to the
current transaction; the request commits it with everything else.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import select

from academy.extensions import db
from academy.models import AccessLogEntry, User

# What each kind of entry means, in words a member understands.
DESCRIPTIONS = {
    "admin.member-page": "An admin looked at your account",
    "admin.people-search": "You appeared in an admin's search for a person",
    "admin.academy-people": "An admin looked at the people working in your academy",
    "admin.data-requests": "An admin looked at the list of data requests",
    "data-export": "An admin downloaded a copy of your data",
    "cohort.csv-export": "Your cohort's progress was downloaded by its trainer or staff",
    "staff.member-page": "Academy staff looked at your details",
}


def describe(what: str) -> str:
    return DESCRIPTIONS.get(what, what.replace("-", " ").replace(".", ": ").capitalize())


def recent_access_to(user: User, limit: int = 20) -> list[AccessLogEntry]:
    """The latest times staff saw this person's data: shown to the person themselves."""
    return list(
        db.session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.subject_user_id == user.id)
            .order_by(AccessLogEntry.id.desc())
            .limit(limit)
        )
    )


def record_access(
    actor: User | None, subject: User | int | None, what: str, target: str | None = None
) -> AccessLogEntry | None:
    """Log that `actor` viewed or exported `subject`'s personal data. Nothing if it is their own."""
    subject_id = subject.id if isinstance(subject, User) else subject
    actor_id = actor.id if actor is not None else None
    if subject_id is not None and subject_id == actor_id:
        return None
    entry = AccessLogEntry(actor_id=actor_id, subject_user_id=subject_id, what=what, target=target)
    db.session.add(entry)
    return entry


def record_access_many(
    actor: User | None, subject_ids: Iterable[int], what: str, target: str | None = None
) -> int:
    """Log one entry per member (e.g. a cohort CSV export) in a single INSERT."""
    actor_id = actor.id if actor is not None else None
    rows = [
        {"actor_id": actor_id, "subject_user_id": sid, "what": what, "target": target}
        for sid in dict.fromkeys(subject_ids)
        if sid != actor_id
    ]
    if rows:
        db.session.execute(sa.insert(AccessLogEntry), rows)
    return len(rows)
