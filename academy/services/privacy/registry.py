"""Every table that points at a person, and what each row is to them.

Every foreign key to `users.id` is listed in `USER_REFERENCES`, saying whether
the row is *about* that person (exported in full, personal values scrubbed on
erasure) or records something they *did* (exported as the bare fact, so one
person's export never carries another's data). A test walks the schema and
fails when a new reference is not listed, so a table added later cannot be left
out of exports and erasures by accident.
"""

from __future__ import annotations

import sqlalchemy as sa

from academy.extensions import db

OWNER = "owner"  # the row is about this person
ACTOR = "actor"  # the row records something this person did, to something or someone else

# (table, column) -> OWNER | ACTOR, for every foreign key to users.id.
USER_REFERENCES: dict[tuple[str, str], str] = {
    ("academy_roles", "user_id"): OWNER,
    ("user_roles", "user_id"): OWNER,
    ("access_log", "subject_user_id"): OWNER,
    ("access_log", "actor_id"): ACTOR,
    ("audit_events", "subject_user_id"): OWNER,
    ("audit_events", "actor_id"): ACTOR,
    ("data_requests", "user_id"): OWNER,
    ("data_requests", "handled_by_id"): ACTOR,
    ("erasures", "user_id"): OWNER,
    ("equality_links", "user_id"): OWNER,
    ("enrolments", "user_id"): OWNER,
    ("lesson_completions", "user_id"): OWNER,
    ("quiz_attempts", "user_id"): OWNER,
    ("cohorts", "created_by_id"): ACTOR,
    ("cohort_trainers", "user_id"): OWNER,
    ("cohort_members", "user_id"): OWNER,
    ("cohort_members", "signed_off_by_id"): ACTOR,
    ("cohort_attendance", "user_id"): OWNER,
    ("cohort_attendance", "recorded_by_id"): ACTOR,
    ("cohort_invites", "created_by_id"): ACTOR,
    ("cohort_waiting_places", "user_id"): OWNER,
    ("session_feedback", "user_id"): OWNER,
    ("course_evaluations", "user_id"): OWNER,
    ("session_reminders", "user_id"): OWNER,
    ("cohort_announcements", "author_id"): ACTOR,
    ("certificates", "user_id"): OWNER,
    ("certificates", "issued_by_id"): ACTOR,
    ("certificates", "revoked_by_id"): ACTOR,
    ("certificate_batches", "created_by_id"): ACTOR,
    ("trainer_promotions", "user_id"): OWNER,
    ("trainer_promotions", "decided_by_id"): ACTOR,
    ("trainer_promotions", "demoted_by_id"): ACTOR,
    ("trainer_lineage", "trainee_id"): OWNER,
    ("trainer_lineage", "trainer_id"): ACTOR,
}

# Never exported, even to their owner: secrets that would only help an attacker.
SECRET_COLUMNS = {
    ("users", "password_hash"),
    ("users", "session_version"),
    ("certificates", "code_hash"),
}

# In an ACTOR row only the keys, the dates and these columns are exported: what was
# done and when, never to whom.
ACTOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "audit_events": ("action",),
    "access_log": ("what",),
    "cohorts": ("name", "academy_id", "course_id"),
    "cohort_announcements": ("cohort_id", "subject"),
    "certificates": ("number", "course_id", "academy_id"),
}


def user_references(metadata: sa.MetaData | None = None) -> list[tuple[sa.Table, sa.Column]]:
    """Every (table, column) in the schema that is a foreign key to users.id."""
    metadata = metadata or db.metadata
    found = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            if any(fk.column.table.name == "users" for fk in column.foreign_keys):
                found.append((table, column))
    return found
