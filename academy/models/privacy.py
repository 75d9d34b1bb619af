"""Data protection: who looked at whose data, members' requests, erasures, retention.

`AccessLogEntry` is append-only like the audit log: every time staff view or
export a member's personal data a row is added, and the ORM refuses to change
or delete one. `DataRequest` records each request a member makes under UK GDPR
(access/export, rectification, erasure) with its legal deadline. `Erasure`
marks an account whose personal data has been erased (the row in `users`
stays, anonymised, so that enrolment and certificate counts stay right).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.extensions import db
from academy.models.audit import AppendOnlyError
from academy.models.people import User
from academy.models.types import UTCDateTime
from academy.timeutil import utcnow


class AccessLogEntry(db.Model):
    """Staff viewed or exported a member's personal data."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    subject_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # What was seen, e.g. "admin.member-page", "cohort.csv-export", "data-export".
    what: Mapped[str] = mapped_column(sa.String(120))
    # Where: a cohort, a certificate… ("cohort:12"); never personal data.
    target: Mapped[str | None] = mapped_column(sa.String(120))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise")
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_user_id], lazy="raise")


@event.listens_for(AccessLogEntry, "before_update")
def _refuse_update(mapper, connection, target):  # noqa: ARG001
    raise AppendOnlyError("access log entries cannot be changed")


@event.listens_for(AccessLogEntry, "before_delete")
def _refuse_delete(mapper, connection, target):  # noqa: ARG001
    raise AppendOnlyError("access log entries cannot be deleted")


class RequestKind(enum.StrEnum):
    EXPORT = "export"  # right of access (Art. 15) and portability (Art. 20)
    CORRECTION = "correction"  # rectification (Art. 16)
    ERASURE = "erasure"  # erasure (Art. 17)


REQUEST_LABELS = {
    RequestKind.EXPORT: "Access (copy of their data)",
    RequestKind.CORRECTION: "Correction",
    RequestKind.ERASURE: "Erasure",
}


class DataRequest(db.Model):
    """A member's data-protection request and the date the law says we must answer by."""

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # One calendar month from receipt (UK GDPR Art. 12(3)).
    due_on: Mapped[date] = mapped_column(sa.Date, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # "self-service" (done at once on the account page) or "staff" (logged by an admin).
    channel: Mapped[str] = mapped_column(sa.String(16), default="self-service")
    handled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # What was asked and done, in the admin's words (no personal data beyond the request).
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # Extended once by two further months (Art. 12(3)), with the reason the member was told.
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="raise")
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id], lazy="raise")

    @property
    def open(self) -> bool:
        return self.completed_at is None

    def overdue(self, today: date) -> bool:
        return self.open and today > self.due_on


class Erasure(db.Model):
    """An account whose personal data was erased (by request or by the retention rule)."""

    __tablename__ = "erasures"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reason: Mapped[str] = mapped_column(sa.String(16))  # "request" | "retention" | "admin"


class PrivacySetting(db.Model):
    """Settings admins change at run time (the retention period); defaults come from config."""

    __tablename__ = "privacy_settings"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
