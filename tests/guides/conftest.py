"""A Train the trainer cohort (Leading campaigns stands in: it has the test rubric and
a guide for its first module) with trainers, candidates and a held session."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest

from academy.extensions import db
from academy.models import CohortSession
from academy.models.guides import Rubric
from academy.services import guides
from academy.timeutil import utcnow
from tests.certificates.conftest import course, make_cohort

TTT = "leading-campaigns"
GUIDE_URL = f"/courses/{TTT}/guides/power-mapping"
PACK_URL = f"{GUIDE_URL}/session-pack.pdf"
PASSING = {"planning": "secure", "feedback": "strong"}


@pytest.fixture
def app_config(app_config):
    return {**app_config, "ACADEMY_TRAINER_COURSE": TTT}


@pytest.fixture
def trainer(make_user):
    return make_user(roles=("trainer",), name="Ada Trainer")


@pytest.fixture
def candidate(make_user):
    return make_user(name="Gina Graduate")


@pytest.fixture
def cohort(trainer, candidate):
    return make_cohort(TTT, trainers=[trainer], members=[candidate], name="TtT autumn")


def add_session(cohort, *, days_ago: int = 1, title: str = "Practice evening") -> CohortSession:
    start = utcnow() - dt.timedelta(days=days_ago)
    session = CohortSession(
        cohort_id=cohort.id,
        title=title,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        venue="Hall",
    )
    db.session.add(session)
    db.session.commit()
    return session


@pytest.fixture
def held(cohort) -> CohortSession:
    return add_session(cohort)


def observe(cohort, candidate, session, observer, ratings=PASSING, outcome="passed"):
    observation = guides.record_observation(
        cohort,
        candidate,
        session,
        observer=observer,
        ratings=ratings,
        feedback="Clear plan; check understanding earlier.",
        outcome=outcome,
    )
    db.session.commit()
    return observation


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


__all__ = [
    "GUIDE_URL",
    "PACK_URL",
    "PASSING",
    "TTT",
    "add_session",
    "course",
    "observe",
    "stand_in_rubric",
]


def stand_in_rubric(course_id: int) -> Rubric:
    """A one-criterion rubric for a course whose curriculum has none (tests that let
    another course stand in for Train the trainer)."""
    rubric = Rubric(
        course_id=course_id,
        title="Observed teaching practice",
        levels=["not-yet", "secure"],
        pass_level="secure",
        criteria=[
            {
                "key": "planning",
                "title": "Plans a clear session",
                "description_html": "",
                "descriptors": [],
            }
        ],
        source_path="stand-in",
        content_hash="stand-in",
    )
    db.session.add(rubric)
    db.session.commit()
    return rubric
