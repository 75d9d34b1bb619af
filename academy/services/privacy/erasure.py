"""Erasing a member's account: anonymise rather than delete where counts depend on
the row.

The `users` row stays with no e-mail, name or password; enrolments,
completions, cohort places and certificates keep pointing at it (so an
academy's totals do not change); equality answers are deleted, certificates
stop verifying and their PDFs are removed, and audit and access logs keep the
event with any personal value scrubbed. The person's e-mail address is also
looked for in every text column of every table, since a row may hold it
without pointing at the account (a cohort invitation, a note).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from academy.extensions import db
from academy.models import AcademyRole, Erasure, User, UserRole
from academy.models.privacy import RequestKind
from academy.services import ServiceError, equality
from academy.services.audit import record
from academy.services.privacy.data_requests import (
    channel_of,
    complete_request,
    open_request,
    open_request_of,
)
from academy.services.privacy.registry import user_references
from academy.timeutil import utcnow

ERASED_NAME = "Erased member"
ERASED_TEXT = "[erased]"


def is_erased(user: User) -> bool:
    return db.session.get(Erasure, user.id) is not None


def erase_account(user: User, *, reason: str = "request", actor: User | None = None) -> None:
    """Erase the person's data, keeping anonymous rows where counts depend on them."""
    if db.session.get(Erasure, user.id) is not None:
        raise ServiceError("This account has already been erased.")
    if actor is None and reason == "request":
        actor = user
    values = _personal_values(user)
    equality.withdraw(user, audit=False)
    _erase_certificates(user)
    _delete_personal_invitations(user)
    _delete_feedback_and_waiting(user)
    # Roles go: an erased person no longer trains or works anywhere.
    db.session.execute(sa.delete(AcademyRole).where(AcademyRole.user_id == user.id))
    db.session.execute(sa.delete(UserRole).where(UserRole.user_id == user.id))
    db.session.expire(user, ["role_grants", "academy_roles"])
    _scrub_rows(user.id, values)
    _scrub_email_everywhere(user.email)
    user.email = f"erased-{user.id}-{secrets.token_hex(4)}@erased.invalid"
    user.display_name = ERASED_NAME
    user.password_hash = "!erased"  # noqa: S105 - not a hash: matches no password
    user.show_name_on_verification = False
    user.last_login_at = None
    user.disabled_at = utcnow()
    user.end_all_sessions()
    db.session.add(Erasure(user_id=user.id, reason=reason))
    channel = "automatic" if reason == "retention" else channel_of(user, actor)
    request = open_request_of(user, RequestKind.ERASURE) or open_request(
        user, RequestKind.ERASURE, actor=actor, channel=channel, note=reason
    )
    complete_request(request, actor=actor, audit=False)
    db.session.flush()
    record("account.erase", actor=actor, subject=user, reason=reason)


@dataclass(frozen=True)
class LedgerEntry:
    """One erasure, as restores need it: an account id, never a personal value."""

    user_id: int
    erased_at: datetime
    reason: str


def erasure_ledger() -> list[LedgerEntry]:
    """Every erasure this database records, oldest first."""
    rows = db.session.execute(
        select(Erasure.user_id, Erasure.erased_at, Erasure.reason).order_by(Erasure.erased_at)
    )
    return [LedgerEntry(user_id, erased_at, reason) for user_id, erased_at, reason in rows]


def ledger_lines(entries: Iterable[LedgerEntry]) -> str:
    """The ledger as JSON lines (what `flask academy erasure-ledger` writes)."""
    return "".join(
        json.dumps({"user_id": e.user_id, "erased_at": e.erased_at.isoformat(), "reason": e.reason})
        + "\n"
        for e in entries
    )


