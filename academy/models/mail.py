"""E-mails that could not be delivered after every retry (academy/jobs.py Retries).

The row is what an admin needs to see that mail is failing and why, and no more:
the address is masked (`j…@example.org`: enough to recognise a pattern, such as
one domain refusing everything, not to write to anyone); no subject line, no
body, no link. Rows older than `MAIL_FAILURE_DAYS` are removed by `flask academy retention
run`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from academy.extensions import db
from academy.models.types import UTCDateTime
from academy.timeutil import utcnow


class MailFailure(db.Model):
    __tablename__ = "mail_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The address, masked for display: the first character of the local part and the domain.
    recipient: Mapped[str] = mapped_column(sa.String(120))
    # Which e-mail it was: the template's name (templates/email/<template>.txt).
    template: Mapped[str] = mapped_column(sa.String(64))
    # The last error, shortened ("SMTPRecipientsRefused: 550 ...").
    reason: Mapped[str] = mapped_column(sa.String(300))
    attempts: Mapped[int] = mapped_column(sa.SmallInteger)
