"""Builders for report tests: members, cohorts, completions and certificates as plain rows."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from academy.extensions import db
from academy.models import (
    Certificate,
    Cohort,
    CohortMember,
    CohortTrainer,
    Course,
    Enrolment,
    TrainerLineage,
    TrainerPromotion,
    User,
)
from academy.services import equality
from academy.services.academies import academy_by_slug
from academy.timeutil import utcnow

_numbers = iter(range(1, 10**6))


class Builder:
    def __init__(self, make_user):
        self.make_user = make_user
        self.course = db.session.scalar(select(Course).where(Course.slug == "organising-basics"))

    def person(self, name: str = "Report Member") -> User:
        """A confirmed account, made directly (no password hashing: these never sign in)."""
        now = utcnow()
        user = User(
            email=f"r-{secrets.token_hex(6)}@example.org",
            display_name=name,
            password_hash="!",
            privacy_accepted_at=now,
            confirmed_at=now,
        )
        db.session.add(user)
        db.session.flush()
        return user

    def cohort(self, trainer: User, *, academy: str = "north-west", name: str = "Cohort") -> Cohort:
        today = date.today()
        cohort = Cohort(
            academy_id=academy_by_slug(academy).id,
            course_id=self.course.id,
            name=name,
            mode="online",
            starts_on=today - timedelta(days=10),
            ends_on=today + timedelta(days=10),
            capacity=500,
            created_by_id=trainer.id,
        )
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=trainer.id))
        return cohort

    def member(
        self,
        cohort: Cohort | None = None,
        *,
        completed: bool = False,
        certified: bool = False,
        active: bool = True,
        answers: dict[str, str] | None = None,
        user: User | None = None,
    ) -> User:
        user = user or self.person()
        now = utcnow()
        db.session.add(
            Enrolment(
                user_id=user.id,
                course_id=self.course.id,
                completed_at=now if completed else None,
                last_activity_at=now if active else now - timedelta(days=90),
            )
        )
        if cohort is not None:
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
        if certified:
            self.certificate(user, cohort)
        if answers:
            equality.save_answers(user, answers)
        db.session.flush()
        return user

    def certificate(self, user: User, cohort: Cohort | None) -> Certificate:
        academy_id = cohort.academy_id if cohort else academy_by_slug("north-west").id
        certificate = Certificate(
            number=f"OA-TEST-{next(_numbers):06d}",
            code_hash=hashlib.sha256(secrets.token_bytes(16)).hexdigest(),
            user_id=user.id,
            course_id=self.course.id,
            academy_id=academy_id,
            cohort_id=cohort.id if cohort else None,
            holder_name=user.display_name,
            course_title=self.course.title,
            level=self.course.level,
            credit_hours=self.course.credit_hours,
            academy_name="North West Organising Academy",
            issuer_name="Staff",
        )
        db.session.add(certificate)
        return certificate

    def promote(self, trainee: User, trainer: User, cohort: Cohort) -> None:
        promotion = TrainerPromotion(
            user_id=trainee.id, academy_id=cohort.academy_id, decision="promoted"
        )
        db.session.add(promotion)
        db.session.flush()
        db.session.add(
            TrainerLineage(
                promotion_id=promotion.id,
                trainee_id=trainee.id,
                trainer_id=trainer.id,
                cohort_id=cohort.id,
                academy_id=cohort.academy_id,
            )
        )


@pytest.fixture
def build(app, make_user) -> Builder:
    return Builder(make_user)
