"""Observed teaching practice: recorded from the cohort against the rubric, seen by the
candidate, repeated after "needs more practice"; bad input changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import AuditEvent
from academy.models.guides import Observation
from academy.services import ServiceError, guides
from academy.services.certificates import NotAllowed
from tests.certificates.conftest import make_cohort

from .conftest import PASSING, add_session, observe


def _url(cohort, person) -> str:
    return f"/cohorts/{cohort.id}/members/{person.id}/observation"


def _form(
    session,
    *,
    outcome="passed",
    feedback="Clear plan; check understanding earlier.",
    ratings=PASSING,
    **extra,
) -> dict:
    data = {"session": session.id, "outcome": outcome, "feedback": feedback, **extra}
    data.update({f"criterion-{key}": level for key, level in ratings.items()})
    return data


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Observation.id)))


def test_the_observer_records_it_from_the_cohort_and_the_candidate_reads_the_feedback(
    client, login, trainer, candidate, cohort, held, outbox
):
    login(client, trainer)
    detail = client.get(f"/cohorts/{cohort.id}/").get_data(as_text=True)
    assert "Observed teaching practice" in detail
    assert _url(cohort, candidate) in detail
    form_page = client.get(_url(cohort, candidate)).get_data(as_text=True)
    assert "Plans a clear session" in form_page
    assert 'name="criterion-feedback"' in form_page

    first = client.post(
        _url(cohort, candidate),
        data=_form(
            held, outcome="needs-practice", ratings={"planning": "not-yet", "feedback": "secure"}
        ),
    )
    assert first.status_code == 302
    observation = db.session.scalars(sa.select(Observation)).one()
    assert (observation.outcome, observation.observer_id) == ("needs-practice", trainer.id)
    assert observation.ratings == {"planning": "not-yet", "feedback": "secure"}
    assert "Feedback on your observed teaching practice" in outbox[-1].subject

    # "Needs more practice" is followed by another observation, at a later session.
    later = add_session(cohort, days_ago=0, title="Second practice")
    assert client.post(_url(cohort, candidate), data=_form(later)).status_code == 302
    assert count() == 2
    assert guides.passed_observation(candidate.id, cohort.academy_id).session_id == later.id
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "practice.observe")
    ).all()
    assert len(event) == 2

    login(client, candidate)
    page = client.get(f"/cohorts/{cohort.id}/").get_data(as_text=True)
    assert "Your observed teaching practice" in page
    assert "Check understanding earlier." in page or "check understanding earlier." in page
    assert "Needs more practice" in page
    assert "Passed" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ratings": {**PASSING, "timing": "secure"}}, "'timing' is not a criterion"),
        ({"ratings": {"planning": "secure"}}, "Choose a level for every criterion: Gives useful"),
        ({"ratings": {**PASSING, "planning": "brilliant"}}, "'brilliant' is not a level"),
        ({"ratings": {**PASSING, "planning": "not-yet"}}, "An observation passes only when"),
        ({"outcome": "maybe"}, "Choose the outcome"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    client, login, trainer, candidate, cohort, held, change, message
):
    login(client, trainer)
    response = client.post(_url(cohort, candidate), data=_form(held, **change))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert count() == 0


def test_twice_for_one_session_is_refused(client, login, trainer, candidate, cohort, held):
    login(client, trainer)
    client.post(
        _url(cohort, candidate),
        data=_form(held, outcome="needs-practice"),
    )
    again = client.post(_url(cohort, candidate), data=_form(held))
    assert again.status_code == 400
    assert "practice at this session is already recorded" in again.get_data(as_text=True)
    assert count() == 1


def test_someone_not_in_the_cohort_cannot_be_observed_in_it(
    client, login, make_user, trainer, cohort, held
):
    stranger = make_user(name="Not Here")
    login(client, trainer)
    page = client.get(_url(cohort, stranger)).get_data(as_text=True)
    assert "Not Here is not a member of this cohort" in page
    response = client.post(_url(cohort, stranger), data=_form(held))
    assert "Not Here is not a member of this cohort." in response.get_data(as_text=True)
    assert count() == 0


def test_a_session_of_another_cohort_or_not_held_yet_is_refused(
    client, login, trainer, candidate, cohort
):
    other = make_cohort("leading-campaigns", trainers=[trainer], name="Other")
    foreign = add_session(other)
    upcoming = add_session(cohort, days_ago=-3, title="Next week")
    login(client, trainer)
    for session, message in (
        (foreign, "Choose one of this cohort's sessions."),
        (upcoming, "Record the observation once the session has started."),
    ):
        response = client.post(_url(cohort, candidate), data=_form(session))
        assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert count() == 0


def test_only_a_trainer_or_staff_of_that_academy_observes(
    client, login, make_user, candidate, cohort, held
):
    elsewhere_staff = make_user(roles=("staff",), academy="wales")
    other_trainer = make_user(roles=("trainer",))  # same academy, not this cohort's
    for person in (elsewhere_staff, other_trainer):
        login(client, person)
        assert client.get(_url(cohort, candidate)).status_code == 404
        assert client.post(_url(cohort, candidate), data=_form(held)).status_code == 404
    login(client, candidate)
    assert client.get(_url(cohort, candidate)).status_code == 403  # a member: not their page
    with pytest.raises(NotAllowed):
        guides.record_observation(
            cohort,
            candidate,
            held,
            observer=other_trainer,
            ratings=PASSING,
            feedback="x",
            outcome="passed",
        )
    assert count() == 0

    staff = make_user(roles=("staff",), academy="north-west")
    login(client, staff)
    assert client.post(_url(cohort, candidate), data=_form(held)).status_code == 302
    assert count() == 1


def test_nobody_observes_themselves_or_after_a_pass(trainer, candidate, cohort, held):
    with pytest.raises(ServiceError, match="Someone else must observe"):
        guides.record_observation(
            cohort,
            trainer,
            held,
            observer=trainer,
            ratings=PASSING,
            feedback="x",
            outcome="passed",
        )
    observe(cohort, candidate, held, trainer)
    later = add_session(cohort, days_ago=0)
    with pytest.raises(ServiceError, match="already passed"):
        observe(cohort, candidate, later, trainer)


def test_a_course_without_a_rubric_has_no_observation_page(client, login, trainer, candidate):
    basics = make_cohort("organising-basics", trainers=[trainer], members=[candidate])
    login(client, trainer)
    assert client.get(_url(basics, candidate)).status_code == 404
    assert "Observed teaching practice" not in client.get(f"/cohorts/{basics.id}/").get_data(
        as_text=True
    )
