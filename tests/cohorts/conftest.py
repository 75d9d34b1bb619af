"""Fixtures for cohorts: a course, a trainer, a cohort factory and bulk members."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import Cohort, CohortMember, Course, Enrolment, User
from academy.services import cohorts as service
from academy.services.academies import academy_by_slug
from academy.timeutil import utcnow
from tests.conftest import _PASSWORD_HASH


@pytest.fixture
def course(app) -> Course:
    return db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))


@pytest.fixture
def trainer(make_user) -> User:
    return make_user(roles=("trainer",), name="Tara Trainer", email="tara@example.org")


@pytest.fixture
def make_cohort(course) -> Callable[..., Cohort]:
    def make(trainer: User, **overrides) -> Cohort:
        academy = overrides.pop("academy", None) or academy_by_slug("north-west")
        details = {
            "name": "Salford spring",
            "mode": "in-person",
            "venue": "Salford Labour Club",
            "meeting_url": "",
            "starts_on": date.today() - timedelta(days=7),
            "ends_on": date.today() + timedelta(days=60),
            "capacity": 30,
            "min_attendance_percent": None,
            "inactive_after_days": 14,
        }
        details.update(overrides)
        cohort = service.create_cohort(
            trainer,
            academy=academy,
            course=overrides.pop("course", None) or _course(),
            details=service.CohortDetails(**details),
        )
        db.session.commit()
        return cohort

    def _course():
        return db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))

    return make


@pytest.fixture
def cohort(make_cohort, trainer) -> Cohort:
    return make_cohort(trainer)


@pytest.fixture
def add_members(app) -> Callable[..., list[User]]:
    """add_members(cohort, n): n confirmed accounts in the cohort and enrolled, inserted in
    bulk (no Argon2 per person), for tests that need hundreds of members."""

    def add(cohort: Cohort, n: int, *, prefix: str = "Member") -> list[User]:
        now = utcnow()
        tag = uuid.uuid4().hex[:6]
        users = [
            User(
                email=f"{prefix.lower()}-{tag}-{i}@example.org",
                display_name=f"{prefix} {i:03d}",
                password_hash=_PASSWORD_HASH,
                privacy_accepted_at=now,
                confirmed_at=now,
            )
            for i in range(n)
        ]
        db.session.add_all(users)
        db.session.flush()
        for user in users:
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, joined_via="csv"))
            db.session.add(
                Enrolment(
                    user_id=user.id,
                    course_id=cohort.course_id,
                    enrolled_at=now,
                    last_activity_at=now,
                )
            )
        db.session.commit()
        return users

    return add


def held_session(cohort: Cohort, trainer: User, attendance: dict) -> None:
    """A session that started yesterday, with `attendance` (member id -> status) taken."""
    start = datetime.now(UTC) - timedelta(days=1)
    session = service.schedule_session(
        cohort,
        trainer,
        service.SessionDetails("Week", start, start + timedelta(hours=2), "Hall", "", ""),
    )
    service.record_attendance(session, trainer, attendance)
    db.session.commit()
