"""Who may become a trainer: a member holding a current Train the trainer certificate
(`ACADEMY_TRAINER_COURSE`, by slug), and who is one already in an academy."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from academy.extensions import db
from academy.models import Academy, Course, Role, User
from academy.models.certificates import Certificate, CertificateStatus


def trainer_slug() -> str:
    return current_app.config.get("ACADEMY_TRAINER_COURSE", "train-the-trainer")


def trainer_course() -> Course | None:
    return db.session.scalar(sa.select(Course).where(Course.slug == trainer_slug()))


def trainer_course_id(slug: str | sa.BindParameter | None = None) -> sa.ScalarSelect[int]:
    """The Train the trainer course's id, inside the query that needs it (NULL, so
    matching nothing, when the course does not exist): no query of its own, and
    none of the course tree that loading the `Course` brings with it."""
    if slug is None:
        slug = trainer_slug()
    return sa.select(Course.id).where(Course.slug == slug).scalar_subquery()


def trainer_certificate(member: User) -> Certificate | None:
    """The member's current Train the trainer certificate, if any."""
    certificate = db.session.scalar(
        sa.select(Certificate).where(
            Certificate.user_id == member.id,
            Certificate.course_id == trainer_course_id(),
            Certificate.status == CertificateStatus.VALID,
        )
    )
    return certificate if certificate is not None and certificate.is_current else None


def is_trainer_in(member: User, academy: Academy) -> bool:
    return academy.id in member.academy_ids(Role.TRAINER)
