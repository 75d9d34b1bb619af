"""The staff dashboard: the right figures, for the right people, in a fixed number of queries."""

from __future__ import annotations

import csv
import io

import pytest

from academy.extensions import db
from academy.services import privacy, reports
from academy.services.academies import academy_by_slug

REPORT_URLS = (
    "/reports/{slug}/",
    "/reports/{slug}/cascade",
    "/reports/{slug}/equality",
    "/reports/{slug}/summary.csv",
    "/reports/{slug}/monthly.csv",
    "/reports/{slug}/courses.csv",
    "/reports/{slug}/cohorts.csv",
    "/reports/{slug}/trainers.csv",
    "/reports/{slug}/cascade.csv",
    "/reports/{slug}/equality.csv",
)


@pytest.fixture
def north_west_world(build, make_user):
    trainer = make_user(roles=("trainer",), name="Tamsin Trainer")
    cohort = build.cohort(trainer, name="Bolton autumn")
    members = [
        build.member(cohort, completed=i < 3, certified=i < 2, active=i < 4) for i in range(5)
    ]
    # Someone learning on their own counts nationally, not in an academy.
    build.member(completed=True)
    london_trainer = make_user(roles=("trainer",), academy="london", name="Lola Trainer")
    london = build.cohort(london_trainer, academy="london", name="Hackney spring")
    build.member(london, completed=True, certified=True)
    db.session.commit()
    return {"trainer": trainer, "cohort": cohort, "members": members}


def test_summary_for_an_academy_and_for_the_country(north_west_world):
    north_west = reports.summary(reports.Scope(academy_by_slug("north-west")))
    assert north_west.members_enrolled == 5
    assert north_west.active_recently == 4
    assert north_west.courses_completed == 3
    assert north_west.members_completed == 3
    assert north_west.certificates_issued == 2
    assert north_west.trainers == 1
    assert north_west.members_trained == 5
    national = reports.summary(reports.Scope(None))
    assert national.members_enrolled == 7
    assert national.courses_completed == 5
    assert national.certificates_issued == 3
    assert national.trainers == 2


def test_by_course_cohort_and_trainer(north_west_world):
    scope = reports.Scope(academy_by_slug("north-west"))
    [course] = reports.by_course(scope).rows
    assert (course.label, course.values) == ("Organising basics", [5, 4, 3, 2])
    [cohort] = reports.by_cohort(scope).rows
    assert (cohort.label, cohort.values) == ("Bolton autumn", [5, 4, 3, 0, 2])
    [trainer] = reports.by_trainer(scope).rows
    assert (trainer.label, trainer.values) == ("Tamsin Trainer", [1, 5, 3, 2, 0])
    this_month = reports.monthly(scope).rows[-1]
    assert this_month.values == [5, 3, 2, 5, 0]


def test_staff_see_their_academy_only(client, login, make_user, north_west_world):
    staff = make_user(roles=("staff",), academy="north-west")
    login(client, staff)
    assert client.get("/reports/").status_code == 302  # straight to their one academy
    page = client.get("/reports/north-west/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Bolton autumn" in text
    assert "Hackney spring" not in text
    assert "<svg" in text
    assert "<table>" in text
    for url in REPORT_URLS:
        assert client.get(url.format(slug="london")).status_code == 403, url
        assert client.get(url.format(slug="national")).status_code == 403, url
        assert client.get(url.format(slug="north-west")).status_code == 200, url
    assert client.get("/reports/atlantis/").status_code == 404


def test_admins_see_every_academy_and_the_country(client, login, make_user, north_west_world):
    login(client, make_user(roles=("admin",)))
    index = client.get("/reports/").get_data(as_text=True)
    assert "All academies" in index
    assert "London Organising Academy" in index
    for slug in ("national", "london", "north-west"):
        for url in REPORT_URLS:
            assert client.get(url.format(slug=slug)).status_code == 200, (slug, url)
    page = client.get("/reports/national/").get_data(as_text=True)
    assert "Bolton autumn" in page
    assert "Hackney spring" in page


@pytest.mark.parametrize("role", ["member", "trainer"])
def test_members_and_trainers_never_reach_reports(client, login, make_user, role, north_west_world):
    person = make_user(roles=() if role == "member" else ("trainer",), academy="north-west")
    login(client, person)
    assert client.get("/reports/").status_code == 403
    for slug in ("north-west", "national"):
        for url in REPORT_URLS:
            assert client.get(url.format(slug=slug)).status_code == 403, url


def test_csv_is_what_the_page_shows(client, login, make_user, north_west_world):
    login(client, make_user(roles=("staff",)))
    response = client.get("/reports/north-west/courses.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows == [
        ["Course", "Enrolled", "Active (30 days)", "Completed", "Certificates"],
        ["Organising basics", "5", "4", "3", "2"],
    ]


def test_csv_reads_in_excel(client, login, make_user, north_west_world):
    login(client, make_user(roles=("staff",)))
    for table in ("summary", "monthly", "courses", "cohorts", "trainers", "cascade", "equality"):
        response = client.get(f"/reports/north-west/{table}.csv")
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", table
        assert response.get_data().startswith(b"\xef\xbb\xbf"), table  # UTF-8, says the mark
        assert response.headers["Content-Disposition"].startswith("attachment; filename="), table


def test_csv_cells_cannot_run_as_formulas(client, login, make_user, build):
    trainer = make_user(roles=("trainer",))
    build.cohort(trainer, name='=HYPERLINK("http://evil")')
    db.session.commit()
    login(client, make_user(roles=("staff",)))
    text = client.get("/reports/north-west/cohorts.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text


def test_figures_stay_the_same_when_a_member_is_erased(north_west_world):
    scope = reports.Scope(academy_by_slug("north-west"))
    national = reports.Scope(None)
    before = [reports.summary(s) for s in (scope, national)]
    tables = [reports.by_cohort(scope).rows, reports.by_trainer(scope).rows]
    privacy.erase_account(north_west_world["members"][0])
    db.session.commit()
    assert [reports.summary(s) for s in (scope, national)] == before
    assert [reports.by_cohort(scope).rows, reports.by_trainer(scope).rows] == tables


def _grow(build, make_user, cohorts: int, members: int):
    first_trainer = None
    for c in range(cohorts):
        trainer = make_user(roles=("trainer",), name=f"Trainer {c}")
        cohort = build.cohort(trainer, name=f"Cohort {c}")
        for m in range(members):
            build.member(
                cohort,
                completed=m % 2 == 0,
                certified=m % 3 == 0,
                answers={"gender": "woman" if m % 2 else "man", "disability": "no"},
            )
        if first_trainer is None:
            first_trainer = trainer
        else:
            build.promote(trainer, first_trainer, cohort)
    db.session.commit()


@pytest.mark.parametrize(
    "url", ["/reports/north-west/", "/reports/north-west/cascade", "/reports/north-west/equality"]
)
def test_query_count_does_not_grow_with_the_data(
    client, login, make_user, build, count_queries, url
):
    login(client, make_user(roles=("admin",)))
    _grow(build, make_user, cohorts=1, members=2)
    client.get(url)  # warm up
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _grow(build, make_user, cohorts=4, members=12)
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert len(large) == len(small)
    assert len(small) <= 16
