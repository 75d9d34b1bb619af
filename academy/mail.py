"""Sending e-mail: written as templates, delivered by a background job that retries.

Every message the app sends is a pair of templates, `templates/email/<name>.txt`
and `.html`, extending `email/layout.txt` and `email/layout.html`; the `.txt`
sets the subject in `{% block subject %}`. `compose()` renders them at once, in
the caller's context (so links name the address being served, academy/links.py),
and `send()` queues the job that delivers them (`deliver`), tried again with
back-off (`MAIL_RETRY_DELAYS`) when the server refuses or is down; when every
attempt fails the failure is recorded for admins (academy/services/mail_failures)
and the person's action, long since answered, is not affected.

Where it goes (`MAIL_BACKEND`, chosen in academy/config.py finalise): SMTP when
`MAIL_SERVER` is set; otherwise `LogEmailBackend`, which in development prints
each message to the console, links included, and keeps it as a real `.eml` file
in `instance/outbox/` (both parts). Production refuses to start without
`MAIL_SERVER` (academy/config.py); were this backend used there, it would write
to the log only, secret links redacted like every log line (academy.redaction).
"""

from __future__ import annotations

import logging
import sys
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from flask import current_app
from flask_mailman import EmailMultiAlternatives
from flask_mailman.backends.base import BaseEmailBackend

from academy import jobs
from academy.links import absolute_url, base_url

log = logging.getLogger("academy.mail")

TEMPLATES = "email"
DELIVER = "academy.mail.deliver"


@dataclass(frozen=True)
class Email:
    """One rendered message to one person, ready to queue (plain data: it goes to Redis)."""

    to: str
    template: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None
    # Files sent with it: (file name, content as text, MIME type), e.g. a calendar file.
    attachments: tuple[tuple[str, str, str], ...] = ()


def compose(
    to: str,
    template: str,
    *,
    reply_to: str | None = None,
    attachments: tuple[tuple[str, str, str], ...] = (),
    **context: object,
) -> Email:
    """Render `email/<template>.txt` and `.html` with `context`, now.

    Templates see `absolute_url`, `base_url` and `subject` besides `context`; they
    are rendered with the app's Jinja environment (its filters: `date`, …) but no
    context processors, so a job or the CLI renders them exactly as a request does.
    """
    env = current_app.jinja_env
    values = {"absolute_url": absolute_url, "base_url": base_url(), **context}
    text_template = env.get_template(f"{TEMPLATES}/{template}.txt")
    subject = "".join(text_template.blocks["subject"](text_template.new_context(values)))
    values["subject"] = " ".join(subject.split())
    text = text_template.render(values).strip() + "\n"
    html = env.get_template(f"{TEMPLATES}/{template}.html").render(values)
    return Email(to, template, values["subject"], text, html, reply_to, attachments)


def send(*emails: Email) -> None:
    """Queue delivery of each message, with retries. It leaves once the caller's
    transaction commits, never if it rolls back (academy.jobs.enqueue); a failure
    never reaches the caller."""
    retries = jobs.Retries(tuple(current_app.config["MAIL_RETRY_DELAYS"]), f"{__name__}.give_up")
    for email in emails:
        jobs.enqueue(DELIVER, asdict(email), retries=retries)


def send_template(to: str, template: str, *, reply_to: str | None = None, **context) -> None:
    """compose() and send() one message."""
    send(compose(to, template, reply_to=reply_to, **context))


def send_many(emails: list[Email]) -> None:
    """Queue one job that delivers `emails` over one connection (an announcement to a
    cohort); any message that fails there is queued again on its own, with retries."""
    if emails:
        jobs.enqueue(f"{__name__}.deliver_many", [asdict(email) for email in emails])


# The jobs --------------------------------------------------------------------------------


