"""A member's training preferences: their region (for "Training near you" and
region-only cohorts) and whether they get session reminders by e-mail."""

from __future__ import annotations

from academy.extensions import db
from academy.models import Academy, User
from academy.services import ServiceError
from academy.services.audit import record


def set_training_preferences(
    user: User, *, home_academy_id: int | None, session_reminders: bool
) -> bool:
    """Save them; returns whether anything changed."""
    if home_academy_id is not None and db.session.get(Academy, home_academy_id) is None:
        raise ServiceError("Choose your region from the list.")
    changed = (user.home_academy_id, user.session_reminders) != (
        home_academy_id,
        session_reminders,
    )
    if changed:
        user.home_academy_id = home_academy_id
        user.session_reminders = session_reminders
        db.session.flush()
        record(
            "account.training-preferences",
            actor=user,
            subject=user,
            region=home_academy_id,
            reminders=session_reminders,
        )
    return changed