def read_ledger(text: str) -> list[LedgerEntry]:
    """Entries from ledger_lines' output; ValueError naming a line that is not one."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            entries.append(
                LedgerEntry(
                    int(data["user_id"]),
                    datetime.fromisoformat(data["erased_at"]),
                    str(data["reason"])[:16],
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"line {number} is not an erasure ledger entry") from error
    return entries


def reapply_erasures(entries: Iterable[LedgerEntry]) -> int:
    """Erase again each account in `entries` that is not erased here (after a restore from a
    backup taken before the erasure); return how many. The erasure keeps its first date."""
    again = 0
    for entry in sorted(entries, key=lambda e: e.erased_at):
        user = db.session.get(User, entry.user_id)
        if user is None or is_erased(user):
            continue
        erase_account(user, reason=entry.reason, actor=None)
        db.session.get(Erasure, user.id).erased_at = entry.erased_at
        record("account.erase-after-restore", actor=None, subject=user, reason=entry.reason)
        again += 1
    db.session.flush()
    return again


def _personal_values(user: User) -> list[str]:
    from academy.models import Certificate

    names = {user.email, user.display_name}
    names.update(
        db.session.scalars(
            select(Certificate.holder_name).where(Certificate.user_id == user.id)
        ).all()
    )
    # Very short values would scrub unrelated words; an e-mail or a name is longer.
    return sorted((v for v in names if v and len(v.strip()) >= 3), key=len, reverse=True)


def _erase_certificates(user: User) -> None:
    """The PDFs go; the rows stay for the counts but can no longer be verified."""
    from academy.models import Certificate
    from academy.services.certificates import pdf_path

    for certificate in db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id)
    ):
        pdf_path(certificate).unlink(missing_ok=True)
        certificate.holder_name = ERASED_NAME
        # A new random hash: the old code (printed on the PDF) now finds nothing.
        certificate.code_hash = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
        certificate.pdf_sha256 = None


def _delete_personal_invitations(user: User) -> None:
    from academy.models import CohortInvite

    db.session.execute(
        sa.delete(CohortInvite).where(sa.func.lower(CohortInvite.email) == user.email.lower())
    )


def _delete_feedback_and_waiting(user: User) -> None:
    # Opinions and wishes, not records others count on: they go entirely (the
    # aggregates trainers see are computed from what remains).
    from academy.models import CourseEvaluation, SessionFeedback, WaitingPlace

    for model in (SessionFeedback, CourseEvaluation, WaitingPlace):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))


def _scrub(value: Any, pattern: re.Pattern) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED_TEXT, value)
    if isinstance(value, list):
        return [_scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, pattern) for k, v in value.items()}
    return value


def _scrub_rows(user_id: int, values: Iterable[str]) -> None:
    """Replace the person's e-mail and names wherever a row that mentions them holds them.

    Core updates on the tables: they bypass the append-only guard of the audit and
    access logs on purpose (the event stays; the personal value goes).
    """
    values = list(values)
    if not values:
        return
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(v)}(?!\w)" for v in values), re.IGNORECASE)
    for table, column in user_references():
        if table.name == "users":
            continue
        text_columns = [
            c
            for c in table.columns
            if isinstance(c.type, sa.String | sa.Text | sa.JSON) and not c.primary_key
        ]
        if not text_columns:
            continue
        pk = list(table.primary_key.columns)
        rows = db.session.execute(select(*pk, *text_columns).where(column == user_id)).mappings()
        for row in rows.all():
            changes = {}
            for c in text_columns:
                value = row[c.name]
                if value is None:
                    continue
                scrubbed = _scrub(value, pattern)
                if scrubbed != value:
                    changes[c.name] = scrubbed
            if changes:
                db.session.execute(
                    sa.update(table).where(*(k == row[k.name] for k in pk)).values(**changes)
                )


def _scrub_email_everywhere(email: str) -> None:
    """An e-mail address is unmistakable, so it is looked for in every text column of every
    table (a row may hold it without pointing at the account, like an invitation)."""
    pattern = re.compile(re.escape(email), re.IGNORECASE)
    needle = f"%{email.lower()}%"
    for table in db.metadata.sorted_tables:
        if table.name == "users":
            continue
        pk = list(table.primary_key.columns)
        for column in table.columns:
            if column.primary_key or not isinstance(column.type, sa.String | sa.Text | sa.JSON):
                continue
            if isinstance(column.type, sa.String) and (column.type.length or 255) < 6:
                continue
            text = sa.cast(column, sa.Text) if isinstance(column.type, sa.JSON) else column
            rows = db.session.execute(
                select(*pk, column).where(sa.func.lower(text).like(needle))
            ).all()
            for row in rows:
                value = row[-1]
                db.session.execute(
                    sa.update(table)
                    .where(*(k == row[i] for i, k in enumerate(pk)))
                    .values({column.name: _scrub(value, pattern)})
                )
