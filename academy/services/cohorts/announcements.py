"""Announcements: a trainer's news on the cohort page, e-mailed to each member."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from academy.extensions import db
from academy.mail import compose
from academy.models import Announcement, Cohort, CohortMember, User
from academy.services import ServiceError
from academy.services.audit import record
from academy.services.cohorts.mail import Message
from academy.services.cohorts.roster import member_count


def announce(cohort: Cohort, actor: User, subject: str, body: str) -> Announcement:
    """Post an announcement on the cohort page; `send_later(announcement_messages(...))`
    e-mails it once the caller commits (never a message that was rolled back)."""
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise ServiceError("Write a subject and a message.")
    announcement = Announcement(
        cohort_id=cohort.id,
        author_id=actor.id,
        subject=subject,
        body=body,
        recipients=member_count(cohort),
    )
    db.session.add(announcement)
    db.session.flush()
    record(
        "cohort.announce",
        actor=actor,
        academy_id=cohort.academy_id,
        target=f"cohort:{cohort.id}",
        announcement=announcement.id,
    )
    return announcement


def announcement_messages(cohort: Cohort, announcement: Announcement) -> list[Message]:
    """One e-mail per member (never one message to all: members do not see each other's
    addresses), for `send_later`."""
    recipients = db.session.scalars(
        select(User.email)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort.id, User.disabled_at.is_(None))
        .order_by(User.id)
    )
    author = announcement.author
    author_name = author.display_name if author is not None else "Your trainer"
    # Replies go to the trainer who wrote it (while they have an account), not to the academy.
    reply_to = author.email if author is not None and author.is_active else None
    values = {
        "cohort_name": cohort.name,
        "cohort_id": cohort.id,
        "title": announcement.subject,
        "body": announcement.body,
        "author": author_name,
        "reply_to_trainer": reply_to is not None,
    }
    first = None
    messages = []
    for email in recipients:
        # Rendered once: only the address differs from one member to the next.
        first = first or compose(email, "cohort_announcement", reply_to=reply_to, **values)
        messages.append(replace(first, to=email))
    return messages


def announcements_of(cohort: Cohort, limit: int = 20) -> list[Announcement]:
    return list(
        db.session.scalars(
            select(Announcement)
            .where(Announcement.cohort_id == cohort.id)
            .order_by(Announcement.created_at.desc(), Announcement.id.desc())
            .limit(limit)
        )
    )
