"""Members' data rights: export, correction, erasure; data requests; retention.

Every table that points at a person (a foreign key to `users.id`) is listed in
`USER_REFERENCES`, saying whether the row is *about* that person (exported in
full, personal values scrubbed on erasure) or records something they *did*
(exported as the bare fact, so one person's export never carries another's
data). A test walks the schema and fails when a new reference is not listed,
so a table added later cannot be left out of exports and erasures by accident.

Erasure anonymises rather than deletes where counts depend on the row: the
`users` row stays with no e-mail, name or password, enrolments, completions,
cohort places and certificates keep pointing at it (so an academy's totals do
not change), equality answers are deleted, certificates stop verifying and
their PDFs are removed, and audit and access logs keep the event with any
personal value scrubbed. The person's e-mail address is also looked for in
every text column of every table, since a row may hold it without pointing at
the account (a cohort invitation, a note).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import re
import secrets
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select

from academy.extensions import db
from academy.models import (
    AcademyRole,
    DataRequest,
    Erasure,
    PrivacySetting,
    Role,
    User,
    UserRole,
)
from academy.models.privacy import RequestKind
from academy.services import ServiceError, equality
from academy.services.audit import record
from academy.timeutil import utcnow

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

ERASED_NAME = "Erased member"
ERASED_TEXT = "[erased]"


def user_references(metadata: sa.MetaData | None = None) -> list[tuple[sa.Table, sa.Column]]:
    """Every (table, column) in the schema that is a foreign key to users.id."""
    metadata = metadata or db.metadata
    found = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            if any(fk.column.table.name == "users" for fk in column.foreign_keys):
                found.append((table, column))
    return found


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _is_date(column: sa.Column) -> bool:
    try:
        return column.type.python_type in (datetime, date)
    except NotImplementedError:
        return False


# Export -----------------------------------------------------------------------------------


def export_data(user: User) -> dict[str, Any]:
    """Everything held about `user`, as plain JSON-ready data."""
    account = {
        column.name: _json_value(getattr(user, column.key))
        for column in User.__table__.columns
        if ("users", column.name) not in SECRET_COLUMNS
    }
    account["roles"] = sorted(user.roles)
    account["academies"] = [
        {"role": link.role, "academy": link.academy.name} for link in user.academy_roles
    ]
    questions = {q.slug: q for q in equality.all_questions(include_inactive=True)}
    answers = equality.answers_of(user)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, column in user_references():
        kind = USER_REFERENCES.get((table.name, column.name))
        if kind is None:
            raise RuntimeError(f"{table.name}.{column.name} is not listed in USER_REFERENCES")
        rows = db.session.execute(select(table).where(column == user.id)).mappings().all()
        if not rows:
            continue
        section = f"{table.name}" if kind == OWNER else f"{table.name} (as {column.name})"
        tables.setdefault(section, []).extend(_export_row(table, row, kind) for row in rows)
    return {
        "about": (
            "Everything the Organising Academy holds about you, as of the time below. "
            "Each section under 'records' is one table of our database; rows marked "
            "'(as …)' record things you did, such as issuing a certificate, without "
            "other people's details."
        ),
        "generated_at": utcnow().isoformat(),
        "account": account,
        "equality_monitoring": [
            {
                "question": questions[slug].label if slug in questions else slug,
                "answer": questions[slug].label_of(value) if slug in questions else value,
            }
            for slug, value in sorted(answers.items())
        ],
        "records": tables,
    }


def _export_row(table: sa.Table, row: sa.RowMapping, kind: str) -> dict[str, Any]:
    if kind == OWNER:
        return {
            name: _json_value(value)
            for name, value in row.items()
            if (table.name, name) not in SECRET_COLUMNS
        }
    keep = set(ACTOR_COLUMNS.get(table.name, ()))
    return {
        column.name: _json_value(row[column.name])
        for column in table.columns
        if column.primary_key or column.name in keep or _is_date(column)
        if not column.foreign_keys or column.name in keep
    }


def certificate_files(user: User) -> list[tuple[str, Path]]:
    """(file name in the archive, stored path) of each certificate PDF of this person."""
    from academy.models import Certificate
    from academy.services.certificates import pdf_path

    files = []
    for certificate in db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
    ):
        path = pdf_path(certificate)
        if path.is_file():
            files.append((f"certificates/{certificate.number}.pdf", path))
    return files


def export_archive(user: User) -> bytes:
    """A ZIP: data.json (everything) and the PDFs of the person's certificates."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(export_data(user), indent=2, ensure_ascii=False, default=str)
        )
        for name, path in certificate_files(user):
            archive.write(path, name)
    return buffer.getvalue()


