"""One pager (academy.paging): reading `?page=` and the limit+1 idiom, and what every
paged page answers to a page number that is not one (issue 18: never a 500)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import BadRequest

from academy.extensions import db
from academy.models import AccessLogEntry, Course
from academy.paging import MAX_PAGE, Window, page_asked, page_from_query
from academy.services import cohorts
from academy.services.academies import academy_by_slug

HUGE = str(10**20)


# The rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "number", "says"),
    [
        (None, 1, None),
        ("", 1, None),
        ("2", 2, None),
        ("003", 3, None),
        ("3", 3, None),
        ("4", 3, "There is no page 4: this is the last page of members, page 3."),
        (HUGE, 3, f"There is no page {HUGE[:20]}…: this is the last page of members, page 3."),
        ("0", 1, "There is no page 0: this is the first page of members."),
        ("-2", 1, "“-2” is not a page number: this is the first page of members."),
        ("1.5", 1, "“1.5” is not a page number: this is the first page of members."),
        ("abc", 1, "“abc” is not a page number: this is the first page of members."),
        ("٣", 1, "“٣” is not a page number: this is the first page of members."),
    ],
)
def test_a_list_of_known_length_answers_the_nearest_page_and_why(raw, number, says):
    assert page_asked(raw, 3, what="members") == (number, says)


def test_a_list_on_one_page_says_so():
    assert page_asked("2", 1, what="members") == (
        1,
        "There is no page 2: all the members fit on one page.",
    )


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("-2", 1),
        ("0", 1),
        ("1.5", 1),
        ("7", 7),
        (str(MAX_PAGE), MAX_PAGE),
    ],
)
def test_a_list_of_unknown_length_takes_the_page_asked_or_the_first(app, raw, number):
    query = "" if raw is None else f"?page={raw}"
    with app.test_request_context(f"/{query}"):
        assert page_from_query() == number


@pytest.mark.parametrize("raw", [str(MAX_PAGE + 1), HUGE, "9" * 5000])
def test_a_page_past_any_list_is_a_bad_request(app, raw):
    with app.test_request_context(f"/?page={raw}"), pytest.raises(BadRequest) as error:
        page_from_query()
    assert error.value.description.startswith("There is no page ")


def test_one_row_more_than_the_page_says_whether_another_follows(app):
    ids = sa.select(AccessLogEntry.id).order_by(AccessLogEntry.id)
    window = Window(2, 10)
    assert (window.offset, window.limit) == (10, 11)
    assert "LIMIT" in str(window.apply(ids)).upper()
    page = window.page(list(range(11)))
    assert (page.items, page.number, page.has_next, page.has_previous) == (
        list(range(10)),
        2,
        True,
        True,
    )
    last = Window(1, 10).page(list(range(10)))
    assert (last.has_next, last.has_previous) == (False, False)
    with pytest.raises(ValueError, match="no page"):
        Window(0, 10)
    with pytest.raises(ValueError, match="no page"):
        Window(MAX_PAGE + 1, 10)


# Every paged page -------------------------------------------------------------------


@pytest.fixture
def people(make_user):
    trainer = make_user(roles=("trainer",), academy="north-west", name="Tara Trainer")
    cohort = cohorts.create_cohort(
        trainer,
        academy=academy_by_slug("north-west"),
        course=db.session.scalar(sa.select(Course).where(Course.slug == "organising-basics")),
        details=cohorts.CohortDetails(
            name="Salford spring",
            mode="in-person",
            venue="Salford Labour Club",
            meeting_url="",
            starts_on=date.today() - timedelta(days=7),
            ends_on=date.today() + timedelta(days=60),
            capacity=30,
            min_attendance_percent=None,
            inactive_after_days=14,
        ),
    )
    db.session.commit()
    return {
        "trainer": trainer,
        "staff": make_user(roles=("staff",), academy="north-west"),
        "admin": make_user(roles=("admin",)),
        "cohort": cohort,
    }


# (who, address, the query parameter that pages it, whether the list's length is known)
PAGED = [
    ("trainer", "/cohorts/{cohort}/", "page", True),
    ("staff", "/staff/eligible", "page", False),
    ("staff", "/staff/certificates", "page", False),
    ("staff", "/staff/promotions", "page", False),
    ("staff", "/staff/promotions", "trainers", False),
    ("staff", "/staff/audit", "page", False),
    ("admin", "/admin/access-log", "page", False),
    ("admin", "/admin/security-log", "page", False),
]


@pytest.mark.parametrize(("who", "address", "name", "counted"), PAGED)
@pytest.mark.parametrize("raw", [HUGE, "-1", "0", "abc", "1.5", "", "2"])
def test_no_page_number_breaks_a_paged_page(
    client, login, people, who, address, name, counted, raw
):
    login(client, people[who])
    url = address.format(cohort=people["cohort"].id)
    response = client.get(f"{url}?{name}={raw}&sort=no-such-column&dir=sideways")
    if counted:
        # The cohort table knows its length: off to the nearest page, saying why.
        if raw in ("", "1"):
            assert response.status_code == 200
        else:
            assert response.status_code == 302
            assert client.get(response.location).status_code == 200
    elif raw == HUGE:
        assert response.status_code == 400
        assert f"There is no page {HUGE[:20]}…" in response.get_data(as_text=True)
    else:
        # The first page for what is not a page number; page 2 shows that it is empty.
        assert response.status_code == 200


@pytest.mark.parametrize(("who", "address"), sorted({(who, address) for who, address, *_ in PAGED}))
def test_an_unknown_sort_column_is_the_usual_order(client, login, people, who, address):
    login(client, people[who])
    url = address.format(cohort=people["cohort"].id)
    assert client.get(f"{url}?sort=evil%27--&dir=x").status_code == 200


@pytest.mark.parametrize(
    "address",
    [
        "/staff/eligible?academy={}",
        "/staff/eligible?course={}",
        "/staff/eligible?cohort={}",
        "/staff/certificates?academy={}",
        "/staff/certificates?course={}",
        "/staff/audit?academy={}",
        "/staff/lineage?academy={}",
    ],
)
@pytest.mark.parametrize(
    ("raw", "status"), [(HUGE, 400), ("-" + HUGE, 400), ("abc", 200), ("", 200)]
)
def test_the_ids_a_paged_list_is_filtered_by_never_reach_the_database_unchecked(
    client, login, people, address, raw, status
):
    login(client, people["admin"])
    assert client.get(address.format(raw)).status_code == status


def test_the_limit_plus_one_idiom_is_written_once():
    academy = Path(__file__).parents[2] / "academy"
    copies = [
        str(path.relative_to(academy))
        for path in academy.rglob("*.py")
        if re.search(r"\.limit\([^)]*\+\s*1\)|\[:\s*(PAGE_SIZE|per_page)\]", path.read_text())
        and path.name != "paging.py"
    ]
    assert copies == []
