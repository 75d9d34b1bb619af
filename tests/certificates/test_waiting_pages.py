"""The list of members waiting for a certificate comes a page at a time: at full
membership it ran to tens of thousands of rows. Every page is found in the
database; together the pages hold exactly the list, once each."""

from __future__ import annotations

import re

import pytest

from academy.extensions import db
from academy.models import CohortMember
from academy.services import certificates as service
from academy.staff import routes as staff_routes
from academy.timeutil import utcnow

from .conftest import complete, course, make_cohort

PER_PAGE = 3


@pytest.fixture
def waiting(make_user):
    """Four signed-off members of one cohort, one of them signed off in a second
    cohort of the course too, and three who studied alone: seven waiting."""
    trainer = make_user(roles=("trainer",), name="Tom Trainer")
    in_cohort = [make_user(name=f"Cohort Member {n}") for n in range(4)]
    alone = [make_user(name=f"Self Study {n}") for n in range(3)]
    for person in [*in_cohort, *alone]:
        complete(person)
    first = make_cohort(trainers=[trainer], members=in_cohort, name="Ancoats")
    second = make_cohort(trainers=[trainer], members=[], name="Bolton")
    db.session.add(
        CohortMember(cohort_id=second.id, user_id=in_cohort[0].id, signed_off_at=utcnow())
    )
    db.session.commit()
    return {"cohort": first, "second": second, "in_cohort": in_cohort, "alone": alone}


def names_on(page: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', page)


def test_the_pages_hold_the_whole_list_once_in_order(client, login, staff, waiting, monkeypatch):
    monkeypatch.setattr(staff_routes, "PAGE_SIZE", PER_PAGE)
    login(client, staff)

    pages = [client.get(f"/staff/eligible?page={n}").get_data(as_text=True) for n in (1, 2, 3)]

    assert names_on(pages[0]) == [f"Cohort Member {n}" for n in range(3)]
    # The cohort ends on page 2 and self-study begins on the same page.
    assert names_on(pages[1]) == ["Cohort Member 3", "Self Study 0", "Self Study 1"]
    assert names_on(pages[2]) == ["Self Study 2"]
    # Signed off in Bolton as well, Cohort Member 0 is listed once, under Ancoats.
    assert "Bolton" not in "".join(pages)
    # The cohort's button issues to all four, whichever page shows them.
    assert "Issue all 4 certificates in Ancoats" in pages[0]
    assert "Issue all 4 certificates in Ancoats" in pages[1]
    assert all("7 members waiting" in page for page in pages)
    assert 'rel="next"' in pages[0]
    assert 'rel="prev"' not in pages[0]
    assert 'rel="prev"' in pages[2]
    assert 'rel="next"' not in pages[2]


def test_the_pages_agree_with_the_full_list(app, staff, waiting):
    listed = []
    page = 1
    while True:
        found = service.waiting_page(staff, page=page, per_page=2)
        listed += [(e.user.id, e.course.id) for e in found.entries]
        if not found.has_next:
            break
        page += 1
    everyone = {(e.user.id, e.course.id) for e in service.eligible_members(staff)}
    assert len(listed) == len(set(listed)) == len(everyone) == 7
    assert set(listed) == everyone


def test_filters_are_kept_from_page_to_page(client, login, staff, waiting, monkeypatch):
    monkeypatch.setattr(staff_routes, "PAGE_SIZE", PER_PAGE)
    course_id = course("organising-basics").id
    login(client, staff)

    page = client.get(f"/staff/eligible?course={course_id}").get_data(as_text=True)

    assert f"/staff/eligible?page=2&amp;course={course_id}" in page


def test_a_page_past_the_end_lists_no_one_and_offers_the_way_back(
    client, login, staff, waiting, monkeypatch
):
    monkeypatch.setattr(staff_routes, "PAGE_SIZE", PER_PAGE)
    login(client, staff)

    page = client.get("/staff/eligible?page=9").get_data(as_text=True)

    assert names_on(page) == []
    assert 'rel="prev"' in page
    assert "7 members waiting" in page


def test_a_page_costs_the_same_however_long_the_list(
    client, login, staff, make_user, count_queries, monkeypatch
):
    monkeypatch.setattr(staff_routes, "PAGE_SIZE", PER_PAGE)
    trainer = make_user(roles=("trainer",), name="Tom Trainer")
    login(client, staff)

    def wait(n: int, name: str) -> None:
        people = [make_user(name=f"{name} {i}") for i in range(n)]
        for person in people:
            complete(person)
        make_cohort(trainers=[trainer], members=people, name=name)

    wait(4, "Short")
    with count_queries() as short:
        first = client.get("/staff/eligible").get_data(as_text=True)
    wait(12, "Long")
    with count_queries() as long:
        again = client.get("/staff/eligible").get_data(as_text=True)

    assert len(long) == len(short)
    assert len(names_on(first)) == len(names_on(again)) == PER_PAGE


def test_another_academy_pages_through_only_its_own(client, login, make_user, waiting):
    london = make_user(roles=("staff",), academy="london", name="London Staff")
    login(client, london)

    page = client.get("/staff/eligible?page=1").get_data(as_text=True)

    assert "Ancoats" not in page
    assert not [name for name in names_on(page) if name.startswith("Cohort Member")]
    # An academy they do not work in is not theirs to list.
    nw = waiting["cohort"].academy_id
    assert names_on(client.get(f"/staff/eligible?academy={nw}").get_data(as_text=True)) == []
