"""Sending e-mail: Flask-Mailman for SMTP, and a development backend that logs."""

from __future__ import annotations

import logging

from flask import current_app
from flask_mailman import EmailMessage
from flask_mailman.backends.base import BaseEmailBackend

log = logging.getLogger("academy.mail")


class LogBackend(BaseEmailBackend):
    """Writes each message to the log instead of sending it (development default)."""

    def send_messages(self, email_messages):  # noqa: D102 - Mailman's interface
        for message in email_messages:
            log.warning(
                "E-mail (not sent: no MAIL_SERVER configured)\nTo: %s\nSubject: %s\n\n%s",
                ", ".join(message.to),
                message.subject,
                message.body,
            )
        return len(email_messages)


def send_email(to: str | list[str], subject: str, body: str) -> None:
    """Send a plain-text message through the configured backend."""
    recipients = [to] if isinstance(to, str) else list(to)
    EmailMessage(
        subject=subject,
        body=body,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=recipients,
    ).send()
