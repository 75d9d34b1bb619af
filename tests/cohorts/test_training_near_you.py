"""The member's dashboard shows "Training near you": open cohorts in their region and
online ones, for courses they have not completed, and none they are already in."""

from __future__ import annotations

import sqlalchemy as sa

from academy.extensions import db
from academy.models import Course, Enrolment
from academy.services.academies import academy_by_slug
from academy.timeutil import utcnow


def _online(make_cohort, trainer, name, **extra):
    return make_cohort(
        trainer,
        name=name,
        mode="online",
        venue="",
        meeting_url="https://meet.example.org/x",
        is_open=True,
        **extra,
    )


def test_training_near_you(client, login, make_user, make_cohort, trainer):
    london_trainer = make_user(roles=("trainer",), academy="london")
    make_cohort(trainer, name="Salford in person", is_open=True, town="Salford")
    make_cohort(
        london_trainer,
        name="Camden in person",
        is_open=True,
        town="London",
        academy=academy_by_slug("london"),
    )
    _online(make_cohort, london_trainer, "Online evenings", academy=academy_by_slug("london"))
    member = make_user()
    member.home_academy_id = academy_by_slug("north-west").id
    db.session.commit()
    login(client, member)
    text = client.get("/dashboard").get_data(as_text=True)
    assert "Training near you" in text
    assert "Salford in person" in text
    assert "Online evenings" in text
    assert "Camden in person" not in text
    # Completing the course takes its cohorts off the list.
    course = db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics"))
    db.session.add(
        Enrolment(
            user_id=member.id,
            course_id=course.id,
            enrolled_at=utcnow(),
            completed_at=utcnow(),
            last_activity_at=utcnow(),
        )
    )
    db.session.commit()
    text = client.get("/dashboard").get_data(as_text=True)
    assert "Salford in person" not in text
    assert "Online evenings" not in text


def test_without_a_region_only_online_training_is_shown(
    client, login, make_user, make_cohort, trainer
):
    make_cohort(trainer, name="Salford in person", is_open=True, town="Salford")
    _online(make_cohort, trainer, "Online evenings")
    login(client, make_user())
    text = client.get("/dashboard").get_data(as_text=True)
    assert "Tell us your region" in text
    assert "Online evenings" in text
    assert "Salford in person" not in text
