"""E-mail to cohort members: the messages the services compose, and the background
job that sends many of them over one connection. Like every e-mail, they leave only
once the caller's transaction commits (`academy.jobs.enqueue`)."""

from __future__ import annotations

from flask import current_app

from academy import jobs

Message = tuple[str, str, str]  # to, subject, body


def send_later(messages: list[Message]) -> None:
    """Send e-mails in one background job, once the caller's transaction commits."""
    if messages:
        # Named through the package's facade, as jobs queued before it was a package are.
        jobs.enqueue("academy.services.cohorts.send_messages", [list(m) for m in messages])


def send_messages(messages: list[list[str]]) -> None:
    """The job: one message per person, over one connection."""
    from flask_mailman import EmailMessage

    mail = current_app.extensions["mailman"]
    with mail.get_connection() as connection:
        connection.send_messages(
            [
                EmailMessage(
                    subject=subject,
                    body=body,
                    from_email=current_app.config["MAIL_DEFAULT_SENDER"],
                    to=[to],
                    connection=connection,
                )
                for to, subject, body in messages
            ]
        )
