"""Find training: the public list of open cohorts and each listing, with filters,
paging, places left, and nothing about who has joined."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from academy.extensions import db
from academy.services import cohorts as service
from academy.services.academies import academy_by_slug

OPEN = {"is_open": True, "town": "Salford"}


@pytest.fixture
def online(make_cohort, trainer):
    return make_cohort(
        trainer,
        name="Tuesday evenings online",
        mode="online",
        venue="",
        meeting_url="https://meet.example.org/abc",
        academy=academy_by_slug("north-west"),
        is_open=True,
    )


def test_an_open_cohort_is_listed_publicly_with_places_left(
    client, make_cohort, trainer, add_members
):
    cohort = make_cohort(trainer, capacity=10, **OPEN)
    add_members(cohort, 3, prefix="Secret")
    make_cohort(trainer, name="Closed invite-only")  # not open: not listed
    start = datetime.now(UTC) + timedelta(days=3)
    service.schedule_session(
        cohort,
        trainer,
        service.SessionDetails("Week 1", start, start + timedelta(hours=2), "Hall", "", ""),
    )
    db.session.commit()

    page = client.get("/training/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Salford spring" in text
    assert "7 places left" in text
    assert "Closed invite-only" not in text

    listing = client.get(f"/training/{cohort.id}")
    body = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert "Tara Trainer" in body  # who runs it
    assert "Salford" in body
    assert ">7<" in body
    assert "Next session" in body
    assert "To be announced" not in body
    # No member's name, and no count beyond places left.
    assert "Secret" not in body
    assert "Secret" not in text
    assert ">3<" not in body
    assert "Sign in to sign up" in body


def test_a_cohort_that_is_not_open_has_no_listing(client, cohort):
    assert client.get(f"/training/{cohort.id}").status_code == 404
    assert client.get("/training/999999").status_code == 404


def test_filters_by_region_course_format_and_month(client, make_cohort, make_user, online):
    leeds_trainer = make_user(roles=("trainer",), academy="yorkshire-and-the-humber")
    in_person = make_cohort(
        leeds_trainer,
        name="Leeds weekend",
        academy=academy_by_slug("yorkshire-and-the-humber"),
        **OPEN,
    )
    london = academy_by_slug("london")
    # London: online cohorts from anywhere are listed, in-person ones of other regions are not.
    text = client.get(f"/training/?region={london.id}").get_data(as_text=True)
    assert "Tuesday evenings online" in text
    assert "Leeds weekend" not in text
    yorkshire = in_person.academy_id
    text = client.get(f"/training/?region={yorkshire}").get_data(as_text=True)
    assert "Leeds weekend" in text
    assert "Tuesday evenings online" in text
    text = client.get("/training/?format=in-person").get_data(as_text=True)
    assert "Leeds weekend" in text
    assert "Tuesday evenings online" not in text
    text = client.get(f"/training/?course={in_person.course_id}").get_data(as_text=True)
    assert "Leeds weekend" in text
    # A month after both end: nothing.
    later = date.today() + timedelta(days=120)
    text = client.get(f"/training/?month={later:%Y-%m}").get_data(as_text=True)
    assert "Leeds weekend" not in text
    assert "No open training matches" in text
    this_month = date.today()
    text = client.get(f"/training/?month={this_month:%Y-%m}").get_data(as_text=True)
    assert "Leeds weekend" in text


def test_a_filter_that_is_not_a_choice_is_said_and_ignored(client, online):
    response = client.get("/training/?region=abc&month=2020-99&format=boat")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "There is a problem" in text
    assert "Tuesday evenings online" in text  # the list, unfiltered


def test_finished_and_closed_cohorts_are_not_listed(client, make_cohort, trainer):
    make_cohort(
        trainer,
        name="Long gone",
        starts_on=date.today() - timedelta(days=60),
        ends_on=date.today() - timedelta(days=1),
        **OPEN,
    )
    closed = make_cohort(trainer, name="Closed now", signup_closed=True, **OPEN)
    text = client.get("/training/").get_data(as_text=True)
    assert "Long gone" not in text
    assert "Closed now" not in text
    # Its listing still answers, saying sign-up has closed.
    assert "Sign-up for this cohort has closed" in client.get(f"/training/{closed.id}").get_data(
        as_text=True
    )


def test_an_open_in_person_cohort_needs_a_town(make_cohort, trainer):
    with pytest.raises(service.ServiceError, match="town"):
        make_cohort(trainer, is_open=True, town="")


def test_paging_with_limit_plus_one(client, make_cohort, trainer):
    for n in range(21):
        make_cohort(trainer, name=f"Batch {n:02d}", **OPEN)
    first = client.get("/training/").get_data(as_text=True)
    assert first.count('class="card"') == 20
    assert 'rel="next"' in first
    second = client.get("/training/?page=2").get_data(as_text=True)
    assert second.count('class="card"') == 1
    assert 'rel="prev"' in second
    assert 'rel="next"' not in second
    assert client.get("/training/?page=abc").status_code == 200
    assert client.get("/training/?page=99999999999999").status_code == 400


def test_find_training_reads_a_page_in_a_fixed_number_of_queries(
    client, make_cohort, trainer, count_queries
):
    for n in range(3):
        make_cohort(trainer, name=f"Few {n}", **OPEN)
    client.get("/training/")
    with count_queries() as few:
        client.get("/training/")
    for n in range(15):
        make_cohort(trainer, name=f"More {n}", **OPEN)
    with count_queries() as many:
        client.get("/training/")
    assert len(many) == len(few)
    # The filters' choices (2), the page's ids, their places, their trainers' names.
    assert len(few) <= 5, "\n".join(q[:150] for q in few)


def test_the_cohort_form_opens_a_cohort(client, login, trainer, cohort):
    login(client, trainer)
    response = client.post(
        f"/cohorts/{cohort.id}/edit",
        data={
            "name": cohort.name,
            "mode": "in-person",
            "venue": "Salford Labour Club",
            "starts_on": cohort.starts_on.isoformat(),
            "ends_on": cohort.ends_on.isoformat(),
            "capacity": "12",
            "inactive_after_days": "14",
            "is_open": "y",
            "town": "Salford",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(cohort)
    assert cohort.is_open
    assert cohort.town == "Salford"
    assert not cohort.signup_closed
    assert "Salford spring" in client.get("/training/").get_data(as_text=True)
