"""A member's data export: everything held about them as JSON, with their
certificate PDFs, in one ZIP; downloading it completes their access request."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from academy.extensions import db
from academy.models import DataRequest, User
from academy.models.privacy import RequestKind
from academy.services import equality
from academy.services.audit import record
from academy.services.learning.exporting import attempts_for_export
from academy.services.privacy.data_requests import (
    channel_of,
    complete_request,
    open_request,
    open_request_of,
)
from academy.services.privacy.registry import (
    ACTOR_COLUMNS,
    OWNER,
    SECRET_COLUMNS,
    USER_REFERENCES,
    user_references,
)
from academy.timeutil import utcnow


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


# Tables a member reads through their own view rather than as stored. A quiz attempt's
# snapshot holds every option's correct flag and feedback: the export shows them only as
# the quiz's review setting allows, like the attempt's own page (issue 18).
VIEWS: dict[str, Callable[[User], list[dict[str, Any]]]] = {
    "quiz_attempts": lambda user: attempts_for_export(user.id),
}


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
        if kind == OWNER and table.name in VIEWS:
            viewed = VIEWS[table.name](user)
            if viewed:
                tables.setdefault(table.name, []).extend(viewed)
            continue
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


def certificate_files(user: User) -> list[tuple[str, bytes]]:
    """(file name in the archive, PDF) of each certificate PDF of this person."""
    from academy.models import Certificate
    from academy.services.certificates import pdf_bytes

    files = []
    for certificate in db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
    ):
        pdf = pdf_bytes(certificate)
        if pdf is not None:
            files.append((f"certificates/{certificate.number}.pdf", pdf))
    return files


def export_archive(user: User) -> bytes:
    """A ZIP: data.json (everything) and the PDFs of the person's certificates."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(export_data(user), indent=2, ensure_ascii=False, default=str)
        )
        for name, pdf in certificate_files(user):
            archive.writestr(name, pdf)
    return buffer.getvalue()


def record_export(user: User, *, actor: User | None = None) -> DataRequest:
    """A completed access request: the member (or an admin for them) downloaded the data."""
    request = open_request_of(user, RequestKind.EXPORT) or open_request(
        user, RequestKind.EXPORT, actor=actor, channel=channel_of(user, actor)
    )
    complete_request(request, actor=actor or user, audit=False)
    record("privacy.export", actor=actor or user, subject=user)
    return request
