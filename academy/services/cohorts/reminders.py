"""Reminders the day before a session: an e-mail with the session's calendar file
(.ics) to each member of its cohort who has not turned reminders off.

`due_reminders` finds the sessions starting within the next day, records one
`SessionReminder` per member (so a reminder goes once, however often the
scheduled command runs) and returns the e-mails; the caller commits, then queues
`send_reminders` with them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from academy import jobs
from academy.extensions import db
from academy.formatting import date_and_time
from academy.links import absolute_url
from academy.models import Cohort, CohortMember, CohortSession, SessionReminder, User
from academy.services.cohorts import ics
from academy.timeutil import utcnow

AHEAD = timedelta(days=1)

# to, subject, body, calendar file text
Reminder = tuple[str, str, str, str]


def _body(user: User, session: CohortSession, cohort: Cohort) -> str:
    where = []
    if session.venue:
        where.append(f"Where: {session.venue}")
    if session.meeting_url:
        where.append(f"Join online: {session.meeting_url}")
    return (
        f"Hello {user.display_name},\n\nA reminder: “{session.title}” of {cohort.name} "
        f"({cohort.course.title}) is on {date_and_time(session.starts_at)} (UK time).\n"
        + ("\n".join(where) + "\n" if where else "")
        + f"\nThe attached file adds it to your calendar. The cohort's page: "
        f"{absolute_url('cohorts.detail', cohort_id=cohort.id)}\n\n"
        "You get these reminders because you are in this cohort. Turn them off on your "
        f"account page: {absolute_url('account.training_preferences')}"
    )


def due_reminders(now: datetime | None = None) -> list[Reminder]:
    """Record and return the reminders for sessions starting within the next day."""
    now = now or utcnow()
    sent = select(SessionReminder.user_id).where(SessionReminder.session_id == CohortSession.id)
    rows = db.session.execute(
        select(CohortSession, Cohort, User)
        .join(Cohort, Cohort.id == CohortSession.cohort_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .join(User, User.id == CohortMember.user_id)
        .where(
            CohortSession.starts_at > now,
            CohortSession.starts_at <= now + AHEAD,
            User.session_reminders.is_(True),
            User.disabled_at.is_(None),
            User.confirmed_at.is_not(None),
            User.id.not_in(sent),
        )
        .order_by(CohortSession.starts_at, CohortSession.id, User.id)
    ).all()
    reminders: list[Reminder] = []
    calendars: dict[int, str] = {}
    for session, cohort, user in rows:
        if session.id not in calendars:
            calendars[session.id] = ics.calendar(
                cohort,
                [session],
                cohort_url=absolute_url("cohorts.detail", cohort_id=cohort.id),
                name=session.title,
            )
        db.session.add(SessionReminder(session_id=session.id, user_id=user.id, sent_at=now))
        reminders.append(
            (
                user.email,
                f"Tomorrow: {session.title} ({cohort.name})",
                _body(user, session, cohort),
                calendars[session.id],
            )
        )
    db.session.flush()
    return reminders


def send_later(reminders: list[Reminder]) -> None:
    """Queue the e-mails in one background job. Call after committing."""
    if reminders:
        jobs.enqueue(
            "academy.services.cohorts.reminders.send_reminders", [list(r) for r in reminders]
        )


def send_reminders(reminders: list[list[str]]) -> None:
    """The job: one message per member, with the session's .ics attached."""
    from flask_mailman import EmailMessage

    mail = current_app.extensions["mailman"]
    with mail.get_connection() as connection:
        messages = []
        for to, subject, body, calendar in reminders:
            message = EmailMessage(
                subject=subject,
                body=body,
                from_email=current_app.config["MAIL_DEFAULT_SENDER"],
                to=[to],
                connection=connection,
            )
            message.attach("session.ics", calendar, "text/calendar")
            messages.append(message)
        connection.send_messages(messages)