def record_export(user: User, *, actor: User | None = None) -> DataRequest:
    """A completed access request: the member (or an admin for them) downloaded the data."""
    request = _open_request_of(user, RequestKind.EXPORT) or open_request(
        user, RequestKind.EXPORT, actor=actor, channel=_channel(user, actor)
    )
    complete_request(request, actor=actor or user, audit=False)
    record("privacy.export", actor=actor or user, subject=user)
    return request


def _channel(user: User, actor: User | None) -> str:
    return "self-service" if actor is None or actor.id == user.id else "staff"


# Correction -------------------------------------------------------------------------------


def correct_details(user: User, *, display_name: str, show_name_on_verification: bool) -> list[str]:
    """Change what the member may correct themselves; returns the fields changed."""
    display_name = " ".join(display_name.split())
    if not display_name:
        raise ServiceError("Enter your name.")
    if len(display_name) > 120:
        raise ServiceError("Use at most 120 characters for your name.")
    changed = []
    if display_name != user.display_name:
        user.display_name = display_name
        changed.append("name")
    if show_name_on_verification != user.show_name_on_verification:
        user.show_name_on_verification = show_name_on_verification
        changed.append("name on verification")
    if changed:
        request = open_request(user, RequestKind.CORRECTION, actor=user, note=", ".join(changed))
        complete_request(request, actor=user, audit=False)
        record("privacy.correct", actor=user, subject=user, fields=changed)
    return changed


EMAIL_CHANGE_MAX_AGE = 24 * 3600


def request_email_change(user: User, new_email: str, password: str) -> None:
    """E-mail a confirmation link to the new address; nothing changes until it is followed.

    The answer is the same whether or not the new address already has an account
    (that would reveal someone's membership); the new address is told either way.
    """
    from academy import jobs
    from academy.passwords import verify_password
    from academy.services import accounts

    if not verify_password(user.password_hash, password):
        raise ServiceError("Your password is not right.")
    new_email = accounts.normalise_email(new_email)
    if new_email == user.email:
        raise ServiceError("That is already your e-mail address.")
    if accounts.find_user_by_email(new_email) is not None:
        jobs.enqueue(
            "academy.mail.send_email",
            new_email,
            "Someone tried to move an account to this e-mail address",
            "Someone asked to change the e-mail address of an Organising Academy account to "
            "this one, but this address already has an account, so nothing was changed.",
        )
        return
    token = accounts._serializer("change-email").dumps(
        {"u": user.id, "e": new_email, "v": user.session_version}
    )
    jobs.enqueue(
        "academy.mail.send_email",
        new_email,
        "Confirm your new e-mail address",
        f"Hello {user.display_name},\n\nTo use this address for your Organising Academy "
        f"account, follow this link within 24 hours:\n\n"
        f"{accounts._external('account.confirm_email', token=token)}\n\n"
        "If you did not ask for this, ignore this message and nothing will change.",
    )


def confirm_email_change(token: str) -> User:
    from itsdangerous import BadSignature, SignatureExpired

    from academy import jobs
    from academy.services import accounts

    try:
        data = accounts._serializer("change-email").loads(token, max_age=EMAIL_CHANGE_MAX_AGE)
    except SignatureExpired as error:
        raise ServiceError("This link has expired. Ask for a new one.") from error
    except BadSignature as error:
        raise ServiceError("This link is not valid. Check you copied all of it.") from error
    user = db.session.get(User, data.get("u") or 0)
    if user is None or not user.is_active or user.session_version != data.get("v"):
        raise ServiceError("This link has already been used or is no longer valid.")
    if accounts.find_user_by_email(data["e"]) is not None:
        raise ServiceError("That e-mail address now belongs to another account.")
    old = user.email
    user.email = data["e"]
    # Ends every session, which also makes this link single-use.
    user.end_all_sessions()
    request = open_request(user, RequestKind.CORRECTION, actor=user, note="e-mail address")
    complete_request(request, actor=user, audit=False)
    record("privacy.correct", actor=user, subject=user, fields=["e-mail address"])
    jobs.enqueue(
        "academy.mail.send_email",
        old,
        "Your e-mail address has been changed",
        "The e-mail address of your Organising Academy account has been changed. If you did "
        "not do this, reply to this message at once.",
    )
    return user


# Erasure ----------------------------------------------------------------------------------


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
    channel = "automatic" if reason == "retention" else _channel(user, actor)
    request = _open_request_of(user, RequestKind.ERASURE) or open_request(
        user, RequestKind.ERASURE, actor=actor, channel=channel, note=reason
    )
    complete_request(request, actor=actor, audit=False)
    db.session.flush()
    record("account.erase", actor=actor, subject=user, reason=reason)


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


# Data requests ----------------------------------------------------------------------------


def add_one_month(day: date) -> date:
    """The corresponding day next month, or its last day if there is none (31 Jan → 28 Feb)."""
    return add_months(day, 1)


