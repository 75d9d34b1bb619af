"""E-mail to cohort members: the background job that sends the messages the services
compose (academy.mail.compose, templates in templates/email/), once the caller's
transaction commits (academy.jobs.enqueue)."""

from __future__ import annotations

from academy import mail
from academy.mail import Email

Message = Email  # what the cohort services return: rendered, sent after the caller commits


def send_later(messages: list[Email]) -> None:
    """Queue e-mails in one background job (one connection; each failure retried alone),
    sent once the caller's transaction commits."""
    mail.send_many(messages)


def send_messages(messages: list[list[str]]) -> None:
    """The job queued by earlier releases (plain text, [to, subject, body] each): sent
    as it was, so nothing queued before an upgrade is lost."""
    for to, subject, body in messages:
        mail.send_email(to, subject, body)
