"""Reminders the day before a session: an e-mail with the session's calendar file
(.ics) to each member of its cohort who has not turned reminders off.

`due_reminders` finds the sessions starting within the next day, records one
`SessionReminder` per member (so a reminder goes once, however often the
scheduled command runs) and returns the e-mails; the caller commits, then queues
`send_reminders` with them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from academy import mail
from academy.extensions import db
from academy.links import absolute_url
from academy.mail import Email
from academy.models import Cohort, CohortMember, CohortSession, SessionReminder, User
from academy.services.cohorts import ics
from academy.timeutil import utcnow

AHEAD = timedelta(days=1)

Reminder = Email  # one member's reminder, its calendar file attached


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
            mail.compose(
                user.email,
                "session_reminder",
                attachments=(("session.ics", calendars[session.id], "text/calendar"),),
                name=user.display_name,
                session_title=session.title,
                starts_at=session.starts_at,
                venue=session.venue,
                meeting_url=session.meeting_url,
                cohort_id=cohort.id,
                cohort_name=cohort.name,
                course_title=cohort.course.title,
            )
        )
    db.session.flush()
    return reminders


def send_later(reminders: list[Reminder]) -> None:
    """Queue the e-mails (one connection, each failure retried alone). Call after committing."""
    mail.send_many(reminders)