def add_months(day: date, months: int) -> date:
    """The corresponding day `months` later, or that month's last day (31 Jan + 3 → 30 Apr)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


EXTENSION_MONTHS = 2
EXTENSION_REASON_MAX = 1000


def extended_due_on(request: DataRequest) -> date:
    """The deadline an extension gives: three months from receipt in all."""
    return add_months(request.received_at.date(), 1 + EXTENSION_MONTHS)


def can_extend(request: DataRequest, today: date) -> bool:
    """Open, not extended yet, and still within its first month: the law lets the
    deadline move only if the member is told, with the reasons, within that month."""
    return request.open and request.extended_at is None and today <= request.due_on


def extend_request(
    request: DataRequest, *, actor: User, reason: str, today: date | None = None
) -> tuple[str, str, str] | None:
    """Extend the deadline by two further months (UK GDPR Art. 12(3): where requests
    are complex or numerous), once, and return the e-mail that tells the member why,
    to send after the commit (None if the account has no e-mail address any more)."""
    today = today or utcnow().date()
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Give the reason: the member is told it.")
    if len(reason) > EXTENSION_REASON_MAX:
        raise ServiceError(f"Keep the reason to {EXTENSION_REASON_MAX} characters.")
    if not request.open:
        raise ServiceError("This request has already been completed.")
    if request.extended_at is not None:
        raise ServiceError("This request has been extended already; it can be extended once.")
    if today > request.due_on:
        raise ServiceError(
            "The first month has passed: an extension had to be made, and the member told, "
            "within it. Complete the request as soon as you can."
        )
    request.due_on = extended_due_on(request)
    request.extended_at = utcnow()
    request.extension_reason = reason
    db.session.flush()
    member = db.session.get(User, request.user_id) if request.user_id else None
    record(
        "privacy.request.extend",
        actor=actor,
        subject=member,
        target=f"data-request:{request.id}",
        due_on=request.due_on.isoformat(),
        reason=reason,
    )
    if member is None or not member.email:
        return None
    what = in_members_words(request.kind)
    return (
        member.email,
        "Your data request: we need more time",
        f"Hello {member.display_name},\n\nWe received your request {what} on "
        f"{long_date(request.received_at.date())}. We need more time to complete it, "
        f"because:\n\n{reason}\n\nThe law allows us two further months when a request is "
        f"complex or we have many. We will complete it by {long_date(request.due_on)} at "
        "the latest.\n\nIf you are unhappy with how we are handling your request, you can "
        "complain to the Information Commissioner's Office (ico.org.uk).",
    )


def requests_of(user: User, limit: int = 10) -> list[DataRequest]:
    """The member's own data requests, newest first, for their account page."""
    return list(
        db.session.scalars(
            select(DataRequest)
            .where(DataRequest.user_id == user.id)
            .order_by(DataRequest.received_at.desc(), DataRequest.id.desc())
            .limit(limit)
        )
    )


def in_members_words(kind: str) -> str:
    """What a request asked for, as the member would say it ("to erase your data")."""
    return _IN_MEMBERS_WORDS[RequestKind(kind)]


_IN_MEMBERS_WORDS = {
    RequestKind.EXPORT: "for a copy of your data",
    RequestKind.CORRECTION: "to correct your data",
    RequestKind.ERASURE: "to erase your data",
}


def long_date(day: date) -> str:
    """22 February 2027."""
    return f"{day.day} {day:%B %Y}"


def open_request(
    user: User,
    kind: str,
    *,
    actor: User | None = None,
    channel: str = "self-service",
    note: str = "",
    received_at: datetime | None = None,
) -> DataRequest:
    kind = RequestKind(kind).value
    received_at = received_at or utcnow()
    request = DataRequest(
        user_id=user.id,
        kind=kind,
        received_at=received_at,
        due_on=add_one_month(received_at.date()),
        channel=channel,
        note=note.strip(),
    )
    db.session.add(request)
    db.session.flush()
    if channel == "staff":
        record("privacy.request.open", actor=actor, subject=user, target=kind)
    return request


def _open_request_of(user: User, kind: str) -> DataRequest | None:
    """The oldest open request of this kind: doing what it asks completes it."""
    return db.session.scalar(
        select(DataRequest)
        .where(
            DataRequest.user_id == user.id,
            DataRequest.kind == kind,
            DataRequest.completed_at.is_(None),
        )
        .order_by(DataRequest.received_at, DataRequest.id)
        .limit(1)
    )


def complete_request(request: DataRequest, *, actor: User | None, audit: bool = True) -> None:
    if request.completed_at is not None:
        raise ServiceError("This request has already been completed.")
    request.completed_at = utcnow()
    request.handled_by_id = actor.id if actor else None
    if audit:
        record("privacy.request.complete", actor=actor, target=f"data-request:{request.id}")


# Retention --------------------------------------------------------------------------------

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