def _message(email: dict, connection=None) -> EmailMultiAlternatives:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMultiAlternatives(
        subject=email["subject"],
        body=email["text"],
        from_email=sender,
        to=[email["to"]],
        reply_to=[email["reply_to"]] if email.get("reply_to") else None,
        headers={
            # Our own domain, not the machine's name (which may be an internal one).
            "Message-ID": make_msgid(domain=domain),
            # In UTC with its offset (Flask-Mailman's default, -0000, means "zone unknown").
            "Date": format_datetime(datetime.now(UTC)),
        },
        connection=connection,
    )
    message.attach_alternative(email["html"], "text/html")
    for name, content, mimetype in email.get("attachments") or ():
        message.attach(name, content, mimetype)
    return message


def deliver(email: dict) -> None:
    """The job: hand one message to the configured backend; raise if it is not taken."""
    _message(email).send()


def deliver_many(emails: list[dict]) -> None:
    """The job for many messages: one connection; a message that fails is queued alone."""
    mail = current_app.extensions["mailman"]
    pending = list(emails)
    failed: list[dict] = []
    try:
        with mail.get_connection() as connection:
            while pending:
                email = pending.pop(0)
                try:
                    _message(email, connection).send()
                except Exception as error:  # noqa: BLE001 - retried on its own below
                    log.warning("e-mail %s not delivered (%s); retrying", email["template"], error)
                    failed.append(email)
    except Exception as error:  # noqa: BLE001 - the connection itself (opening or closing)
        log.warning("mail server unavailable (%s); each message will retry", error)
        failed.extend(pending)
    if failed:
        send(*(Email(**{**email, "attachments": _tuples(email)}) for email in failed))


def _tuples(email: dict) -> tuple[tuple[str, str, str], ...]:
    # Through Redis a tuple comes back as a list.
    return tuple(tuple(item) for item in email.get("attachments") or ())


def give_up(error: BaseException, attempts: int, email: dict) -> None:
    """Every attempt failed: record it for admins (masked address, the reason)."""
    from academy.services import mail_failures

    mail_failures.record_failure(email["to"], email["template"], error, attempts)


def send_email(to: str | list[str], subject: str, body: str) -> None:
    """A plain-text message with no template, sent at once (jobs queued by earlier
    releases name this path; new code composes a template and calls `send`)."""
    recipients = [to] if isinstance(to, str) else list(to)
    EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=current_app.config["MAIL_DEFAULT_SENDER"],
        to=recipients,
    ).send()


# Without MAIL_SERVER ------------------------------------------------------------------


class LogEmailBackend(BaseEmailBackend):
    """Delivers where a developer can read it (the default without MAIL_SERVER).

    Flask-Mailman finds a backend given by dotted path only if the class name ends in
    "EmailBackend" (as MAIL_BACKEND names it in academy.config).

    Development: each message is printed to the console (standard output, not the
    log), with its links whole so they can be clicked, and kept as a real `.eml`
    file (both parts; any mail program opens it) in instance/outbox/. The log gets
    one line naming the file, redacted like every log line. Production never keeps
    or prints messages: the log line, redacted, is all.
    """

    def send_messages(self, email_messages):  # noqa: D102 - Mailman's interface
        development = current_app.config["ACADEMY_ENV"] != "production"
        outbox = Path(current_app.instance_path) / "outbox"
        if development:
            outbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            to = ", ".join(message.to)
            if not development:
                log.warning(
                    "E-mail (not sent: no MAIL_SERVER configured)\nTo: %s\nSubject: %s\n\n%s",
                    to,
                    message.subject,
                    message.body,
                )
                continue
            stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}"
            path = outbox / f"{stamp}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\r\n"))
            print(
                f"\n---- E-mail to {to} (not sent: no MAIL_SERVER) ----\n"
                f"Subject: {message.subject}\n\n{message.body}\n"
                f"---- kept in {path} ----\n",
                file=sys.stdout,
                flush=True,
            )
            log.warning(
                "E-mail (not sent: no MAIL_SERVER configured) to %s: %s; printed above and "
                "kept in %s",
                to,
                message.subject,
                path,
            )
        return len(email_messages)
