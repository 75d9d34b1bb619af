"""Announcements: a trainer's news on the cohort page, e-mailed to each member."""

from __future__ import annotations

from sqlalchemy import select

from academy.extensions import db
from academy.links import absolute_url
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
    author = announcement.author.display_name if announcement.author else "Your trainer"
    subject = f"[{cohort.name}] {announcement.subject}"
    body = (
        f"{announcement.body}\n\n— {author}, {cohort.name}\n\n"
        f"See the cohort page: {absolute_url('cohorts.detail', cohort_id=cohort.id)}"
    )
    return [(email, subject, body) for email in recipients]


def announcements_of(cohort: Cohort, limit: int = 20) -> list[Announcement]:
    return list(
        db.session.scalars(
            select(Announcement)
            .where(Announcement.cohort_id == cohort.id)
            .order_by(Announcement.created_at.desc(), Announcement.id.desc())
            .limit(limit)
        )
    )
