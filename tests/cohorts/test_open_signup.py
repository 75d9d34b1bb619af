"""Signing up to an open cohort from Find training: one click, the waiting list,
places offered in order with a time limit, leaving, closing sign-up, and every
refusal with a clear message that changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from academy.extensions import db
from academy.models import AuditEvent, CohortMember, Enrolment, WaitingPlace
from academy.services.academies import academy_by_slug
from academy.services.cohorts import open_signup, waiting
from academy.timeutil import utcnow

OPEN = {"is_open": True, "town": "Salford"}


@pytest.fixture
def open_cohort(make_cohort, trainer):
    return make_cohort(trainer, capacity=2, **OPEN)


def _members(cohort) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
        )
    )


def _waiting(cohort) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(WaitingPlace.user_id)
            .where(WaitingPlace.cohort_id == cohort.id)
            .order_by(WaitingPlace.joined_at, WaitingPlace.id)
        )
    )


def _sign_up(client, cohort):
    return client.post(f"/training/{cohort.id}/sign-up")


def test_a_member_signs_up_in_one_click_and_is_enrolled(client, login, make_user, open_cohort):
    member = make_user(name="Mo Member")
    login(client, member)
    page = client.get(f"/training/{open_cohort.id}").get_data(as_text=True)
    assert ">Sign up<" in page
    response = _sign_up(client, open_cohort)
    assert response.status_code == 302
    assert response.location.endswith(f"/cohorts/{open_cohort.id}/")
    assert _members(open_cohort) == {member.id}
    membership = db.session.get(CohortMember, (open_cohort.id, member.id))
    assert membership.joined_via == "open"
    assert db.session.scalar(
        sa.select(Enrolment).where(
            Enrolment.user_id == member.id, Enrolment.course_id == open_cohort.course_id
        )
    )
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "cohort.signup"))
    # The listing now says so, and places left went down.
    page = client.get(f"/training/{open_cohort.id}").get_data(as_text=True)
    assert "You are in this cohort" in page


def test_a_full_cohort_puts_members_on_the_waiting_list_in_order(
    client, login, make_user, open_cohort
):
    people = [make_user() for _ in range(4)]
    for person in people:
        login(client, person)
        _sign_up(client, open_cohort)
    assert _members(open_cohort) == {people[0].id, people[1].id}
    assert _waiting(open_cohort) == [people[2].id, people[3].id]
    page = client.get(f"/training/{open_cohort.id}").get_data(as_text=True)
    assert "You are number 2 on the waiting list" in page
    listing = client.get("/training/").get_data(as_text=True)
    assert "Full: waiting list" in listing


def test_a_freed_place_goes_to_the_first_on_the_list_by_email_with_a_time_limit(
    client, login, make_user, open_cohort, outbox
):
    first_in, second_in, first_waiting, second_waiting = (make_user() for _ in range(4))
    for person in (first_in, second_in, first_waiting, second_waiting):
        login(client, person)
        _sign_up(client, open_cohort)
    outbox.clear()
    # A member leaves: the place is offered to the first person waiting, and only to them.
    login(client, first_in)
    client.post(f"/cohorts/{open_cohort.id}/leave")
    assert _members(open_cohort) == {second_in.id}
    assert [m.to for m in outbox] == [[first_waiting.email]]
    assert f"/training/{open_cohort.id}" in outbox[0].body
    place = waiting.waiting_place(open_cohort.id, first_waiting.id)
    assert place.offer_expires_at - place.offered_at == timedelta(hours=waiting.OFFER_HOURS)
    # The offered place is held: the second person waiting cannot take it.
    login(client, second_waiting)
    page = client.get(f"/training/{open_cohort.id}").get_data(as_text=True)
    assert "Accept the place" not in page
    assert client.post(f"/training/{open_cohort.id}/accept").status_code == 302
    assert second_waiting.id not in _members(open_cohort)
    # A newcomer does not jump the queue either.
    newcomer = make_user()
    login(client, newcomer)
    _sign_up(client, open_cohort)
    assert _waiting(open_cohort)[-1] == newcomer.id
    # The first person waiting accepts.
    login(client, first_waiting)
    assert "Accept the place" in client.get(f"/training/{open_cohort.id}").get_data(as_text=True)
    response = client.post(f"/training/{open_cohort.id}/accept")
    assert response.location.endswith(f"/cohorts/{open_cohort.id}/")
    assert _members(open_cohort) == {second_in.id, first_waiting.id}
    assert _waiting(open_cohort) == [second_waiting.id, newcomer.id]


def test_a_lapsed_offer_goes_to_the_next_person_when_the_scheduled_command_runs(
    client, login, make_user, open_cohort, runner, outbox
):
    people = [make_user() for _ in range(4)]
    for person in people:
        login(client, person)
        _sign_up(client, open_cohort)
    login(client, people[0])
    client.post(f"/cohorts/{open_cohort.id}/leave")
    place = waiting.waiting_place(open_cohort.id, people[2].id)
    place.offer_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    outbox.clear()
    result = runner.invoke(args=["academy", "training", "expire-offers"])
    assert result.exit_code == 0, result.output
    assert "1 offers lapsed; 1 places offered" in result.output
    assert _waiting(open_cohort) == [people[3].id]
    assert [m.to for m in outbox] == [[people[3].email]]
    # Too late to accept the lapsed offer.
    login(client, people[2])
    client.post(f"/training/{open_cohort.id}/accept")
    assert people[2].id not in _members(open_cohort)


def test_declining_an_offer_passes_it_on(client, login, make_user, open_cohort, outbox):
    people = [make_user() for _ in range(4)]
    for person in people:
        login(client, person)
        _sign_up(client, open_cohort)
    login(client, people[0])
    client.post(f"/cohorts/{open_cohort.id}/leave")
    outbox.clear()
    login(client, people[2])
    client.post(f"/training/{open_cohort.id}/leave-waiting-list")
    assert _waiting(open_cohort) == [people[3].id]
    assert [m.to for m in outbox] == [[people[3].email]]


def _refused(client, cohort, message: str, before_members: set, before_waiting: list):
    response = _sign_up(client, cohort)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert message in page
    assert _members(cohort) == before_members
    assert _waiting(cohort) == before_waiting


def test_signing_up_twice_changes_nothing(client, login, make_user, open_cohort):
    member = make_user()
    login(client, member)
    _sign_up(client, open_cohort)
    _refused(client, open_cohort, "You are already in this cohort", {member.id}, [])


def test_joining_the_waiting_list_twice_changes_nothing(
    client, login, make_user, make_cohort, trainer
):
    cohort = make_cohort(trainer, capacity=1, **OPEN)
    first, second = make_user(), make_user()
    for person in (first, second):
        login(client, person)
        _sign_up(client, cohort)
    assert open_signup.signup_problem(cohort, second) == (
        "You are already on the waiting list for this cohort."
    )
    _refused(client, cohort, "already on the waiting list", {first.id}, [second.id])


def test_closed_past_and_not_open_cohorts_refuse(client, login, make_user, make_cohort, trainer):
    member = make_user()
    login(client, member)
    closed = make_cohort(trainer, name="Closed", signup_closed=True, **OPEN)
    _refused(client, closed, "Sign-up for this cohort has closed", set(), [])
    past = make_cohort(
        trainer,
        name="Past",
        starts_on=date.today() - timedelta(days=30),
        ends_on=date.today() - timedelta(days=1),
        **OPEN,
    )
    _refused(client, past, "This cohort has finished", set(), [])
    invite_only = make_cohort(trainer, name="By invitation")
    assert _sign_up(client, invite_only).status_code == 404
    assert _members(invite_only) == set()


def test_another_regions_restricted_cohort_refuses_until_the_member_lives_there(
    client, login, make_user, make_cohort, trainer
):
    cohort = make_cohort(trainer, region_only=True, **OPEN)
    member = make_user()
    login(client, member)
    _refused(client, cohort, "for members in the North West region", set(), [])
    member.home_academy_id = academy_by_slug("london").id
    db.session.commit()
    _refused(client, cohort, "for members in the North West region", set(), [])
    client.post(
        "/account/training",
        data={"region": str(academy_by_slug("north-west").id), "session_reminders": "y"},
    )
    _sign_up(client, cohort)
    assert _members(cohort) == {member.id}


def test_not_signed_in_is_sent_to_sign_in_and_back(client, open_cohort):
    listing = client.get(f"/training/{open_cohort.id}").get_data(as_text=True)
    assert f"/login?next=/training/{open_cohort.id}" in listing
    response = _sign_up(client, open_cohort)
    assert response.status_code == 302
    assert "/login?next=" in response.location
    assert _members(open_cohort) == set()


def test_after_signing_in_the_sign_up_address_leads_back_to_the_listing(
    client, login, make_user, open_cohort
):
    login(client, make_user())
    response = client.get(f"/training/{open_cohort.id}/sign-up")
    assert response.location.endswith(f"/training/{open_cohort.id}")
    assert _members(open_cohort) == set()  # a GET never signs anyone up


def test_trainers_see_sign_ups_and_the_waiting_list_and_can_close_sign_up(
    client, login, make_user, trainer, open_cohort
):
    people = [make_user(name=f"Person {n}") for n in range(3)]
    for person in people:
        login(client, person)
        _sign_up(client, open_cohort)
    login(client, trainer)
    page = client.get(f"/cohorts/{open_cohort.id}/sign-ups").get_data(as_text=True)
    assert "Person 0" in page
    assert "Person 1" in page
    assert "Waiting list" in page
    assert "Person 2" in page
    client.post(f"/cohorts/{open_cohort.id}/sign-ups/close", data={"closed": "1"})
    db.session.refresh(open_cohort)
    assert open_cohort.signup_closed
    latecomer = make_user()
    login(client, latecomer)
    _refused(
        client,
        open_cohort,
        "Sign-up for this cohort has closed",
        {p.id for p in people[:2]},
        [people[2].id],
    )


def test_another_trainer_cannot_see_a_cohorts_sign_ups(client, login, make_user, open_cohort):
    other = make_user(roles=("trainer",), academy="london")
    login(client, other)
    assert client.get(f"/cohorts/{open_cohort.id}/sign-ups").status_code == 404
    response = client.post(f"/cohorts/{open_cohort.id}/sign-ups/close", data={"closed": "1"})
    assert response.status_code == 404
    db.session.refresh(open_cohort)
    assert not open_cohort.signup_closed
    member = make_user()
    login(client, member)
    assert client.get(f"/cohorts/{open_cohort.id}/sign-ups").status_code == 403
