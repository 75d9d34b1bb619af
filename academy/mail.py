"""Sending e-mail: Flask-Mailman for SMTP, and a development backend that logs.

Every e-mail the app sends goes through `send_email` (or, for many at once over one
connection, `academy.services.cohorts.send_later`): both queue a background job with
`academy.jobs.enqueue`, so a message leaves only once the transaction that caused it
has committed, and never if it rolls back.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from flask_mailman import EmailMessage
from flask_mailman.backends.base import BaseEmailBackend

from academy import jobs

log = logging.getLogger("academy.mail")


class LogEmailBackend(BaseEmailBackend):
    """Writes each message to the log instead of sending it (the default without MAIL_SERVER).

    Flask-Mailman finds a backend given by dotted path only if the class name ends in
    "EmailBackend" (as MAIL_BACKEND names it in academy.config).

    Links in it that carry a secret are redacted in the log, like every log line
    (academy.redaction). In development the whole message, links included, is also
    written to instance/outbox/, so that a registration made with `make run` can
    still be confirmed; never in production.
    """

    def send_messages(self, email_messages):  # noqa: D102 - Mailman's interface
        outbox = None
        if current_app.config["ACADEMY_ENV"] != "production":
            outbox = Path(current_app.instance_path) / "outbox"
            outbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            saved = ""
            if outbox is not None:
                path = outbox / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}.txt"
                path.write_text(
                    f"To: {', '.join(message.to)}\nSubject: {message.subject}\n\n{message.body}"
                )
                saved = f"\n(The whole message, links included, is in {path}.)"
            log.warning(
                "E-mail (not sent: no MAIL_SERVER configured)\nTo: %s\nSubject: %s\n\n%s%s",
                ", ".join(message.to),
                message.subject,
                message.body,
                saved,
            )
        return len(email_messages)


# The job that hands one message to the backend.
DELIVER = "academy.mail.deliver"


def send_email(to: str | list[str], subject: str, body: str) -> None:
    """Send a plain-text message, in the background, once the caller's transaction commits."""
    jobs.enqueue(DELIVER, to, subject, body)


def deliver(to: str | list[str], subject: str, body: str) -> None:
    """The job: hand the message to the configured backend now."""
    recipients = [to] if isinstance(to, str) else list(to)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=recipients,
    ).send()
