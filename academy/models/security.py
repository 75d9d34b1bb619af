"""The security log: refusals, rate limits, failed sign-ins and second-factor failures.

Append-only, like the audit log: the model refuses updates and deletes, and no
route changes a row. Rows are small (no user agent, no full URL, no free text
from the request) and are removed after `SECURITY_LOG_DAYS` by `flask academy
retention run`, the one path that deletes them (a Core statement, on purpose).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from academy.extensions import db
from academy.models.audit import AppendOnlyError
from academy.models.types import UTCDateTime
from academy.timeutil import utcnow


class SecurityEvent(db.Model):
    __tablename__ = "security_events"
    __table_args__ = (sa.Index("ix_security_events_kind_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # One of academy.services.security_log.KINDS.
    kind: Mapped[str] = mapped_column(sa.String(32))
    # Who was signed in; for a sign-in attempt, the account it named (if there is one).
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The client's address as ACADEMY_PROXIES lets us see it (IPv6 fits in 45).
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    # The method and endpoint ("POST auth.login"), never the URL: it may carry a secret.
    route: Mapped[str | None] = mapped_column(sa.String(80))
    status: Mapped[int | None] = mapped_column(sa.SmallInteger)


@event.listens_for(SecurityEvent, "before_update")
def _refuse_update(mapper, connection, target):  # noqa: ARG001
    raise AppendOnlyError("security events cannot be changed")


@event.listens_for(SecurityEvent, "before_delete")
def _refuse_delete(mapper, connection, target):  # noqa: ARG001
    raise AppendOnlyError("security events cannot be deleted")
