"""Creating and editing cohorts through the forms: trainers, co-trainers, staff."""

from __future__ import annotations

import sqlalchemy as sa

from academy.extensions import db
from academy.models import AuditEvent, Cohort
from academy.services.academies import academy_by_slug


def _form(course, academy, **overrides):
    data = {
        "academy": str(academy.id),
        "course": str(course.id),
        "name": "Bolton autumn",
        "mode": "blended",
        "venue": "Bolton Socialist Club",
        "meeting_url": "https://meet.example.org/bolton",
        "starts_on": "2027-09-01",
        "ends_on": "2027-11-30",
        "capacity": "40",
        "min_attendance_percent": "60",
        "inactive_after_days": "10",
    }
    data.update(overrides)
    return data


def test_a_trainer_creates_a_cohort_with_a_co_trainer(client, login, trainer, course, make_user):
    north_west = academy_by_slug("north-west")
    colleague = make_user(roles=("trainer",), name="Colin Colleague")
    login(client, trainer)
    form = client.get("/cohorts/new").text
    assert "Colin Colleague" in form
    response = client.post(
        "/cohorts/new", data={**_form(course, north_west), "co_trainers": [str(colleague.id)]}
    )
    assert response.status_code == 302
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.name == "Bolton autumn"))
    assert cohort.trainer_ids == {trainer.id, colleague.id}
    assert cohort.mode == "blended"
    assert cohort.min_attendance_percent == 60
    assert cohort.can_manage(colleague)
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "cohort.create", AuditEvent.target == f"cohort:{cohort.id}"
        )
    )
    # The co-trainer is taken off; the trainer editing keeps their own place.
    response = client.post(
        f"/cohorts/{cohort.id}/edit",
        data={k: v for k, v in _form(course, north_west, name="Bolton autumn (evenings)").items()},
    )
    assert response.status_code == 302
    db.session.expire_all()
    cohort = db.session.get(Cohort, cohort.id)
    assert cohort.name == "Bolton autumn (evenings)"
    assert cohort.trainer_ids == {trainer.id}
    assert not cohort.can_manage(colleague)


def test_bad_details_are_explained_and_nothing_is_created(client, login, trainer, course):
    north_west = academy_by_slug("north-west")
    login(client, trainer)
    response = client.post(
        "/cohorts/new", data=_form(course, north_west, ends_on="2027-08-01", meeting_url="")
    )
    assert response.status_code == 200
    assert "There is a problem" in response.text
    response = client.post("/cohorts/new", data=_form(course, north_west, ends_on="2027-08-01"))
    assert "The end date must be on or after the start date" in response.text
    response = client.post("/cohorts/new", data=_form(course, north_west, meeting_url=""))
    assert "needs a meeting link" in response.text
    response = client.post("/cohorts/new", data=_form(course, north_west, capacity="0"))
    assert "Capacity must be between 1 and 1000" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 0


def test_a_co_trainer_must_be_a_trainer_in_that_academy(client, login, course, make_user):
    # Staff in two academies see trainers of both, but a cohort takes only its own.
    staff = make_user(roles=("staff",), academy="north-west")
    from academy.services import accounts

    accounts.grant_role(staff, "staff", academy=academy_by_slug("london"))
    londoner = make_user(roles=("trainer",), academy="london", name="Lola Londoner")
    db.session.commit()
    login(client, staff)
    response = client.post(
        "/cohorts/new",
        data={
            **_form(course, academy_by_slug("north-west")),
            "co_trainers": [str(londoner.id)],
        },
    )
    assert "Lola Londoner is not a trainer in the North West Organising Academy" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 0


def test_staff_create_a_cohort_for_a_trainer_and_do_not_become_its_trainer(
    client, login, course, make_user, trainer
):
    staff = make_user(roles=("staff",))
    login(client, staff)
    response = client.post(
        "/cohorts/new",
        data={**_form(course, academy_by_slug("north-west")), "co_trainers": [str(trainer.id)]},
    )
    assert response.status_code == 302
    cohort = db.session.scalar(sa.select(Cohort))
    assert cohort.trainer_ids == {trainer.id}
    assert cohort.can_manage(staff)
    assert cohort.can_manage(trainer)
